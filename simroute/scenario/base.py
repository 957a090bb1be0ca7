"""Shared building blocks of the scenario schema: a frozen strict base model and range-checked numbers."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    """Every scenario node: immutable, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _checker(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool):
    def check(v: Any) -> Any:
        below = lo is not None and (v <= lo if lo_open else v < lo)
        above = hi is not None and (v >= hi if hi_open else v > hi)
        if below or above:
            if lo is not None and hi is not None:
                lb = "(" if lo_open else "["
                rb = ")" if hi_open else "]"
                if not lo_open and not hi_open:
                    raise ValueError(f"must be between {_fmt(lo)} and {_fmt(hi)}")
                raise ValueError(f"must be in {lb}{_fmt(lo)}, {_fmt(hi)}{rb}")
            if lo is not None:
                raise ValueError(f"must be {'>' if lo_open else '>='} {_fmt(lo)}")
            raise ValueError(f"must be {'<' if hi_open else '<='} {_fmt(hi)}")
        return v

    return check


def ranged(kind: type, lo: float | None = None, hi: float | None = None, *,
           lo_open: bool = False, hi_open: bool = False, doc: str = "") -> Any:
    """A number type with a range check whose error reads 'must be between LO and HI'."""
    extra: dict[str, float] = {}
    if lo is not None:
        extra["exclusiveMinimum" if lo_open else "minimum"] = lo
    if hi is not None:
        extra["exclusiveMaximum" if hi_open else "maximum"] = hi
    return Annotated[kind, AfterValidator(_checker(lo, hi, lo_open, hi_open)),
                     Field(description=doc or None, json_schema_extra=extra)]


Probability = ranged(float, 0.0, 1.0)
NonNegative = ranged(float, 0.0)
Positive = ranged(float, 0.0, lo_open=True)
Day = ranged(int, 0)
PositiveInt = ranged(int, 1)
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", min_length=1, max_length=64)]
