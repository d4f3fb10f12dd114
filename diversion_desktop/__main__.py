"""Allow ``python -m diversion_desktop``."""

from diversion_desktop.cli import main

raise SystemExit(main())
