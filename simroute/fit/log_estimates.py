"""What a log fit produces: estimates with their standard errors, the records and notes collected while fitting,
and the number formats of the provenance comments (shared by the log-fit modules and the held-out checks)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SimrouteError
from .records import FittedValue


class LogFitError(SimrouteError):
    """Logs that cannot be fitted (missing columns, no rows, models the base scenario does not have)."""


@dataclass(frozen=True)
class Estimate:
    """A fitted number with its standard error and sample size (kept unrounded, for checks and reports)."""

    value: float
    se: float
    n: int


@dataclass(frozen=True)
class LogFit:
    """What the logs say: records for the scenario writer, the raw estimates by YAML path, and notes on what
    could not be fitted and why."""

    records: tuple[FittedValue, ...]
    estimates: dict[str, Estimate]
    notes: tuple[str, ...] = ()


@dataclass
class Out:
    records: list[FittedValue] = field(default_factory=list)
    estimates: dict[str, Estimate] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, path: str, value, comment: str, est: Estimate | None = None) -> None:
        self.records.append(FittedValue(path, value, comment))
        if est is not None:
            self.estimates[path] = est


def num(x: Any) -> float:
    """A polars scalar aggregate as a float (0 for an empty column)."""
    return 0.0 if x is None else float(x)


def fmt_n(n: int) -> str:
    """12,345."""
    return f"{int(n):,}"


def fmt_se(se: float) -> str:
    """A standard error to two significant digits."""
    if not np.isfinite(se):
        return "n/a"
    return "0" if se == 0 else f"{se:.2g}"


def sig(x: float, digits: int = 4) -> float:
    """`x` rounded to `digits` significant digits (what the scenario file shows)."""
    if x == 0 or not np.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - math.floor(math.log10(abs(x)))))
