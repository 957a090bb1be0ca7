"""The interface every routing policy implements, and what a policy returns for a batch."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..calendar import Calendar, Priority
from ..classifier import TrainedClassifier
from ..rng import Streams
from ..scenario.policies import Classifier as ClassifierConfig
from ..scenario.policies import PolicyKind
from ..scenario.schema import Scenario
from ..world.outcomes import ModelBank, Outcomes
from ..world.traffic import Queries


@dataclass
class Routing:
    """A policy's decisions for k queries."""

    final: np.ndarray                       # int (k,): model whose answer the user gets (the tier)
    ran: np.ndarray                         # bool (M, k): models run on the answer path (billed)
    latency_s: np.ndarray                   # float (k,): user-facing latency
    escalated: np.ndarray                   # bool (k,): answered by a later model than the first tried
    shadow: np.ndarray | None = None        # bool (M, k): models run only to measure (billed as shadow)
    score: np.ndarray | None = None         # float (k,): classifier P(simple); NaN where not scored
    classified: np.ndarray | None = None    # bool (k,): the classifier ran (billed)
    verified: np.ndarray | None = None      # bool (k,): the verifier ran (billed)
    shadow_disagrees: np.ndarray | None = None  # bool (k,): a shadow judge called the two answers different
    decision: np.ndarray | None = None      # float (k,): what the threshold rule compares (for threshold curves)


@dataclass(frozen=True)
class ThresholdRule:
    """A two-tier rule "answer on `cheap` when the decision value is at or above t, else on `capable`", for
    tracing the cost-quality curve over t on the traffic the policy saw. In a cascade the cheap model always
    runs first (`cheap_always_runs`); a pre-router pays a fixed per-query classifier price instead."""

    cheap: int
    capable: int
    cheap_always_runs: bool
    usd_per_query: float = 0.0
    key: str = ""  # policies with equal keys trace the same curve


class PolicyView:
    """What a router can see of a batch: surface features, every model's self-reported confidence and latency,
    and two instruments the engine simulates with their own error rates (a verifier, an answer-comparing
    judge). Correctness is hidden; only reference routers (`oracle`) may read it."""

    def __init__(self, q: Queries, o: Outcomes, sees_truth: bool = False):
        self._q = q
        self.confidence = o.confidence
        self.latency_s = o.latency_s
        self._o = o
        self._sees_truth = sees_truth

    @property
    def surface(self) -> np.ndarray:
        """(k, D) surface features, read only by the routers that look at them (a lazy batch gathers them then)."""
        return self._q.surface

    def __len__(self) -> int:
        return len(self._q)

    @property
    def correct(self) -> np.ndarray:
        """(M, k) ground truth: for reference routers only."""
        if not self._sees_truth:
            raise PermissionError("only reference routers (oracle) may see whether answers are correct")
        return self._o.correct

    def verifier_flags(self, model: int, tpr: float, fpr: float, u: np.ndarray) -> np.ndarray:
        """An output check on `model`'s answers: flags wrong ones with rate `tpr`, right ones with `fpr`."""
        return u < np.where(self._o.correct[model], fpr, tpr)

    def judged_different(self, a: int, b: int, miss: float, false_alarm: float, u: np.ndarray) -> np.ndarray:
        """A judge comparing two models' answers. They differ unless both are right, because two wrong answers
        rarely coincide. The judge misses a share `miss` of differences and flags a share `false_alarm` of
        equivalent pairs."""
        differ = ~(self._o.correct[a] & self._o.correct[b])
        return np.where(differ, u >= miss, u < false_alarm)


@dataclass(frozen=True)
class Feedback:
    """What a team observes after serving: thumbs-down, and the label a reviewer would give each answer
    (policies use labels only through a review sample they draw)."""

    thumbs_down: np.ndarray
    _correct: np.ndarray

    def review_labels(self, model: int) -> np.ndarray:
        """A reviewer's verdict (right/wrong) on `model`'s answer to each query."""
        return self._correct[model]


@dataclass(frozen=True)
class PolicyContext:
    """What a policy may use: the scenario, the models, trained classifiers and its own random stream."""

    scenario: Scenario
    models: ModelBank
    streams: Streams
    classifier: Callable[[ClassifierConfig], TrainedClassifier]
    day_scores: dict[int, DayScores] = field(default_factory=dict, compare=False)  # by id of the classifier


class DayScores:
    """One classifier's P(simple) of the day's queries, filled in as policies score them: routers sharing a
    classifier score each query once a day (a score depends only on its own row, so it is the same value)."""

    def __init__(self, day: int, n: int):
        self.day, self.n = day, n
        self.values = np.zeros(n, dtype=np.float32)
        self.done: np.ndarray | None = np.zeros(n, dtype=bool)  # None: every query is scored

    @classmethod
    def whole_day(cls, day: int, values: np.ndarray) -> DayScores:
        """Every query of the day already scored (the engine scores a day with its draw: see `DayDraw.value`)."""
        scores = cls.__new__(cls)
        scores.day, scores.n, scores.values, scores.done = day, len(values), values, None
        return scores

    def score(self, clf: TrainedClassifier, surface: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """P(simple) of the rows `surface` at day positions `pos`, scoring only those not scored yet today."""
        if self.done is None:
            return np.take(self.values, pos)
        todo = np.flatnonzero(~np.take(self.done, pos))
        if len(todo) == len(pos):
            fresh = clf.score(surface)
            self.values[pos], self.done[pos] = fresh, True
            return fresh
        if len(todo):
            at = np.take(pos, todo)
            self.values[at], self.done[at] = clf.score(np.take(surface, todo, axis=0)), True
        return np.take(self.values, pos)


def schedule_every(calendar: Calendar, every_days: int, horizon: int, label: str, action) -> None:
    """Put `action` on the calendar every `every_days` days (from day `every_days`) before the horizon."""
    for day in range(every_days, horizon, every_days):
        calendar.schedule(day, Priority.RECALIBRATION, label, action)


def one_hot(final: np.ndarray, m: int) -> np.ndarray:
    """(M, k) mask with one True per column at `final`."""
    return np.arange(m)[:, None] == final[None, :]


def pick(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """values[rows[j], j] for every column j."""
    return pick_all(rows, values)[0]


def pick_all(rows: np.ndarray, *blocks: np.ndarray) -> list[np.ndarray]:
    """`pick(b, rows)` for every (M, n) block `b`, computing the flat positions once for the contiguous ones."""
    flat = None
    out = []
    for values in blocks:
        if not values.flags.c_contiguous:  # a view of a day's block: its rows are not back to back
            out.append(np.take_along_axis(values, rows[None, :].astype(np.intp), axis=0)[0])
            continue
        if flat is None:
            flat = rows.astype(np.intp) * values.shape[1]
            flat += np.arange(values.shape[1])
        out.append(np.take(values.reshape(-1), flat))  # a third of take_along_axis's cost, the same elements
    return out


class Policy(ABC):
    """A router. It sees what a real router could see (`PolicyView`), never hidden truth, except reference
    routers (`sees_truth`), which are allowed to cheat by definition."""

    kind: ClassVar[PolicyKind]
    draws_per_query: ClassVar[int] = 0
    sees_truth: ClassVar[bool] = False
    config_determined: ClassVar[bool] = False  # see `same_service`
    classifier: TrainedClassifier | None = None

    def __init__(self, config: Any, ctx: PolicyContext):
        self.config = config
        self.ctx = ctx
        self.name: str = config.name
        self.u = np.empty((self.draws_per_query, 0))

    @property
    def threshold_rule(self) -> ThresholdRule | None:
        """The two-tier threshold rule behind this policy, if it has one (see `Routing.decision`)."""
        return None

    @property
    def launch_threshold(self) -> float | None:
        """For classifier routers: the configured P(simple) at or above which a query goes to cheap."""
        return None

    def start_day(self, day: int, n: int) -> None:
        """Draw this policy's own per-query uniforms for the whole day (so batching cannot change them)."""
        if self.draws_per_query:
            self.u = self.ctx.streams.policy(self.name, day).random((self.draws_per_query, n))

    def route(self, q: Queries, o: Outcomes, pos: np.ndarray) -> Routing:
        """Decide for the queries `q` (rows `pos` of the day), seeing only what `PolicyView` exposes."""
        return self.decide(PolicyView(q, o, self.sees_truth), pos)

    def observe(self, routing: Routing, o: Outcomes, thumbs_down: np.ndarray) -> None:
        """Hand the policy the feedback a team could observe after serving."""
        self.learn(routing, Feedback(thumbs_down, o.correct))

    @abstractmethod
    def decide(self, v: PolicyView, pos: np.ndarray) -> Routing:
        """The routing decision for a batch (rows `pos` of the day's queries)."""

    @abstractmethod
    def launch_tiers(self, q: Queries, o: Outcomes) -> np.ndarray:
        """The model (int8) the launch-time rule sends each query to, before any adaptation: what an offline
        regression suite run through the launched router measures."""

    def baseline_tiers(self, n: int) -> np.ndarray:
        """Every query on the scenario's baseline model: the launch rule of routers without a deterministic one."""
        s = self.ctx.scenario
        return np.full(n, s.model_index(s.baseline.model), dtype=np.int8)

    def learn(self, routing: Routing, feedback: Feedback) -> None:
        """Use observed feedback (thumbs, review samples); default: nothing."""
        return None  # an optional hook: routers without it do nothing

    def end_day(self, day: int) -> None:
        """Day-level bookkeeping after all of a day's batches."""
        return None  # an optional hook: routers without it do nothing

    def schedule(self, calendar: Calendar, horizon: int) -> None:
        """Put the policy's own events (recalibrations) on the calendar."""
        return None  # an optional hook: routers without it do nothing

    def state(self) -> dict[str, float]:
        """Tunable state worth recording daily (thresholds)."""
        return {}


class TwoTierRouter(Policy):
    """A router between a cheap and a capable model (configs with `cheap_model` and `capable_model`)."""

    cheap: int
    capable: int

    def __init__(self, config: Any, ctx: PolicyContext):
        super().__init__(config, ctx)
        self.cheap = ctx.scenario.model_index(config.cheap_model)
        self.capable = ctx.scenario.model_index(config.capable_model)

    def tiers(self, to_cheap: np.ndarray) -> np.ndarray:
        """The cheap model where `to_cheap`, else the capable one (int8)."""
        return np.where(to_cheap, self.cheap, self.capable).astype(np.int8)


class ClassifierRouter(TwoTierRouter):
    """A two-tier router deciding from a surface classifier's P(simple), trained inside the run; at launch,
    P(simple) >= `launch_threshold` goes cheap."""

    classifier: TrainedClassifier

    def __init__(self, config: Any, ctx: PolicyContext):
        super().__init__(config, ctx)
        self.classifier = ctx.classifier(config.classifier)

    @property
    @abstractmethod
    def launch_threshold(self) -> float:
        """The configured P(simple) at or above which a query goes to cheap at launch."""

    def launch_tiers(self, q: Queries, o: Outcomes) -> np.ndarray:
        return self.tiers(self.classifier.score(q.surface) >= self.launch_threshold)

    def start_day(self, day: int, n: int) -> None:
        super().start_day(day, n)
        cache = self.ctx.day_scores
        shared = cache.get(id(self.classifier))
        if shared is None or (shared.day, shared.n) != (day, n):
            cache[id(self.classifier)] = DayScores(day, n)

    def day_score(self, v: PolicyView, pos: np.ndarray) -> np.ndarray:
        """The classifier's P(simple) of the batch at day positions `pos` (shared with routers on the same
        classifier; see `DayScores`)."""
        return self.ctx.day_scores[id(self.classifier)].score(self.classifier, v.surface, pos)
