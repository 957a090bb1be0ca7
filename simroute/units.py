"""How numbers are written for a reader: money, percents, shares, ratios, days. One formatter per unit, shared by
the terminal, the report and the check; files (json, parquet, spreadsheets) keep the raw numbers."""
from __future__ import annotations

import math
from collections.abc import Iterable
from enum import Enum

MINUS = "−"  # U+2212: one minus sign for every negative figure a reader sees
DASH = "—"   # an undefined figure


class Unit(str, Enum):
    """What a figure's number is, which decides how it is written and exported."""

    usd = "usd"          # US dollars
    pct = "pct"          # a percentage already scaled to 100 (a bill of 57.3% is 57.3)
    share = "share"      # a fraction from 0 to 1, written as a percent
    ratio = "ratio"      # a dimensionless ratio (the trap ratio)
    integer = "integer"  # a whole number of things (users, alarms)
    per_1k = "per_1k"    # events per 1,000 queries
    day = "day"          # a day of the simulation
    seconds = "seconds"  # a latency


def _sign(x: float, shown: str) -> str:
    """The minus sign, only when the written digits are not all zero (never "−$0")."""
    return MINUS if x < 0 and any(c in "123456789" for c in shown) else ""


def usd(x: float | None) -> str:
    """$1,234 below ten thousand, $12.3k below a million, $1.23M above; "—" when undefined."""
    if x is None or math.isnan(x):
        return DASH
    a = abs(x)
    if a >= 1e6:
        shown = f"${a / 1e6:,.2f}M"
    elif a >= 1e4:
        shown = f"${a / 1e3:,.1f}k"
    else:
        shown = f"${a:,.0f}"
    return _sign(x, shown) + shown


MONEY_SCALES = {"": (1.0, 0, ""), "k": (1e3, 1, "k"), "k0": (1e3, 0, "k"), "M": (1e6, 2, "M")}


def usd_scale(values: Iterable[float | None]) -> str:
    """One money style for a whole table or column, so a row never mixes $72.3k, −$4,912 and $24: "" (whole
    dollars) when every value is below $10,000, "k" (thousands, one decimal) below $1M, else "k0" (whole
    thousands: $23,004k keeps a $181k line item readable beside it)."""
    top = max((abs(v) for v in values if v is not None and not math.isnan(v)), default=0.0)
    return "" if top < 1e4 else ("k" if top < 1e6 else "k0")


def usd_in(x: float | None, scale: str) -> str:
    """`x` dollars in the style `scale` of `usd_scale` ("", "k", "k0", "M"): $1,234 / $72.3k / $23,004k / $1.23M;
    "−" only on non-zero digits."""
    if x is None or math.isnan(x):
        return DASH
    div, digits, suffix = MONEY_SCALES[scale]
    shown = f"${abs(x) / div:,.{digits}f}{suffix}"
    return _sign(x, shown) + shown


def pct(x: float | None, digits: int = 1) -> str:
    """A percentage (already scaled to 100) with a percent sign."""
    return DASH if x is None or math.isnan(x) else number(x, digits) + "%"


def share(x: float | None, digits: int = 1) -> str:
    """A fraction from 0 to 1 written as a percent."""
    return DASH if x is None or math.isnan(x) else pct(100 * x, digits)


def number(x: float | None, digits: int = 1) -> str:
    """A plain number with a fixed count of decimals, negative with the minus sign "−" (never "−0.00")."""
    if x is None or math.isnan(x):
        return DASH
    shown = f"{abs(x):.{digits}f}"
    return _sign(x, shown) + shown


def ratio(x: float | None, digits: int = 2) -> str:
    return number(x, digits)


def count(x: float | None) -> str:
    """A whole number with thousands separators."""
    return DASH if x is None or math.isnan(x) else f"{round(x):,}"


def compact(x: float | None) -> str:
    """4 significant digits, thousands as k and millions as M, "n/a" when undefined (the check's diff tables must
    fit a terminal, and its JUnit and Markdown outputs are compared as text across versions)."""
    if x is None:
        return "n/a"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= 10 * scale:
            return f"{x / scale:.4g}{suffix}"
    return f"{x:.4g}"


DEFAULT_DIGITS = {Unit.pct: 1, Unit.share: 1, Unit.ratio: 2, Unit.per_1k: 1, Unit.day: 1, Unit.seconds: 1}


def show(unit: Unit, x: float | None, digits: int | None = None) -> str:
    """`x` written in its unit; `digits` overrides the unit's usual decimals where a table needs more or fewer."""
    d = DEFAULT_DIGITS.get(unit, 0) if digits is None else digits
    if unit is Unit.usd:
        return usd(x)
    if unit is Unit.integer:
        return count(x)
    if unit is Unit.share:
        return share(x, d)
    return number(x, d)
