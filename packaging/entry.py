"""The bundle's entry point (PyInstaller runs this file): the same ``main`` as the installed command.

``freeze_support`` comes first so that a worker process of the bulk sample-data generator,
started by the ``spawn`` method (always on Windows; on Linux when the GUI is running), runs its
task instead of starting a second application.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from diversion_desktop.cli import main

    raise SystemExit(main())
