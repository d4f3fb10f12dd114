"""The Qt user interface: widgets and table models over the services."""
