"""`fit_eval`: the eval fit as records a scenario writer can place, each with its YAML path, value and a
provenance comment in the project's style, plus the parameters the eval cannot inform, marked as assumptions."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ..scenario.loader import apply_overrides, scenario_from_dict
from ..scenario.schema import Scenario
from ..scenario.tiers import Confidence, FailureStyle
from .calibration import NAMES as CALIBRATION_NAMES
from .calibration import Calibration, fit_calibration
from .design import Layout, WorldParts
from .estimate import Estimates, fit_parts, model_tables
from .evalset import EvalSet, correct_col
from .likelihood import Design, patterns
from .records import FittedValue

NOT_IN_DATA = "assumption: not in the data"
JOINT = ("both_right", "only_cheap_right", "only_capable_right", "both_wrong")


@dataclass(frozen=True)
class EvalFit:
    """Everything fitted from one eval. Tables: `accuracy` (intent, model, n, correct, accuracy, se, expected) and
    `joint` (intent, n, observed counts of the cheap/capable table and their model-implied shares)."""

    source: str
    models: tuple[str, ...]                  # scenario model names, eval order
    model_paths: tuple[str, ...]             # models[i] of each
    intents: tuple[str, ...]                 # fitted intents
    skill: dict[str, float]
    skill_se: dict[str, float]
    base_difficulty: dict[str, float]
    base_difficulty_se: dict[str, float]
    outcome_correlation: float
    outcome_correlation_se: float | None
    pin: str
    accuracy: pl.DataFrame
    joint: pl.DataFrame
    calibration: dict[str, Calibration]
    surface_share: dict[str, float]          # per intent: share of rows labelled simple
    n: int
    negloglik: float
    values: tuple[FittedValue, ...]
    assumptions: tuple[FittedValue, ...]
    estimates: Estimates = field(repr=False)

    def apply(self, base: Scenario) -> Scenario:
        """The base scenario with every fitted value set (validated like a file)."""
        data = apply_overrides(base.model_dump(mode="json"), {v.path: v.value for v in self.values})
        return scenario_from_dict(data, source=f"fit of {self.source}")


def fit_eval(evalset: EvalSet, base: Scenario | None, cheap: str, capable: str, *,
             names: Mapping[str, str] | None = None) -> EvalFit:
    """Fit the eval (see simroute.fit.estimate for the method and the identifiability pin). `cheap` and
    `capable` name two of its models (eval id or scenario name); `names` maps eval model ids to scenario
    names (default: the same name with a base, a sanitised id without)."""
    lay, parts, d, est = fit_parts(evalset, base, cheap, capable, names)
    acc = _accuracy_table(lay, d, est)
    joint = _joint_table(lay, d, est)
    calib = _calibrations(evalset, lay, parts, d, est, base)
    surface = _surface_shares(evalset)
    model_paths = tuple(f"models[{i}]" for i in lay.model_index)
    skill = dict(zip(lay.models, map(float, est.skill), strict=True))
    skill_se = dict(zip(lay.models, map(float, est.skill_se), strict=True))
    diff = dict(zip(lay.fitted, map(float, est.diff), strict=True))
    diff_se = dict(zip(lay.fitted, map(float, est.diff_se), strict=True))
    pin = (f"eval-weighted mean base_difficulty of the fitted intents pinned to {est.anchor:g}" if lay.fitted
           else "no pin: every base_difficulty as stated")
    values = _values(evalset, lay, est, acc, joint, calib, surface, base, pin)
    assumptions = _assumptions(lay, parts, base, calib, evalset)
    return EvalFit(evalset.source, lay.models, model_paths, lay.fitted, skill, skill_se, diff, diff_se, est.rho,
                   est.rho_se, pin, acc, joint, calib, surface, int(d.counts.sum()), est.negloglik, values,
                   assumptions, est)


def _cell_intents(lay: Layout) -> list[str]:
    return lay.cells["intent"].to_list()


def _accuracy_table(lay: Layout, d: Design, est: Estimates) -> pl.DataFrame:
    """Observed and model-implied accuracy of every model on every intent."""
    pats = patterns(d.n_models)
    expected = model_tables(d, est)
    rows = []
    intents = _cell_intents(lay)
    for name in dict.fromkeys(intents):
        sel = np.array([i == name for i in intents])
        counts, n = d.counts[sel].sum(axis=0), d.counts[sel].sum()
        exp = (expected[sel] * d.counts[sel].sum(axis=1, keepdims=True)).sum(axis=0) / n
        for m, model in enumerate(lay.models):
            right = float(counts[pats[:, m]].sum())
            a = right / n
            rows.append({"intent": name, "model": model, "n": int(n), "correct": int(right), "accuracy": a,
                         "se": float(np.sqrt(a * (1 - a) / n)), "expected": float(exp[pats[:, m]].sum())})
    return pl.DataFrame(rows)


def _joint_table(lay: Layout, d: Design, est: Estimates) -> pl.DataFrame:
    """Per intent the cheap/capable table: observed counts and model-implied shares."""
    pats = patterns(d.n_models)
    c, k = lay.cheap, lay.capable
    masks = [pats[:, c] & pats[:, k], pats[:, c] & ~pats[:, k], ~pats[:, c] & pats[:, k], ~pats[:, c] & ~pats[:, k]]
    expected = model_tables(d, est)
    intents = _cell_intents(lay)
    rows = []
    for name in dict.fromkeys(intents):
        sel = np.array([i == name for i in intents])
        counts, n = d.counts[sel].sum(axis=0), d.counts[sel].sum()
        exp = (expected[sel] * d.counts[sel].sum(axis=1, keepdims=True)).sum(axis=0) / n
        row: dict = {"intent": name, "n": int(n)}
        for label, mask in zip(JOINT, masks, strict=True):
            row[label] = int(counts[mask].sum())
            row[f"expected_{label}"] = float(exp[mask].sum())
        rows.append(row)
    return pl.DataFrame(rows)


def _calibrations(ev: EvalSet, lay: Layout, parts: WorldParts, d: Design, est: Estimates,
                  base: Scenario | None) -> dict[str, Calibration]:
    """Confidence calibration of every model whose confidences the eval records."""
    out: dict[str, Calibration] = {}
    key = {(r["intent"], r["regulatory"]): c for c, r in enumerate(lay.cells.iter_rows(named=True))}
    for m, (eid, name) in enumerate(zip(lay.eval_models, lay.models, strict=True)):
        col = f"confidence:{eid}"
        if col not in ev.frame.columns:
            continue
        reg = pl.col("regulatory") if "regulatory" in ev.frame.columns else pl.lit(None, dtype=pl.Boolean)
        rows = ev.frame.select("intent", reg.alias("regulatory"), pl.col(correct_col(eid)).alias("c"),
                               pl.col(col).alias("p")).drop_nulls(["c", "p"])
        rows = rows.filter(pl.struct("intent", "regulatory").is_not_null())
        cells = np.array([key.get((i, r), -1) for i, r in zip(rows["intent"], rows["regulatory"], strict=True)])
        keep = cells >= 0
        if keep.sum() < 50:
            continue
        model = base.models[lay.model_index[m]] if base is not None else None
        failure = model.failure if model is not None else FailureStyle(confident_share=0.5)
        prior = model.confidence if model is not None else Confidence()
        out[name] = fit_calibration(d, m, cells[keep], rows["c"].to_numpy()[keep], rows["p"].to_numpy()[keep],
                                    float(est.skill[m]), est.diff, parts.quality[m], failure, prior)
    return out


def _surface_shares(ev: EvalSet) -> dict[str, float]:
    if "surface" not in ev.frame.columns:
        return {}
    f = ev.frame.filter(pl.col("surface").is_not_null())
    if f.height == 0:
        return {}
    g = f.group_by("intent").agg((pl.col("surface") == "simple").mean().alias("s")).sort("intent")
    return dict(zip(g["intent"].to_list(), map(float, g["s"].to_list()), strict=True))


def _fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}"


def _values(ev: EvalSet, lay: Layout, est: Estimates, acc: pl.DataFrame, joint: pl.DataFrame,
            calib: dict[str, Calibration], surface: dict[str, float], base: Scenario | None,
            pin: str) -> tuple[FittedValue, ...]:
    """Every fitted value with its provenance."""
    out: list[FittedValue] = []
    src = ev.source
    n_all = int(acc.filter(pl.col("model") == lay.models[0])["n"].sum())
    for m, (name, i) in enumerate(zip(lay.models, lay.model_index, strict=True)):
        path = f"models[{i}]"
        if base is None:
            out.append(FittedValue(f"{path}.name", name, f"fitted: model {lay.eval_models[m]} of eval {src}"))
        mine = acc.filter(pl.col("model") == name)
        a = float(mine["correct"].sum()) / float(mine["n"].sum())
        se_a = float(np.sqrt(a * (1 - a) / n_all))
        out.append(FittedValue(f"{path}.quality.skill", round(float(est.skill[m]), 4),
                               f"fitted: accuracy of {name} {_fmt(a)} from eval {src} (n={n_all}, se {_fmt(se_a)}); "
                               f"skill se {_fmt(est.skill_se[m])}; {pin}"))
        for p, c in calib.get(name, Calibration({}, {}, 0)).values.items():
            se = calib[name].se[p]
            out.append(FittedValue(f"{path}.confidence.{p}", round(c, 4),
                                   f"fitted: confidences of {name} from eval {src} (n={calib[name].n}, se {se:.3g})"))
    intents = lay.intents
    n_of = {r["intent"]: r["n"] for r in joint.iter_rows(named=True)}
    for k, name in enumerate(lay.fitted):
        path = f"traffic.intents[{intents.index(name)}]"
        if base is None:
            out.append(FittedValue(f"{path}.name", name, f"fitted: category {name} of eval {src}"))
            out.append(FittedValue(f"{path}.share", round(n_of[name] / n_all, 6),
                                   f"fitted: share of eval queries on {name} (n={n_of[name]} of {n_all})"))
        per = acc.filter(pl.col("intent") == name)
        parts = ", ".join(f"of {r['model']} {_fmt(r['accuracy'])} (se {_fmt(r['se'])})"
                          for r in per.iter_rows(named=True))
        out.append(FittedValue(f"{path}.base_difficulty", round(float(est.diff[k]), 4),
                               f"fitted: accuracy on {name} {parts} from eval (n={n_of[name]}, "
                               f"se {_fmt(est.diff_se[k])})"))
    for name, share in surface.items():
        if name in intents:
            label = "simple" if share >= 0.5 else "complex"
            out.append(FittedValue(f"traffic.intents[{intents.index(name)}].surface_class", label,
                                   f"fitted: {share:.0%} of eval queries on {name} labelled simple "
                                   f"(n={n_of.get(name, 0)})"))
    if len(lay.models) >= 2:
        tot = {c: int(joint[c].sum()) for c in JOINT}
        shares = ", ".join(f"{c.replace('_', ' ')} {tot[c] / n_all:.3f}" for c in JOINT)
        rho_se = "at its bound" if est.rho_se is None else f"se {_fmt(est.rho_se)}"
        out.append(FittedValue("outcome_correlation", round(est.rho, 4),
                               f"fitted: joint outcomes of {lay.models[lay.cheap]} / {lay.models[lay.capable]} "
                               f"from eval {src} (n={n_all}: {shares}); {rho_se}"))
    return tuple(out)


def _assumptions(lay: Layout, parts: WorldParts, base: Scenario | None, calib: dict[str, Calibration],
                 ev: EvalSet) -> tuple[FittedValue, ...]:
    """The parameters of the eval's domain the eval cannot inform, with the values the fit assumed."""
    out: list[FittedValue] = []
    d = parts.difficulty
    out += [FittedValue("traffic.difficulty.tail_index", d.tail_index, f"{NOT_IN_DATA} (shape of the difficulty "
                        "tail; trades off against outcome_correlation)"),
            FittedValue("traffic.difficulty.scale", d.scale, f"{NOT_IN_DATA} (difficulty units)")]
    for m, (name, i) in enumerate(zip(lay.models, lay.model_index, strict=True)):
        q = parts.quality[m]
        path = f"models[{i}]"
        for key in ("hidden_intent_penalty", "regulatory_penalty", "ceiling", "floor"):
            out.append(FittedValue(f"{path}.quality.{key}", getattr(q, key), f"{NOT_IN_DATA} ({name})"))
        model = base.models[i] if base is not None else None
        failure = model.failure if model is not None else FailureStyle(confident_share=0.5)
        out.append(FittedValue(f"{path}.failure.confident_share", failure.confident_share,
                               f"{NOT_IN_DATA} ({name}: hedged vs confident wrong answers are not graded)"))
        conf = model.confidence if model is not None else Confidence()
        unfitted = ("hidden_awareness", "hedge_drop") if name in calib else \
            CALIBRATION_NAMES + ("hidden_awareness", "hedge_drop")
        why = "" if name in calib else ": the eval records no confidences"
        for key in unfitted:
            out.append(FittedValue(f"{path}.confidence.{key}", getattr(conf, key), f"{NOT_IN_DATA} ({name}{why})"))
    for name in lay.intents:
        k = lay.intents.index(name)
        path = f"traffic.intents[{k}]"
        out.append(FittedValue(f"{path}.hidden_intent_rate", parts.hidden_rate.get(name, 0.0),
                               f"{NOT_IN_DATA} (hidden intents are not labelled in the eval)"))
        if "regulatory" not in ev.frame.columns:
            out.append(FittedValue(f"{path}.regulatory_share", parts.regulatory_share.get(name, 0.0), NOT_IN_DATA))
        if name not in lay.fitted:
            out.append(FittedValue(f"{path}.base_difficulty", parts.base_difficulty.get(name, 0.0),
                                   f"{NOT_IN_DATA} (intent {name} is not in the eval)"))
    return tuple(out)
