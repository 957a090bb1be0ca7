"""Where a day's queries and every model's answers come from: the seam between the world and the engine.

`SyntheticDaySource` draws them from the scenario's traffic and model parameters; a replay of recorded
outcomes (each day's queries bootstrapped from a recorded eval, with its recorded correctness per model)
is another implementation of the same interface.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from .. import rng as streams_mod
from ..classifier import TrainedClassifier
from ..rng import Streams
from ..scenario.policies import Classifier as ClassifierConfig
from ..scenario.schema import Scenario
from .drift import DriftSchedule
from .outcomes import ModelBank, Outcomes
from .traffic import Queries, TrafficModel


@dataclass
class DayDraw:
    """One day's shared draw, the same for every policy (common random numbers)."""

    day: int
    times: np.ndarray     # float (n,): sorted arrival times in [day, day + 1)
    users: np.ndarray     # int (n,): who asked (position in the population's join order)
    queries: Queries
    outcomes: Outcomes    # every model's answer to every query
    uniforms: np.ndarray  # float (reaction draws, n): the uniforms user reactions are decided by
    derived: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # see `value`

    def __len__(self) -> int:
        return len(self.times)

    def value(self, name: str, compute: DayValue) -> np.ndarray:
        """`compute(self)`, once: a value of every query of the day that depends on this draw alone (a classifier's
        scores, every model's P(correct)), so it is the same whichever thread computes it first."""
        found = self.derived.get(name)
        if found is None:
            found = self.derived[name] = compute(self)
        return found


DayValue = Callable[[DayDraw], np.ndarray]  # a value of a day (per query or a day total) from its draw alone
TRUTH = "truth"  # the day value of every model's true P(correct) of each query (DaySource.p_correct at midday)


class DaySource(ABC):
    """Supplies each day's queries with every model's answers, and samples for the run's offline sets
    (classifier training history, holdouts, regression suites)."""

    prefetchable = False
    """True when `day` depends only on its arguments and is safe to call on another thread while the engine
    calls the other methods: the engine may then draw tomorrow while serving today (world/prefetch.py)."""

    @abstractmethod
    def day(self, day: int, joined: int) -> DayDraw:
        """The queries of `day` asked by the `joined` users who have joined by then, and every answer."""

    def day_with(self, day: int, joined: int, helper: Executor | None) -> DayDraw:
        """`day`, free to hand part of the draw to the `helper` thread (given where a second core is likely free:
        world/prefetch) while it draws the rest; the same numbers. By default the helper is not used."""
        return self.day(day, joined)

    @abstractmethod
    def queries(self, rng: np.random.Generator, n: int, t: float) -> Queries:
        """`n` queries as the traffic stands at time `t` (a day's midpoint is day + 0.5)."""

    @abstractmethod
    def answers(self, rng: np.random.Generator, q: Queries, t: float) -> Outcomes:
        """Every model's answers to `q` as the models stand at time `t`."""

    def router(self, config: ClassifierConfig) -> TrainedClassifier | None:
        """A pre-routing classifier the source trains itself (a replay, on its recorded training split), or None:
        the run trains one on the source's historical queries."""
        return None

    def notes(self) -> dict[str, str]:
        """YAML path -> what the source did there (carried into the run's provenance)."""
        return {}

    @abstractmethod
    def p_correct(self, q: Queries, t: float) -> np.ndarray:
        """Every model's true chance of answering each of `q` correctly at time `t`, shape (models, n): the truth
        the monitors' onsets are measured against (no draws)."""


class SyntheticDaySource(DaySource):
    """The simulated world: Poisson arrivals over the weekly season, the drifted traffic mix and model skills."""

    prefetchable = True  # fresh generators per stream and day; reads only what __init__ set

    def __init__(self, scenario: Scenario, streams: Streams, drift: DriftSchedule, traffic: TrafficModel,
                 models: ModelBank, reaction_draws: int):
        self.streams = streams
        self.drift = drift
        self.traffic = traffic
        self.models = models
        self.reaction_draws = reaction_draws
        self.queries_per_user = scenario.users.queries_per_user_per_day
        season = np.array(scenario.users.weekly_seasonality)
        self.season = season / season.mean()

    def day(self, day: int, joined: int) -> DayDraw:
        """Arrivals, times, users and queries from the day's arrivals stream (in that order), answers from its
        outcomes stream, reaction uniforms from its reactions stream."""
        return self.day_with(day, joined, None)

    def day_with(self, day: int, joined: int, helper: Executor | None) -> DayDraw:
        """`day`, with the surface features (the arrivals stream's last draw) made on `helper` while the answers
        are drawn (numpy's random fills release the GIL): each stream makes its own numbers in its own order."""
        params = self.drift.at(day + 0.5)
        arr = self.streams.generator(streams_mod.ARRIVALS, day)
        n = int(arr.poisson(self.queries_per_user * joined * self.season[day % 7]))
        times = day + np.sort(arr.random(n))
        users = arr.integers(0, joined, size=n)
        q = self.traffic.draw_unseen(arr, n, params)
        seen = None if helper is None else helper.submit(self.traffic.surface, arr, q)
        o, p = self.models.draw_with_p(self.streams.generator(streams_mod.OUTCOMES, day), q, params)
        u = self.streams.generator(streams_mod.REACTIONS, day).random((self.reaction_draws, n))
        q.surface = self.traffic.surface(arr, q) if seen is None else seen.result()
        return DayDraw(day, times, users, q, o, u, {TRUTH: p})  # the draw's P(correct) is the day's truth

    def queries(self, rng: np.random.Generator, n: int, t: float) -> Queries:
        return self.traffic.draw(rng, n, self.drift.at(t))

    def answers(self, rng: np.random.Generator, q: Queries, t: float) -> Outcomes:
        return self.models.draw(rng, q, self.drift.at(t))

    def p_correct(self, q: Queries, t: float) -> np.ndarray:
        return self.models.p_correct(q, self.drift.at(t).skill_delta)
