"""The interface every routing policy implements, and what a policy returns for a batch."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

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


@dataclass(frozen=True)
class PolicyContext:
    """What a policy may use: the scenario, the models, trained classifiers and its own random stream."""

    scenario: Scenario
    models: ModelBank
    streams: Streams
    classifier: Callable[[ClassifierConfig], TrainedClassifier]


def schedule_every(calendar: Calendar, every_days: int, horizon: int, label: str, action) -> None:
    """Put `action` on the calendar every `every_days` days (from day `every_days`) before the horizon."""
    for day in range(every_days, horizon, every_days):
        calendar.schedule(day, Priority.RECALIBRATION, label, action)


def one_hot(final: np.ndarray, m: int) -> np.ndarray:
    """(M, k) mask with one True per column at `final`."""
    return np.arange(m)[:, None] == final[None, :]


def pick(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """values[rows[j], j] for every column j."""
    return np.take_along_axis(values, rows[None, :].astype(np.intp), axis=0)[0]


class Policy(ABC):
    """A router. It sees surface features and model outputs a real router could see, never hidden truth,
    except the `oracle` reference, which is allowed to cheat by definition."""

    kind: ClassVar[PolicyKind]
    draws_per_query: ClassVar[int] = 0
    classifier: TrainedClassifier | None = None

    def __init__(self, config: Any, ctx: PolicyContext):
        self.config = config
        self.ctx = ctx
        self.name: str = config.name
        self.u = np.empty((self.draws_per_query, 0))

    @property
    def launch_threshold(self) -> float | None:
        """For classifier routers: the configured P(simple) at or above which a query goes to cheap."""
        return None

    def start_day(self, day: int, n: int) -> None:
        """Draw this policy's own per-query uniforms for the whole day (so batching cannot change them)."""
        if self.draws_per_query:
            self.u = self.ctx.streams.policy(self.name, day).random((self.draws_per_query, n))

    @abstractmethod
    def route(self, q: Queries, o: Outcomes, pos: np.ndarray) -> Routing:
        """Decide for the queries `q` (rows `pos` of the day); `o` holds every model's would-be answer."""

    def observe(self, routing: Routing, o: Outcomes, thumbs_down: np.ndarray) -> None:
        """See what a team could see after serving (feedback); default: nothing."""

    def end_day(self, day: int) -> None:
        """Day-level bookkeeping after all of a day's batches."""

    def schedule(self, calendar: Calendar, horizon: int) -> None:
        """Put the policy's own events (recalibrations) on the calendar."""

    def state(self) -> dict[str, float]:
        """Tunable state worth recording daily (thresholds)."""
        return {}
