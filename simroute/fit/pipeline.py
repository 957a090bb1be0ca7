"""`fit_world`: split a team's eval and logs into a calibration part and a held-out part, fit the world on the
calibration part, write it as a commented scenario, and check the held-out part against the fitted world.

Split rules (stated in the fit report and the scenario header):
- the eval by query, stratified by intent: within every intent, round(share x n) queries (at least one kept
  for calibration) chosen by a uniform draw from the named stream `fit:split:eval` of `seed`;
- the logs by day, chronologically: the last days are held out (whole weeks when the logs span two weeks or
  more, so every weekday is in both parts; else round(share x days), at least one). Days rather than users,
  because arrivals and seasonality are per day and a user split would shrink the fitted population by the
  share; the last days rather than random ones, because the fitted world is used forward in time and the log
  fit reads a gap in the calendar as a day without traffic.

Merging: the eval's records first, then the logs'; where both set one YAML path the log value wins (production
traffic is what the scenario replays) and the overridden eval record is named in the notes. Eval records on
`traffic.intents[k]` follow their intent by name when the log fit reorders or drops intents.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl
import yaml

from ..errors import SimrouteError
from ..rng import Streams
from ..scenario.loader import scenario_from_dict
from ..scenario.schema import Scenario
from .checks import Comparison, compare
from .design import FitError, scenario_name
from .evals import EvalFit, fit_eval
from .evalset import INTENT_NONE, EvalSet, correct_col
from .logs import LogFit, fit_logs
from .logset import LogSet
from .records import FittedValue
from .scenario_writer import apply_records, assumed_parameters, fit_header, write_scenario

EVAL_SPLIT_STREAM = "fit:split:eval"
MIN_CALIBRATION_DAYS = 7
_INTENT_PATH = re.compile(r"^traffic\.intents\[(\d+)\](.*)$")


class FitInputError(SimrouteError):
    """Inputs `fit_world` cannot work with (one line naming the input and what was expected)."""


@dataclass(frozen=True)
class Split:
    """How the data were split: the rule, and the sizes of both parts."""

    holdout_share: float
    seed: int
    eval_rule: str = ""
    eval_sizes: tuple[int, int] = (0, 0)              # calibration, held-out rows
    log_rule: str = ""
    log_days: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # calibration, held-out dates (ISO)
    log_sizes: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class FitResult:
    """The fitted world (scenario text and Scenario), its records and notes, and the held-out comparison."""

    text: str
    scenario: Scenario
    records: tuple[FittedValue, ...]
    assumptions: tuple[str, ...]                       # YAML paths marked `assumption: not in the data`
    notes: tuple[str, ...]
    split: Split
    comparison: Comparison
    sources: tuple[str, ...]
    eval_fit: EvalFit | None = field(default=None, repr=False)
    log_fit: LogFit | None = field(default=None, repr=False)


# --- splitting -----------------------------------------------------------------------------------------------

def split_eval(ev: EvalSet, share: float, seed: int) -> tuple[EvalSet, EvalSet]:
    """(calibration, held-out): per intent the round(share x n) queries with the smallest uniform keys."""
    key = Streams(seed).generator(EVAL_SPLIT_STREAM).random(ev.frame.height)
    f = ev.frame.with_columns(pl.Series("_key", key))
    n_k = pl.len().over("intent")
    held_k = pl.min_horizontal((n_k * share + 0.5).floor().cast(pl.Int64), n_k - 1)
    held = pl.col("_key").rank("ordinal").over("intent") <= held_k
    f = f.with_columns(held.alias("_held"))
    cal, out = f.filter(~pl.col("_held")).drop("_key", "_held"), f.filter(pl.col("_held")).drop("_key", "_held")
    return (EvalSet(cal, ev.models, f"{ev.source} (calibration)"),
            EvalSet(out, ev.models, f"{ev.source} (held out)"))


def heldout_days(n_days: int, share: float) -> int:
    """Days held out of `n_days`: whole weeks from two weeks on, else round(share x days); at least one, and
    at least MIN_CALIBRATION_DAYS (or one day when shorter) left to fit."""
    if n_days < 2:
        return 0
    if n_days >= 2 * 7:
        k = max(1, math.floor(share * n_days / 7 + 0.5)) * 7
        return min(k, (n_days - MIN_CALIBRATION_DAYS) // 7 * 7)
    return min(max(1, math.floor(share * n_days + 0.5)), n_days - 1)


def split_logs(logs: LogSet, share: float) -> tuple[LogSet, LogSet | None, list[str], list[str]]:
    """(calibration, held-out or None, calibration dates, held-out dates): the last days held out."""
    dates = logs.frame.select(pl.col("start_time").dt.date().unique().sort())["start_time"].to_list()
    lo, hi = dates[0], dates[-1]
    span = (hi - lo).days + 1
    k = heldout_days(span, share)
    if k == 0:
        return logs, None, [str(d) for d in dates], []
    cut = pl.date_range(lo, hi, "1d", eager=True)[span - k]
    day = pl.col("start_time").dt.date()
    start = logs.frame["start_time"]
    if start.null_count() == 0 and start.is_sorted():  # calls in time order (the usual log): views, no copy
        n_cal = logs.frame.select((day < cut).sum()).item()
        cal, held = logs.frame.slice(0, n_cal), logs.frame.slice(n_cal)
    else:
        cal, held = logs.frame.filter(day < cut), logs.frame.filter(day >= cut)
    return (LogSet(cal, f"{logs.source} (calibration)"), LogSet(held, f"{logs.source} (held out)"),
            [str(d) for d in dates if d < cut], [str(d) for d in dates if d >= cut])


# --- a base when none is given ---------------------------------------------------------------------------------

def minimal_base(models: Sequence[str], intents: Sequence[str], cheap: str | None, capable: str | None,
                 shares: Sequence[float] | None = None) -> Scenario:
    """A small valid world with these models and intents at the schema's defaults (every value an
    assumption), a `single` policy per model and `pre_route` when a cheap and a capable model are named."""
    def model(name: str) -> dict:
        return {"name": name, "price_in_usd_per_1k_tokens": 0.0, "price_out_usd_per_1k_tokens": 0.0,
                "latency": {"median_s": 1.0}, "quality": {"skill": 0.0}, "failure": {"confident_share": 0.5}}
    w = list(shares) if shares is not None else [1.0 / len(intents)] * len(intents)
    w[0] = 1.0 - sum(w[1:])
    policies: list[dict] = [{"name": f"single_{m}" if m != capable else "single", "kind": "single", "model": m}
                            for m in models]
    if cheap is not None and capable is not None:
        policies.append({"name": "pre_route", "kind": "pre_route", "cheap_model": cheap, "capable_model": capable})
    baseline = "single" if capable in models else policies[0]["name"]
    return scenario_from_dict({
        "name": "fitted", "horizon_days": 28,
        "users": {"mau": 10_000, "queries_per_user_per_day": 0.1,
                  "segments": [{"name": "everyone", "share": 1.0, "arpu_usd_per_month": 20.0,
                                "baseline_churn_per_month": 0.0}]},
        "traffic": {"intents": [{"name": i, "share": s, "surface_class": "simple"}
                                for i, s in zip(intents, w, strict=True)]},
        "models": [model(m) for m in models],
        "reactions": {k: {"contact_probability": 0.0, "thumbs_down_probability": 0.0, "csat": 4.0,
                          "frustration": 0.0} for k in ("correct", "wrong_hedged", "wrong_confident")},
        "economics": {"support": {"usd_per_contact": 1.0}},
        "report": {"baseline_policy": baseline},
        "policies": policies}, source="<minimal base>")


# --- checks on the inputs ---------------------------------------------------------------------------------------

def _check_eval(ev: EvalSet, cheap: str | None, capable: str | None, names: Mapping[str, str]) -> tuple[str, str]:
    if len(ev.models) < 2:
        raise FitInputError(f"{ev.source}: an eval needs at least two models side by side, got "
                            f"{len(ev.models)} ({', '.join(ev.models) or 'none'})")
    if cheap is None or capable is None:
        raise FitInputError(f"{ev.source}: name the cheap and the capable model (eval models: "
                            f"{', '.join(ev.models)})")
    known = set(ev.models) | {names.get(m, m) for m in ev.models}
    for role, m in (("cheap", cheap), ("capable", capable)):
        if m not in known:
            raise FitInputError(f"{ev.source}: {role} model {m!r} is not in the eval (models: {', '.join(ev.models)})")
    eid = {**{names.get(m, m): m for m in ev.models}, **{m: m for m in ev.models}}
    if eid[cheap] == eid[capable]:
        raise FitInputError(f"{ev.source}: the cheap and the capable model are the same ({cheap!r})")
    missing = [correct_col(m) for m in ev.models if correct_col(m) not in ev.frame.columns]
    if missing:
        raise FitInputError(f"{ev.source}: missing column {missing[0]!r}")
    if ev.frame.height < 2:
        raise FitInputError(f"{ev.source}: need at least 2 rows to split, got {ev.frame.height}")
    return eid[cheap], eid[capable]


def _eval_names(ev: EvalSet, base: Scenario | None, names: Mapping[str, str]) -> dict[str, str]:
    """Eval model id -> scenario name, as the eval fit names them."""
    return {m: names.get(m, m if base is not None else scenario_name(m)) for m in ev.models}


def _logs_base(logs: LogSet, cheap: str | None, capable: str | None) -> Scenario:
    f = logs.frame
    by_calls = f.group_by("model").len().sort(["len", "model"], descending=[True, False])["model"].to_list()
    models = [m for m in by_calls if m is not None]
    intents = (sorted(f["intent"].drop_nulls().unique().to_list()) if "intent" in f.columns else []) or ["all"]
    for role, m in (("cheap", cheap), ("capable", capable)):
        if m is not None and m not in models:
            raise FitInputError(f"{logs.source}: {role} model {m!r} is not in the logs (models: {', '.join(models)})")
    return minimal_base(models, intents, cheap, capable)


# --- merging -----------------------------------------------------------------------------------------------------

def _follow_intents(records: Sequence[FittedValue], before: Sequence[str],
                    after: Sequence[str] | None, notes: list[str]) -> list[FittedValue]:
    """Re-index `traffic.intents[k]` records from the list `before` to the list `after` (by intent name)."""
    if after is None:
        return list(records)
    out = []
    for r in records:
        m = _INTENT_PATH.match(r.path)
        if m is None:
            out.append(r)
            continue
        name = before[int(m.group(1))]
        if name not in after:
            notes.append(f"{r.path} (intent {name}) fitted from the eval is dropped: the logs have no {name}")
            continue
        out.append(FittedValue(f"traffic.intents[{after.index(name)}]{m.group(2)}", r.value, r.comment))
    return out


def merge_records(eval_records: Sequence[FittedValue], log_records: Sequence[FittedValue],
                  base_intents: Sequence[str], notes: list[str]) -> tuple[FittedValue, ...]:
    """Eval records then log records; on a path both set the log value wins (named in `notes`)."""
    structural = next((r for r in log_records if r.path == "traffic.intents" and isinstance(r.value, list)), None)
    after = [str(v) for v in structural.value] if structural is not None and isinstance(structural.value, list) \
        else None
    moved = _follow_intents(eval_records, base_intents, after, notes)
    from_logs = {r.path for r in log_records}
    for r in moved:
        if r.path in from_logs:
            notes.append(f"{r.path}: the log fit's value replaces the eval's ({r.value})")
    return tuple([r for r in moved if r.path not in from_logs] + list(log_records))


def _eval_taxonomy(base: Scenario, ev: EvalSet, cheap: str, capable: str,
                   provenance: dict[str, str]) -> tuple[Scenario, list[FittedValue], dict[str, str]]:
    """When the eval's categories are not all intents of the base scenario, they become the intents: shares from
    the eval; every other field from the base's intent when it has one (its comments with it), else defaults; and
    the surface label a team would give a category from its eval: `complex` where the capable model's lead over
    the cheap one is above its lead overall, else `simple`."""
    frame = ev.frame.filter(pl.col("intent") != INTENT_NONE)
    lead = (pl.col(correct_col(capable)).cast(pl.Float64) - pl.col(correct_col(cheap)).cast(pl.Float64)).mean()
    table = frame.group_by("intent").agg(pl.len().alias("n"), lead.alias("lead")).sort("intent")
    names = table["intent"].to_list()
    if not names or {*names} <= {i.name for i in base.traffic.intents}:
        return base, [], provenance
    overall = float(frame.select(lead).item())
    data = base.model_dump(mode="json", exclude_none=True)
    template = data["traffic"]["intents"][0] if len(data["traffic"]["intents"]) == 1 else {}
    n = int(table["n"].sum())
    shares = [round(c / n, 6) for c in table["n"]]
    shares[-1] = round(1.0 - sum(shares[:-1]), 6)
    data["traffic"]["intents"] = [{**template, "name": name, "share": share} for name, share in zip(names, shares,
                                                                                                   strict=True)]
    data["drift"] = [d for d in data.get("drift", []) if d.get("target") is None or d["target"] not in
                     {i.name for i in base.traffic.intents}]
    records = [FittedValue("traffic.intents", names, f"fitted: categories of eval {ev.source}")]
    for k, (name, c, share, gap) in enumerate(zip(names, table["n"], shares, table["lead"], strict=True)):
        label = "complex" if gap > overall else "simple"
        records += [FittedValue(f"traffic.intents[{k}].share", share, f"fitted: share of eval queries on {name} "
                                f"(n={c:,} of {n:,})"),
                    FittedValue(f"traffic.intents[{k}].surface_class", label, f"fitted: the capable model's lead on "
                                f"{name} ({gap:+.3f}) is {'above' if label == 'complex' else 'not above'} its lead "
                                f"overall ({overall:+.3f}), as a team labels categories from its eval")]
    kept = {k: v for k, v in provenance.items() if not k.startswith("traffic.intents[")}
    if template:
        for key, comment in provenance.items():
            if key.startswith("traffic.intents[0]."):
                kept.update({key.replace("traffic.intents[0].", f"traffic.intents[{k}].", 1): comment
                             for k in range(len(names))})
    return scenario_from_dict(data, source=f"{base.name} with the eval's categories"), records, kept


# --- the whole fit ----------------------------------------------------------------------------------------------

@dataclass
class _Parts:
    """What the eval and log sides of a fit hand on: the base they refined, records, splits, notes, sources."""

    base: Scenario | None
    base_provenance: dict[str, str] | None
    split: Split
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    eval_fit: EvalFit | None = None
    eval_records: list[FittedValue] = field(default_factory=list)
    ev_cal: EvalSet | None = None
    ev_held: EvalSet | None = None
    roles: tuple[str | None, str | None] = (None, None)
    log_fit: LogFit | None = None
    log_records: list[FittedValue] = field(default_factory=list)
    logs_cal: LogSet | None = None
    logs_held: LogSet | None = None


def _eval_base(evalset: EvalSet, ev_cal: EvalSet, parts: _Parts, to_name: dict[str, str], cheap_id: str,
               capable_id: str) -> tuple[Scenario | None, list[FittedValue]]:
    """The base the eval fit refines (None: a minimal world is made for it) and the eval's taxonomy records."""
    if parts.base is None:
        intents = sorted(evalset.frame["intent"].drop_nulls().unique().to_list()) or [INTENT_NONE]
        parts.base = minimal_base([to_name[m] for m in evalset.models], intents, to_name[cheap_id],
                                  to_name[capable_id])
        parts.notes.append("no base scenario: a minimal world with the eval's models and intents at the schema's "
                           "defaults (every unfitted value an assumption)")
        return None, []
    parts.base, taxonomy, parts.base_provenance = _eval_taxonomy(parts.base, ev_cal, cheap_id, capable_id,
                                                                 dict(parts.base_provenance or {}))
    if taxonomy:
        parts.notes.append(f"the eval's categories replace the base scenario's intents ({len(taxonomy) // 2} "
                           "intents, shares and surface labels from the eval)")
    return parts.base, taxonomy


def _fit_eval_side(evalset: EvalSet, parts: _Parts, cheap: str | None, capable: str | None,
                   names: dict[str, str]) -> None:
    """Split the eval, fit the models' quality on its calibration part, and record what was done in `parts`."""
    share, seed = parts.split.holdout_share, parts.split.seed
    cheap_id, capable_id = _check_eval(evalset, cheap, capable, names)
    to_name = _eval_names(evalset, parts.base, names)
    ev_cal, ev_held = split_eval(evalset, share, seed)
    base_fit, taxonomy = _eval_base(evalset, ev_cal, parts, to_name, cheap_id, capable_id)
    try:
        parts.eval_fit = fit_eval(ev_cal, base_fit, cheap_id, capable_id, names=names)
    except FitError as e:
        raise FitInputError(str(e)) from None
    parts.eval_records = [*taxonomy, *parts.eval_fit.values] if base_fit is not None else list(parts.eval_fit.values)
    parts.ev_cal, parts.ev_held = ev_cal, ev_held
    parts.roles = (to_name[cheap_id], to_name[capable_id])
    parts.sources.append(f"eval {evalset.source} ({ev_cal.frame.height:,} of {evalset.frame.height:,} queries)")
    parts.split = Split(share, seed, f"by query, stratified by intent: {share:.0%} of each intent's "
                        f"queries held out (uniform draw, stream {EVAL_SPLIT_STREAM}, seed {seed})",
                        (ev_cal.frame.height, ev_held.frame.height))


def _fit_log_side(logs: LogSet, world: Scenario, parts: _Parts) -> None:
    """Split the logs by day, fit the traffic and per-call side on the calibration days, record it in `parts`."""
    if logs.frame.height == 0:
        raise FitInputError(f"{logs.source}: no rows to fit")
    split = parts.split
    logs_cal, logs_held, cal_days, held_days = split_logs(logs, split.holdout_share)
    parts.log_fit = fit_logs(logs_cal, world)
    parts.log_records = list(parts.log_fit.records)
    parts.notes += list(parts.log_fit.notes)
    parts.logs_cal, parts.logs_held = logs_cal, logs_held
    parts.sources.append(f"logs {logs.source} ({len(cal_days)} of {len(cal_days) + len(held_days)} days)")
    whole = "whole weeks" if len(cal_days) + len(held_days) >= 14 else f"{split.holdout_share:.0%} of the days"
    rule = f"by day, chronologically: the last {len(held_days)} days held out ({whole})"
    parts.split = Split(split.holdout_share, split.seed, split.eval_rule, split.eval_sizes, rule,
                        (tuple(cal_days), tuple(held_days)),
                        (logs_cal.frame.height, 0 if logs_held is None else logs_held.frame.height))


def _assemble(parts: _Parts, base: Scenario, policy: str | None, title: str) -> FitResult:
    """Merge the records, write the commented scenario and check it on the held-out parts."""
    split, notes = parts.split, parts.notes
    records = merge_records(parts.eval_records, parts.log_records, [i.name for i in base.traffic.intents], notes)
    rules = [f"Held out ({split.holdout_share:.0%}, seed {split.seed}): {what} {rule}" for what, rule in
             (("the eval", split.eval_rule), ("the logs", split.log_rule)) if rule]
    header = fit_header("\n".join([title, *rules]), parts.sources, notes)
    text = write_scenario(base, records, base_provenance=parts.base_provenance, header=header,
                          source="<fitted scenario>")
    fitted = scenario_from_dict(yaml.safe_load(text), source="<fitted scenario>")
    assumed = tuple(assumed_parameters(text))
    comparison = compare(fitted, parts.eval_fit, parts.ev_cal, parts.ev_held, parts.log_fit, parts.logs_cal,
                         parts.logs_held, seed=split.seed, policy=policy, assumed=assumed, cheap=parts.roles[0],
                         capable=parts.roles[1])
    return FitResult(text, fitted, records, assumed, tuple(notes), split, comparison, tuple(parts.sources),
                     parts.eval_fit, parts.log_fit)


def fit_world(evalset: EvalSet | None, logs: LogSet | None, base: Scenario | None, *, cheap: str | None,
              capable: str | None, holdout_share: float = 0.2, seed: int = 0,
              names: Mapping[str, str] | None = None, policy: str | None = None,
              base_provenance: dict[str, str] | None = None, title: str = "simroute fitted scenario") -> FitResult:
    """Fit the world on the calibration part of the eval and/or logs and check it on the held-out part.
    `policy` names the fitted scenario's policy that stands for the one that served the logs (default: the
    baseline); the held-out comparison simulates the logs with it."""
    if evalset is None and logs is None:
        raise FitInputError("fit: give an eval, logs, or both")
    if not 0.0 < holdout_share < 1.0:
        raise FitInputError(f"holdout_share: must be between 0 and 1 (exclusive), got {holdout_share:g}")
    parts = _Parts(base, base_provenance, Split(holdout_share, seed), roles=(cheap, capable))
    if evalset is not None:
        _fit_eval_side(evalset, parts, cheap, capable, dict(names or {}))
    elif parts.base is None:
        assert logs is not None
        parts.base = _logs_base(logs, cheap, capable)
        parts.notes.append("no base scenario: a minimal world with the logs' models and intents at the schema's "
                           "defaults (every unfitted value an assumption)")
    assert parts.base is not None
    world = (scenario_from_dict(apply_records(parts.base, parts.eval_records), source="<eval fit>")
             if parts.eval_records else parts.base)
    if logs is not None:
        _fit_log_side(logs, world, parts)
    return _assemble(parts, parts.base, policy, title)


def eval_model_names(ev: EvalSet, fit: EvalFit) -> dict[str, str]:
    """Eval model id -> scenario name of a fit of that eval."""
    return dict(zip(ev.models, fit.models, strict=True))


__all__ = ["FitInputError", "FitResult", "Split", "eval_model_names", "fit_world", "heldout_days", "merge_records",
           "minimal_base", "split_eval", "split_logs"]
