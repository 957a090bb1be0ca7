"""simroute: an offline simulator and cost/quality economics calculator for LLM routing policies."""
from __future__ import annotations

from .version import __version__

__all__ = ["run", "__version__"]


def __getattr__(name: str):
    """`simroute.run` is imported on first use, so `simroute --help` does not load the scenario schema."""
    if name == "run":
        from .api import run  # lazy: keeps `simroute --help` from loading the engine and the schema
        return run
    raise AttributeError(f"module 'simroute' has no attribute {name!r}")
