"""simroute: an offline simulator and cost/quality economics calculator for LLM routing policies."""
from __future__ import annotations

__version__ = "0.1.0"

from .api import run  # noqa: E402

__all__ = ["run", "__version__"]
