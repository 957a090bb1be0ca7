"""The production logs the fitters read (`LogSet`, from the importers): one row per LLM call."""
from __future__ import annotations

from ..importers.common import UTC_US
from ..importers.interface import LOG_COLUMNS as LOG_SCHEMA
from ..importers.interface import LogSet

__all__ = ["LOG_SCHEMA", "UTC_US", "LogSet"]
