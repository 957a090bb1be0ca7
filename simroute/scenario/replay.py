"""The replay section of a scenario: a recorded, graded side-by-side eval the day source bootstraps queries
from (`traffic.replay`), with the recorded correctness of every model instead of drawn answers.

The eval is read (and cached) when the scenario is validated, so a missing correctness column, too few
recorded queries or a drift naming a category the eval lacks is one located error line, before any run.
"""
from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, model_validator

from ..errors import SimrouteError
from ..importers import EvalMapping, EvalSet, read_eval
from .base import MAX_DAYS, Day, Frozen, Name, Probability, bounds

RecordedCount = Annotated[int, *bounds(1, 100_000_000, doc="at most a hundred million recorded queries")]


class Resample(str, Enum):
    """How each day's queries are drawn from the recorded ones."""

    bootstrap = "bootstrap"  # with replacement, weighted by the day's category shares


class RouterFeatures(str, Enum):
    """What the pre-routing classifier trained on the recorded training split reads."""

    auto = "auto"          # the prompt text when the eval has it and scikit-learn is installed, else categories
    text = "text"          # the prompt text (needs the optional extra `simroute[text]`; falls back to categories)
    category = "category"  # the category label alone


class CategoryDrift(Frozen):
    """One category's share of the replayed traffic moves from its recorded share toward `to` (the others
    rescaled to keep the sum 1): the bootstrap is reweighted over time."""

    category: str = Field(description="A category of the eval.")
    start_day: Day = Field(description="Day the change begins (day).")
    ramp_days: Annotated[int, *bounds(0, MAX_DAYS)] = Field(
        0, description="Days over which it ramps in linearly (days).")
    to: Probability = Field(description="The category's share of traffic once ramped in (fraction).")


class Launch(Frozen):
    """Categories held out of the router's training split and out of traffic until `day` (a launch)."""

    categories: tuple[str, ...] = Field(min_length=1, description="Categories of the eval that launch.")
    day: Day = Field(description="Day the categories enter traffic (day).")
    share: Probability | None = Field(None, description="Their combined share of traffic from the launch "
                                                        "(fraction; default: their recorded share).")


class Replay(Frozen):
    """Replay a recorded eval: each day's queries are bootstrapped from the recorded ones that are not in the
    router's training split, and carry every model's recorded correctness."""

    eval: str = Field(description="Eval results: a file or folder the eval importer reads (path, relative to "
                                  "the working directory).")
    mapping: EvalMapping = Field(EvalMapping(), description="Where the eval keeps its columns (the eval "
                                                            "importer's column mapping).")
    models: dict[Name, str] | None = Field(None, description="Scenario model name -> the eval's model name "
                                                             "(default: the same names).")
    resample: Resample = Resample.bootstrap
    training_share: Annotated[float, *bounds(0.0, 0.9, lo_open=True)] = Field(
        0.2, description="Share of recorded queries set aside (stream replay:split) to train pre-routing on; "
                         "never replayed (fraction).")
    min_queries: RecordedCount = Field(100, description="The fewest recorded queries left to replay after the "
                                                      "training split (queries).")
    router: RouterFeatures = RouterFeatures.auto
    cheap_model: Name | None = Field(None, description="The model whose sufficiency the router predicts "
                                                       "(default: the cheapest model by token prices).")
    capable_model: Name | None = Field(None, description="The model it falls back to (default: the dearest).")
    drift: tuple[CategoryDrift, ...] = ()
    launch: Launch | None = None

    @model_validator(mode="after")
    def _distinct(self) -> Replay:
        if self.cheap_model is not None and self.cheap_model == self.capable_model:
            raise ValueError("capable_model: must differ from cheap_model")
        return self

    @property
    def path(self) -> Path:
        return Path(self.eval)


@lru_cache(maxsize=8)
def _read(path: str, stamp: tuple[int, int], mapping_json: str) -> EvalSet:
    return read_eval(Path(path), EvalMapping.model_validate_json(mapping_json))


def eval_stamp(replay: Replay) -> tuple[int, int]:
    """The eval file's version: modification time and size ((0, 0) if it cannot be read)."""
    try:
        st = replay.path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def recorded(replay: Replay) -> EvalSet:
    """The replay's eval, read once per file version (InputError if unreadable)."""
    return _read(str(replay.path), eval_stamp(replay), replay.mapping.model_dump_json())


def eval_model(replay: Replay, model: str) -> str:
    """The eval's name for scenario model `model`."""
    return (replay.models or {}).get(model, model)


def replay_errors(s: Any) -> Iterator[str]:
    """Located problems of a replay section against its eval and the rest of the scenario (`s`: the Scenario
    being validated, untyped here because the scenario root imports this module)."""
    r = s.traffic.replay
    if r is None:
        return
    names = [m.name for m in s.models]
    for name in r.models or {}:
        if name not in names:
            yield f"traffic.replay.models.{name}: not a model of the scenario (models: {', '.join(names)})"
    for key in ("cheap_model", "capable_model"):
        m = getattr(r, key)
        if m is not None and m not in names:
            yield f"traffic.replay.{key}: unknown model '{m}' (models: {', '.join(names)})"
    for i, d in enumerate(s.drift):
        if d.spec.quality or d.spec.target.value == "intent":
            yield (f"drift[{i}].kind: '{d.kind.value}' cannot apply to recorded outcomes (replay fixes the queries "
                   "and answers; use traffic.replay.drift or traffic.replay.launch, or the fitted world)")
    try:
        ev = recorded(r)
    except SimrouteError as e:
        yield f"traffic.replay.eval: {e.lines[0]}"
        return
    for m in names:
        want = eval_model(r, m)
        if want not in ev.models:
            where = f"traffic.replay.models.{m}" if m in (r.models or {}) else "traffic.replay.models"
            yield (f"{where}: {ev.source} has no correctness column for model '{want}' (scenario model '{m}'; "
                   f"the eval's models: {', '.join(ev.models)})")
    categories = set(ev.frame["intent"].unique().to_list())
    for i, d in enumerate(r.drift):
        if d.category not in categories:
            yield f"traffic.replay.drift[{i}].category: {ev.source} has no category '{d.category}'"
        if d.start_day >= s.horizon_days:
            yield f"traffic.replay.drift[{i}].start_day: must be before horizon_days ({s.horizon_days})"
    launched = set(r.launch.categories) if r.launch else set()
    for j, c in enumerate(r.launch.categories if r.launch else ()):
        if c not in categories:
            yield f"traffic.replay.launch.categories[{j}]: {ev.source} has no category '{c}'"
    if launched and launched >= categories:
        yield "traffic.replay.launch.categories: leaves no category to train the router on or replay before launch"
    n = ev.frame.height
    held = int(ev.frame["intent"].is_in(list(launched)).sum()) if launched else 0
    left = n - int(r.training_share * (n - held))
    if left < r.min_queries:
        yield (f"traffic.replay.min_queries: {ev.source} has {n} recorded queries, {left} left to replay after "
               f"the training split (training_share {r.training_share:g}); fewer than min_queries {r.min_queries}")


def replay_onsets(s: Any) -> list[tuple[int, str]]:
    """(day, description) of the replay's traffic changes: each category drift's start and the launch."""
    r = s.traffic.replay
    if r is None:
        return []
    out = [(d.start_day, f"category_share:{d.category}") for d in r.drift]
    if r.launch is not None and r.launch.day > 0:
        out.append((r.launch.day, f"launch:{','.join(r.launch.categories)}"))
    return sorted(out)


def in_control(s: Any) -> Any:
    """Scenario `s` with the replay's traffic held still (no category drift, launched categories never enter
    traffic, still held out of the router's training split): where monitors measure in-control behaviour."""
    r = s.traffic.replay
    if r is None:
        return s
    launch = None if r.launch is None else r.launch.model_copy(update={"day": s.horizon_days + 1})
    replay = r.model_copy(update={"drift": (), "launch": launch})
    return s.model_copy(update={"traffic": s.traffic.model_copy(update={"replay": replay})})
