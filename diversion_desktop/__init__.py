"""Diversion Desktop: run a drugs diversion scheme from intake to the next step."""

__version__ = "0.1.0"
