"""The `simroute` command line: a thin layer over the library API (one module per command group)."""
from __future__ import annotations

from .app import app, main

__all__ = ["app", "main"]
