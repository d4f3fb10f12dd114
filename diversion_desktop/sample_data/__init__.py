"""Fictitious sample data: a tool beside the application, like the command line.

``demo`` drives a few hundred referrals through the real services; ``bulk``
writes a force's years of history straight into a fresh SQLite file. Both
use the services (and the bulk writer the store) as a caller does; nothing in
the application imports this package except the command line's ``demo`` and
the window's "Fill with sample data…".
"""
