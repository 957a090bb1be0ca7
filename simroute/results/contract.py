"""The results contract as types: summary.json's schema (pydantic, strict: a string is never a number) and each
Parquet table's required columns and dtypes. Checked when a folder is loaded, so damaged content fails with one
line naming the file and the field instead of a traceback in a report. Extra keys and columns are allowed."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError

from ..errors import ResultsError

Real = StrictInt | StrictFloat  # the figures reports compute with: never null
Number = StrictInt | StrictFloat | None  # NaN and inf are written as null (trap_ratio of the baseline)
Day = Annotated[StrictInt, Field(ge=0)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class ScenarioRef(_Open):
    name: StrictStr
    sha256: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]


class DriftOnset(_Open):
    day: Day
    change: StrictStr


class InvisibleLoss(_Open):
    total: Real
    support: Real
    retention: Real
    compliance: Real


class Quality(_Open):
    overall: Real


class Interval(_Open):
    mean: Number
    low: Number
    high: Number


class PolicyFigures(_Open):
    kind: StrictStr
    window_start_day: Day
    window_end_day: Day
    bill_pct_of_baseline: Real
    ai_platform_usd_per_month: Real
    savings_usd_per_month: Real
    invisible_loss_usd_per_month: InvisibleLoss
    net_value_usd_per_month: Real
    trap_ratio: Number
    quality: Quality
    tier_share: dict[StrictStr, Real]
    escalation_share: Real
    latency_p95_s: Real
    churned_users: StrictInt
    net_value_usd_over_horizon: Real
    intervals: dict[StrictStr, Interval] | None = None


class MonitorFigures(_Open):
    kind: StrictStr
    policy: StrictStr
    onset_day: Day | None
    first_alarm_day: Day | None
    delay_days: Number
    false_alarms: StrictInt
    alarm_days: list[Day]
    window_start_day: Day
    window_end_day: Day


class Replicates(_Open):
    n: StrictInt
    figures: dict[StrictStr, dict[StrictStr, Any]]


class Summary(_Open):
    schema_version: StrictInt
    simroute_version: StrictStr
    scenario: ScenarioRef
    seed: StrictInt
    horizon_days: Annotated[StrictInt, Field(ge=1)]
    baseline_policy: StrictStr
    drift_onsets: list[DriftOnset]
    policies: Annotated[dict[StrictStr, PolicyFigures], Field(min_length=1)]
    monitors: dict[StrictStr, MonitorFigures] | None = None
    replicates: Replicates | None = None
    steady_state: dict[StrictStr, Any] | None = None
    calibration: dict[StrictStr, Any] | None = None


_EXPECTED = {"int_type": "a whole number", "float_type": "a number", "string_type": "text",
             "bool_type": "true or false", "dict_type": "a mapping", "model_type": "a mapping",
             "list_type": "a list", "greater_than_equal": "a number >= 0",
             "string_pattern_mismatch": "a SHA-256 hex digest", "too_short": "at least one entry"}


def _where(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def kind_of(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "a mapping", type(None): "null"}.get(type(value), type(value).__name__)


def check_summary(doc: dict, path: Path) -> Summary:
    """The summary validated against the contract; the first problem as one line naming the field."""
    try:
        summary = Summary.model_validate(doc)
    except ValidationError as err:
        errors = err.errors(include_url=False)
        # a union (number or null) reports one error per member: keep the first for each field
        e = errors[0]
        loc = tuple(p for p in e["loc"] if p not in ("int", "float", "none", "constrained-int", "constrained-str")
                    and not (isinstance(p, str) and p.startswith(("function-", "union["))))
        if e["type"] == "missing":
            raise ResultsError(f"{path}: {_where(loc[:-1]) or 'top level'}: missing {loc[-1]}") from None
        expected = _EXPECTED.get(e["type"], e["msg"].removeprefix("Input should be ").lower())
        if len(loc) < len(e["loc"]) and e["type"] in ("int_type", "float_type"):
            expected = "a number"  # a member of the number-or-null union
        got = f", got {kind_of(e.get('input'))} {repr(e.get('input'))[:40]}"
        raise ResultsError(f"{path}: {_where(loc)}: expected {expected}{got}") from None
    if summary.baseline_policy not in summary.policies:
        raise ResultsError(f"{path}: baseline_policy: '{summary.baseline_policy}' is not one of the policies")
    return summary


INT, FLOAT, STR, BOOL = "a whole number", "a number", "text", "true/false"
COLUMNS: dict[str, dict[str, str]] = {
    "daily": {"day": INT, "policy": STR, "tier": STR, "queries": INT, "correct": INT, "wrong_hedged": INT,
              "wrong_confident": INT, "thumbs_down": INT, "contacts": INT, "escalated": INT,
              "model_inference_usd": FLOAT, "quality": FLOAT},
    "users_daily": {"day": INT, "policy": STR, "churned": INT, "active_users": INT},
    "ledger": {"policy": STR, "month": INT, "first_day": INT, "days": INT, "cost_center": STR, "line_item": STR,
               "usd": FLOAT},
    "ledger_daily": {"day": INT, "policy": STR, "cost_center": STR, "line_item": STR, "usd": FLOAT},
    "monitors": {"day": INT, "monitor": STR, "statistic": FLOAT, "alarm": BOOL},
    "reliability": {"policy": STR, "tier": STR, "week": INT, "bin_low": FLOAT, "n": INT,
                    "mean_confidence": FLOAT, "accuracy": FLOAT},
    "calibration": {"policy": STR, "tier": STR, "week": INT, "ece": FLOAT, "brier": FLOAT},
    "curves": {"policy": STR, "rule": STR, "threshold": FLOAT, "cheap_share": FLOAT, "quality": FLOAT,
               "ai_platform_usd_per_month": FLOAT, "bill_pct_of_baseline": FLOAT},
    "router_scores": {"day": INT, "policy": STR, "bin_low": FLOAT, "count": INT},
    "model_reliability": {"week": INT, "model": STR, "bin_low": FLOAT, "answers": INT, "correct": INT,
                          "mean_confidence": FLOAT},
}
OPTIONAL = frozenset({"monitors", "reliability", "calibration", "curves", "model_reliability"})  # empty: none
NULLABLE = frozenset({("daily", "quality")})  # a day without queries of a tier has no quality


def _fits(dtype: pl.DataType, want: str) -> bool:
    if want == INT:
        return dtype.is_integer()
    if want == FLOAT:
        return dtype.is_numeric()
    if want == STR:
        return dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.Categorical, pl.Enum))
    return dtype == pl.Boolean


def check_table(name: str, frame: pl.DataFrame, path: Path) -> None:
    """The table's required columns with the right dtypes (an optional table may be empty: no columns)."""
    if name in OPTIONAL and not frame.columns:
        return
    want = COLUMNS.get(name, {})
    missing = [c for c in want if c not in frame.columns]
    if missing:
        raise ResultsError(f"{path}: missing columns {', '.join(missing)}")
    for col, kind in want.items():
        if not _fits(frame.schema[col], kind):
            raise ResultsError(f"{path}: column {col}: expected {kind}, got {frame.schema[col]}")
    for col in want:
        if (name, col) not in NULLABLE and frame[col].null_count():
            raise ResultsError(f"{path}: column {col}: {frame[col].null_count()} empty values")
