"""From an EvalSet and an optional base scenario to the likelihood's Design: which models and intents, the
fixed world parameters (difficulty tail, floors, ceilings, penalties, hidden and regulatory rates), the cells."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..scenario.measurable import tail_rule, traffic_mixture
from ..scenario.schema import Scenario
from ..scenario.tiers import Quality
from ..scenario.world import Difficulty
from .evalset import INTENT_NONE, EvalSet, correct_col
from .likelihood import MAX_MODELS, Design


class FitError(ValueError):
    """An eval that cannot be fitted; the message names the model, intent or column."""


def scenario_name(model_id: str) -> str:
    """A valid scenario name for a model id: 'mistralai/Mixtral-8x7B-Instruct-v0.1' -> 'Mixtral-8x7B-Instruct-v0_1'."""
    tail = re.sub(r"[^A-Za-z0-9_\-]", "_", model_id.rsplit("/", 1)[-1])
    return (tail if tail[:1].isalpha() else f"m{tail}")[:64]


@dataclass(frozen=True)
class Layout:
    """Names and positions: eval model ids, their scenario names and indices, the fitted intents."""

    eval_models: tuple[str, ...]
    models: tuple[str, ...]            # scenario names, in eval order
    model_index: tuple[int, ...]       # position in the scenario's models
    intents: tuple[str, ...]           # every intent of the resulting scenario
    fitted: tuple[str, ...]            # intents whose base_difficulty the eval informs
    cheap: int                         # position in eval order
    capable: int
    cells: pl.DataFrame                # intent, regulatory (nullable), n, pattern counts p0..p{2^M-1}


def layout(ev: EvalSet, base: Scenario | None, cheap: str, capable: str,
           names: Mapping[str, str] | None) -> Layout:
    """Match the eval's models and intents to the scenario's, and group its rows into cells."""
    if not 1 <= len(ev.models) <= MAX_MODELS:
        raise FitError(f"{ev.source}: need 1 to {MAX_MODELS} models, got {len(ev.models)}")
    names = dict(names or {})
    sc_names = tuple(names.get(m, m if base is not None else scenario_name(m)) for m in ev.models)
    if base is not None:
        known = [m.name for m in base.models]
        missing = [n for n in sc_names if n not in known]
        if missing:
            raise FitError(f"{ev.source}: model {missing[0]!r} is not in the base scenario "
                           f"(models: {', '.join(known)})")
        index = tuple(known.index(n) for n in sc_names)
    else:
        index = tuple(range(len(sc_names)))
    pos = {**{m: i for i, m in enumerate(ev.models)}, **{n: i for i, n in enumerate(sc_names)}}
    for role, m in (("cheap", cheap), ("capable", capable)):
        if m not in pos:
            raise FitError(f"{ev.source}: {role} model {m!r} is not in the eval (models: {', '.join(ev.models)})")
    frame = ev.frame
    missing_cols = [correct_col(m) for m in ev.models if correct_col(m) not in frame.columns]
    if missing_cols:
        raise FitError(f"{ev.source}: missing column {missing_cols[0]!r}")
    present = frame.filter(pl.all_horizontal([pl.col(correct_col(m)).is_not_null() for m in ev.models]))
    if present.height == 0:
        raise FitError(f"{ev.source}: no row has a correctness for every model")
    eval_intents = sorted(present["intent"].unique().to_list())
    no_category = eval_intents == [INTENT_NONE]
    if base is not None:
        intents = tuple(i.name for i in base.traffic.intents)
        if not no_category:
            unknown = [i for i in eval_intents if i not in intents]
            if unknown:
                raise FitError(f"{ev.source}: intent {unknown[0]!r} is not in the base scenario "
                               f"(intents: {', '.join(intents)})")
    else:
        intents = tuple(eval_intents)
    fitted = () if no_category else tuple(eval_intents)
    reg = pl.col("regulatory") if "regulatory" in present.columns else pl.lit(None, dtype=pl.Boolean)
    bits = [pl.col(correct_col(m)).cast(pl.Int64) * (1 << i) for i, m in enumerate(ev.models)]
    pattern = pl.sum_horizontal(bits)
    cells = (present.select(pl.col("intent"), reg.alias("regulatory"), pattern.alias("pattern"))
             .group_by("intent", "regulatory", "pattern").len()
             .pivot(on="pattern", index=["intent", "regulatory"], values="len")
             .fill_null(0).sort("intent", "regulatory", nulls_last=True))
    for j in range(2 ** len(ev.models)):
        if str(j) not in cells.columns:
            cells = cells.with_columns(pl.lit(0, dtype=pl.UInt32).alias(str(j)))
    cols = [str(j) for j in range(2 ** len(ev.models))]
    cells = cells.select("intent", "regulatory", *cols).with_columns(n=pl.sum_horizontal(cols))
    return Layout(ev.models, sc_names, index, intents, fitted, pos[cheap], pos[capable], cells)


@dataclass(frozen=True)
class WorldParts:
    """The world parameters the eval does not inform, from the base scenario or the schema's defaults."""

    quality: tuple[Quality, ...]       # per eval model
    difficulty: Difficulty
    base_difficulty: dict[str, float]
    hidden_rate: dict[str, float]
    regulatory_share: dict[str, float]


def world_parts(lay: Layout, base: Scenario | None) -> WorldParts:
    """Fixed parameters of the likelihood."""
    if base is None:
        q = Quality(skill=0.0)
        zero = {i: 0.0 for i in lay.intents}
        return WorldParts(tuple(q for _ in lay.models), Difficulty(), zero, zero, zero)
    t = base.traffic
    return WorldParts(tuple(base.models[i].quality for i in lay.model_index), t.difficulty,
                      {i.name: i.base_difficulty for i in t.intents}, {i.name: i.hidden_intent_rate for i in t.intents},
                      {i.name: i.regulatory_share for i in t.intents})


def build_design(lay: Layout, parts: WorldParts, base: Scenario | None) -> Design:
    """Cells as mixtures over hidden intent (and regulatory weight when the eval does not flag it)."""
    hp = np.array([q.hidden_intent_penalty for q in parts.quality])
    rp = np.array([q.regulatory_penalty for q in parts.quality])
    cell, intent, offset, weight, flags = [], [], [], [], []
    fitted = {name: k for k, name in enumerate(lay.fitted)}
    for c, row in enumerate(lay.cells.iter_rows(named=True)):
        if row["intent"] == INTENT_NONE and not lay.fitted:
            comps = _traffic_components(base, lay.intents) if base is not None else [(0, False, False, 1.0)]
        else:
            k = lay.intents.index(row["intent"])
            comps = _intent_components(parts, row["intent"], k, row["regulatory"])
        for k, hidden, regulatory, w in comps:
            name = lay.intents[k]
            cell.append(c)
            intent.append(fitted.get(name, -1))
            fixed = 0.0 if name in fitted else parts.base_difficulty.get(name, 0.0)
            offset.append(fixed + hp * hidden + rp * regulatory)
            weight.append(w)
            flags.append((hidden, regulatory))
    tail, tail_w = tail_rule(parts.difficulty.tail_index, parts.difficulty.scale)
    counts = lay.cells.select([str(j) for j in range(2 ** len(lay.models))]).to_numpy().astype(float)
    return Design(np.array(cell), np.array(intent), np.array(offset), np.array(weight), counts,
                  np.array([q.floor for q in parts.quality]), np.array([q.ceiling for q in parts.quality]),
                  tail, tail_w, np.array([f[0] for f in flags]), np.array([f[1] for f in flags]))


def _intent_components(parts: WorldParts, name: str, k: int, regulatory: bool | None):
    hr, rs = parts.hidden_rate[name], parts.regulatory_share[name]
    regs = [(False, 1 - rs), (True, rs)] if regulatory is None else [(bool(regulatory), 1.0)]
    return [(k, h, r, wh * wr) for h, wh in ((False, 1 - hr), (True, hr)) for r, wr in regs if wh * wr > 0]


def _traffic_components(base: Scenario, intents: tuple[str, ...]):
    mix = traffic_mixture(base.traffic)
    return [(int(k), bool(h), bool(r), float(w)) for k, h, r, w in zip(mix.intent, mix.hidden, mix.regulatory,
                                                                      mix.weight, strict=True)]
