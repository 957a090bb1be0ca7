"""Shared building blocks of the scenario schema: a frozen strict base model and range-checked numbers."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo


class Frozen(BaseModel):
    """Every scenario node: immutable, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _range_text(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    """The error of a value outside the range: 'must be between LO and HI', 'must be >= LO', ..."""
    if lo is not None and hi is not None:
        if not lo_open and not hi_open:
            return f"must be between {_fmt(lo)} and {_fmt(hi)}"
        return f"must be in {'(' if lo_open else '['}{_fmt(lo)}, {_fmt(hi)}{')' if hi_open else ']'}"
    if lo is not None:
        return f"must be {'>' if lo_open else '>='} {_fmt(lo)}"
    if hi is not None:
        return f"must be {'<' if hi_open else '<='} {_fmt(hi)}"
    return ""


def _checker(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool, why: str) -> Callable[[Any], Any]:
    message = _range_text(lo, hi, lo_open, hi_open) + (f" ({why})" if why else "")

    def check(v: Any) -> Any:
        below = lo is not None and (v <= lo if lo_open else v < lo)
        above = hi is not None and (v >= hi if hi_open else v > hi)
        if below or above:
            raise ValueError(message)
        return v

    return check


def bounds(lo: float | None = None, hi: float | None = None, *,
           lo_open: bool = False, hi_open: bool = False, doc: str = "") -> tuple[AfterValidator, FieldInfo]:
    """The metadata of a range-checked number, `Annotated[float, *bounds(0.0, 1.0)]`: a check whose error reads
    'must be between LO and HI (DOC)' and the bounds in the JSON schema (a plain tuple, so mypy sees the number
    type). `doc` says why the range is what a real deployment can have."""
    extra: JsonDict = {"x-bounds-reason": doc} if doc else {}
    if lo is not None:
        extra["exclusiveMinimum" if lo_open else "minimum"] = lo
    if hi is not None:
        extra["exclusiveMaximum" if hi_open else "maximum"] = hi
    return AfterValidator(_checker(lo, hi, lo_open, hi_open, doc)), Field(json_schema_extra=extra)


MAX_DAYS = 3660  # the longest horizon (ten years): no day, lag or period of a scenario lies beyond it

Probability = Annotated[float, *bounds(0.0, 1.0)]
Day = Annotated[int, *bounds(0, MAX_DAYS, doc="a day of the run, at most the longest horizon")]
Days = Annotated[int, *bounds(1, MAX_DAYS, doc="a period, at most the longest horizon")]
Logits = Annotated[float, *bounds(0.0, 100.0, doc="logit units: beyond 100 the sigmoid is flat to 1e-43")]
Multiplier = Annotated[float, *bounds(0.0, 100.0, lo_open=True, doc="a multiplier: a 100-fold change is beyond any "
                                      "real deployment")]
FrustrationUnits = Annotated[float, *bounds(0.0, 100.0, doc="units: at the largest churn hazard (20 per "
                                            "unit) one unit is already near-certain churn")]
Milliseconds = Annotated[float, *bounds(0.0, 3_600_000.0, doc="at most an hour")]


def usd(hi: float, why: str) -> tuple[AfterValidator, FieldInfo]:
    """The bounds of an amount of money in USD, [0, hi], with the reason for the ceiling."""
    return bounds(0.0, hi, doc=why)
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", min_length=1, max_length=64)]
