"""simroute: an offline simulator and cost/quality economics calculator for LLM routing policies."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["run", "__version__"]


def __getattr__(name: str):
    """`simroute.run` is imported on first use, so `simroute --help` does not load the scenario schema."""
    if name == "run":
        from .api import run
        return run
    raise AttributeError(f"module 'simroute' has no attribute {name!r}")
