"""The ``servops`` command line (Typer + Rich). Presentation only: it calls the library."""
