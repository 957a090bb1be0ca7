"""The simulation loop: a calendar of events over day-sized, vectorised batches of queries.

One day's queries, model answers and reaction draws come once from the world's day source and are shared by
every policy (common random numbers); each policy then serves only the queries of users still active in its
own world. What only watches the loop (monitor logging, cohort surveys, model calibration) is plugged in
as observers.
"""
from __future__ import annotations

import weakref
import zlib
from collections.abc import Callable, Collection
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from . import calibration_cache
from . import rng as streams_mod
from .calendar import Calendar, Priority
from .classifier import TrainedClassifier, train
from .day_values import TRUTH, day_values, ood_key, routing_classifiers
from .metrics import D, PolicyDays
from .monitors.board import MonitorBoard, MonitorReport, calibrated_thresholds
from .monitors.observer import MonitorLog
from .monitors.plan import calibration_scenario, twins
from .needs import EVERYTHING, MONITORS, Needs
from .observers import DayObserver, ModelCalibration, Served
from .policies import Policy, PolicyContext, Routing, build, same_service
from .policies.base import ClassifierRouter, DayScores, one_hot
from .reactions import REACTION_DRAWS, ReactionModel
from .rng import Streams
from .scenario.policies import Classifier as ClassifierConfig
from .scenario.replay import replay_onsets
from .scenario.schema import Scenario
from .surveys import SurveyResult, Surveys
from .world import prefetch
from .world.day_source import DayDraw, DaySource, DayValue, SyntheticDaySource
from .world.drift import DriftSchedule
from .world.outcomes import MONEY_LIMIT_NANO, NANO, ModelBank, Outcomes, money_refusal
from .world.replay import ReplayDaySource
from .world.traffic import Queries, SurfaceGeometry, TrafficModel, gather
from .world.users import PolicyUsers, Population

Progress = Callable[[str, int, int], None]
"""`progress(phase, done, total)`: `done` of `total` steps of the named phase (never above `total`)."""

CALIBRATION_PASS = "calibration pass"  # monitors' in-control run (drift off) that sets their alarm thresholds
MAIN_RUN = "main run"  # the scenario itself, every policy and twin simulated day by day


@dataclass
class SimulationOutput:
    """Raw daily counters per policy plus what the run learned along the way."""

    scenario: Scenario
    days: dict[str, PolicyDays]
    holdout_parity: dict[str, float]
    drift_onsets: list[tuple[int, str]]
    arrivals: np.ndarray  # per day, queries drawn before removing those of users churned in a policy's world
    surveys: dict[str, dict[str, SurveyResult]] = field(default_factory=dict)
    events: list[tuple[float, str]] = field(default_factory=list)
    configs: dict[str, Any] = field(default_factory=dict)  # every simulated policy, twins included
    monitors: MonitorReport | None = None
    rollbacks_on_alarm: dict[str, dict] = field(default_factory=dict)
    model_calibration: np.ndarray | None = None  # (day, model, confidence bin, [answers, correct, conf sum])
    notes: dict[str, str] = field(default_factory=dict)  # YAML path -> what the day source did (replay)


class World:
    """Everything shared by the policies: drift, geometry, traffic, models, users, reactions and the source of
    each day's queries and answers."""

    def __init__(self, scenario: Scenario, streams: Streams, source: DaySource | None = None):
        self.scenario = scenario
        self.streams = streams
        self.drift = DriftSchedule(scenario)
        self.geometry = SurfaceGeometry(scenario, streams.generator(streams_mod.TAXONOMY))
        self.traffic = TrafficModel(scenario, self.geometry)
        self.models = ModelBank(scenario)
        self.population = Population(scenario, self.drift, streams.generator(streams_mod.USERS))
        self.reactions = ReactionModel(scenario)
        self.source = source or (
            ReplayDaySource(scenario, streams, self.models, REACTION_DRAWS) if scenario.traffic.replay is not None
            else SyntheticDaySource(scenario, streams, self.drift, self.traffic, self.models, REACTION_DRAWS))
        self._classifiers: dict[str, TrainedClassifier] = {}
        self._suites: dict[str, Queries] = {}

    def classifier(self, config: ClassifierConfig) -> TrainedClassifier:
        """Train (once per distinct config) a classifier on a historical sample of its training day."""
        key = config.model_dump_json()
        trained = self.source.router(config)
        if trained is not None:
            return trained
        if key not in self._classifiers:
            rng = self.streams.generator(streams_mod.HISTORY, zlib.crc32(key.encode()))
            q = self.source.queries(rng, config.training_samples, config.training_day + 0.5)
            classes = [i.surface_class for i in self.scenario.traffic.intents]
            self._classifiers[key] = train(config, q.surface, q.intent, classes, rng)
        return self._classifiers[key]

    def holdout_parity(self, clf: TrainedClassifier, threshold: float, cheap: int, capable: int,
                       size: int) -> float:
        """Pre-launch check: on pre-drift queries the classifier calls simple, how often the cheap and capable
        models' answers are judged equivalent (both right or both wrong)."""
        rng = self.streams.generator("holdout")
        q = self.source.queries(rng, size * 4, 0.5)
        simple = np.flatnonzero(clf.score(q.surface) >= threshold)[:size]
        o = self.source.answers(rng, q.take(simple), 0.5)
        return float(np.mean(o.correct[cheap] == o.correct[capable])) if len(simple) else float("nan")

    def suite(self, name: str, size: int, day: int) -> tuple[Queries, Outcomes]:
        """A static labelled suite (drawn once from the day-0 distribution) and `day`'s models' answers to it."""
        if name not in self._suites:
            self._suites[name] = self.source.queries(self.streams.generator(f"suite:{name}"), size, 0.5)
        q = self._suites[name]
        return q, self.source.answers(self.streams.generator(f"suite:{name}", day), q, day + 0.5)


def _weak(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, called through a weak reference to its object (a callback that does not keep the object alive,
    so that a run's arrays go as soon as the run is dropped, not when the cyclic collector next runs)."""
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> Any:
        bound = ref()
        assert bound is not None, "the engine outlives its observers"
        return bound(*args)
    return call


def _draw_with_values(source: DaySource, values: dict[str, DayValue], day: int, joined: int,
                      helper: Executor | None = None) -> DayDraw:
    """Day `day`'s draw (with `helper`, if the source takes one) and the values of the day that depend on it
    alone (see day_values)."""
    d = source.day_with(day, joined, helper)
    for name, compute in values.items():
        d.value(name, compute)
    return d


class Engine:
    """Runs every policy of a scenario over the horizon: the calendar, the day loop and serving."""

    def __init__(self, scenario: Scenario, progress: Progress | None = None,
                 thresholds: dict[str, dict[str, float]] | None = None, replicate: int | None = None,
                 source: Callable[[World], DaySource] | None = None, phase: str = MAIN_RUN,
                 only: Collection[str] | None = None, needs: Needs = EVERYTHING):
        self.s = scenario
        self.needs = needs  # what the run must produce: the rest is skipped, never a draw
        self.progress, self.phase = progress, phase
        self.streams = Streams(scenario.seed, replicate)
        self.world = World(scenario, self.streams)
        if source is not None:  # before any classifier trains on the world's history
            self.world.source = source(self.world)
        self.ctx = ctx = PolicyContext(scenario, self.world.models, self.streams, self.world.classifier)
        every = (*scenario.policies, *twins(scenario))  # `only`: simulate just these (one task of a split run)
        self.configs = {p.name: p for p in every if only is None or p.name in only}
        self.policies: list[Policy] = [build(p, ctx) for p in self.configs.values()]
        self.same = same_service(self.configs.values())  # served as an earlier policy: name -> that policy's name
        self.copies: dict[str, list[Policy]] = {}
        for p in self.policies:
            if p.name in self.same:
                self.copies.setdefault(self.same[p.name], []).append(p)
        self.rollbacks_on_alarm: dict[str, dict] = {}
        self.users: dict[str, PolicyUsers] = {}
        for p in self.policies:  # a policy served as an earlier one shares its world (the same users, churn)
            lead = self.same.get(p.name)
            self.users[p.name] = self.users[lead] if lead else PolicyUsers(self.world.population, scenario)
        self.share = {p.name: 0.0 for p in self.policies}
        h, m, seg = scenario.horizon_days, len(scenario.models), len(scenario.users.segments)
        self.days = {p.name: PolicyDays(h, m, seg, p.threshold_rule) for p in self.policies}
        self.baseline_model = scenario.model_index(scenario.baseline.model)
        self.arrivals = np.zeros(h, dtype=np.int64)
        self.cost_of_everything_nano = 0.0  # every model on every query so far: bounds every money counter
        self.drift_log: list[tuple[int, str]] = []
        self.calibration = ModelCalibration(h, m)
        self.surveys = Surveys(scenario, self.world.population.size, self.streams, self.users,
                               self.world.reactions.csat)
        watching = scenario if only is None else scenario.model_copy(
            update={"monitors": tuple(m for m in scenario.monitors if m.policy in self.configs)})
        self.board = (MonitorBoard(watching, {p.name: p for p in self.policies}, self.streams, self.world.suite,
                                   thresholds) if watching.monitors else None)
        self.observers: list[DayObserver] = [o for o, kept in ((self.calibration, needs.model_calibration),
                                                                (self.surveys, needs.surveys)) if kept]
        if self.board is not None:  # called back through weak references: no cycle keeps a finished run alive
            self.observers.append(MonitorLog(self.board, _weak(self._on_alarm), _weak(self._truth), _weak(self._ood)))
        truth = self.world.source if self.board is not None and needs.truth else None
        self.day_values = day_values(self.policies, self.board.needs_ood if self.board else (), truth)
        for obs in self.observers:
            own = obs.day_values()
            assert not own.keys() & self.day_values.keys(), f"day values named twice: {sorted(own)}"
            self.day_values.update(own)
        self.scored = routing_classifiers(self.policies)
        self.calendar = Calendar()
        self._schedule()

    def _schedule(self) -> None:
        cal, h = self.calendar, self.s.horizon_days
        self.event_owners: list[tuple[int, str]] = []  # (events scheduled once the policy's were, policy)
        for p in self.policies:
            for step in p.config.rollout:
                cal.schedule(step.day, Priority.ROLLOUT, f"rollout:{p.name}:{step.share:g}",
                             self._setter(p.name, step.share))
            rb = p.config.rollback
            if rb is not None:
                cal.schedule(rb.day, Priority.ROLLBACK, f"rollback:{p.name}", self._setter(p.name, rb.to_share))
            p.schedule(cal, h)
            self.event_owners.append((cal.scheduled, p.name))
        for day, what in self.world.drift.onsets + replay_onsets(self.s):
            cal.schedule(day, Priority.DRIFT, f"drift:{what}", self._onset(what))
        for day in range(1, h):
            cal.schedule(day, Priority.BILLING, "billing", self._bill)
        for obs in self.observers:
            obs.schedule(cal, h)
        self.static_events = cal.scheduled  # later events are rollbacks on alarm

    def _onset(self, what: str):
        """Record a drift onset as it happens (the drift itself is read from the schedule every day)."""
        def action(t: float) -> None:
            self.drift_log.append((int(t), what))
        return action

    def _setter(self, name: str, share: float):
        def action(t: float) -> None:
            self.share[name] = share
        return action

    def _bill(self, t: float) -> None:
        day = int(t)
        ids = self.world.population.billed_on(day)
        u = self.streams.generator(streams_mod.USERS, day).random(len(ids))
        first = next(iter(self.users.values()), None)
        unfrustrated = None if first is None else first.unfrustrated_churn(day, u)  # the same in every world
        for name, users in self.users.items():
            if name in self.same:  # its world is the one it is served as: billed there
                continue
            gone = users.bill(day, u, ids, unfrustrated)
            gone_seg = self.world.population.segment[gone]
            self.days[name].churned_by_segment[day] += np.bincount(gone_seg, minlength=len(self.s.users.segments))
            self.days[name].day[day, D["churned"]] += len(gone)

    def run(self) -> SimulationOutput:
        """Simulate the whole horizon (each next day drawn on a second thread where that helps: world/prefetch)."""
        h = self.s.horizon_days
        source = self.world.source
        draw = partial(_draw_with_values, source, self.day_values)
        days = prefetch.DayPrefetch(draw, self.world.population.joined, h, source.prefetchable and prefetch.wanted())
        try:
            for day in range(h):
                self.calendar.run_until(day)
                self._simulate_day(days.day(day))
                if self.progress is not None:
                    self.progress(self.phase, day + 1, h)
        except BaseException:
            days.close(finished=False)
            raise
        days.close()
        for name, lead in self.same.items():
            self.days[name].copy_counts(self.days[lead])
        for obs in self.observers:
            obs.finish(h)
        return SimulationOutput(self.s, self.days, self._parity(), self.drift_log,
                                self.arrivals, self.surveys.results, self.calendar.trace, self.configs,
                                self.board.report() if self.board else None, self.rollbacks_on_alarm,
                                self.calibration.table if self.needs.model_calibration else None,
                                self.world.source.notes())

    def _parity(self) -> dict[str, float]:
        """Holdout parity of every classifier-routed policy at its launch threshold (none when not needed)."""
        if not self.needs.holdout_parity:
            return {}
        return {p.name: self.world.holdout_parity(p.classifier, p.launch_threshold, p.cheap, p.capable,
                                                  self.s.report.holdout_size)
                for p in self.policies if isinstance(p, ClassifierRouter)}

    def _simulate_day(self, draw: DayDraw) -> None:
        """Serve day `draw.day`'s shared draw to every policy, between the observers' start and end of day."""
        w, day = self.world, draw.day
        self.arrivals[day] = len(draw)
        self._check_money(draw.outcomes.cost_nano)
        for obs in self.observers:
            obs.start_day(draw)
        self._thumbs_factor = w.reactions.day_factor(self.streams.generator("thumbs_day", day))
        pieces = int(np.ceil(1.0 / self.s.engine.batch_fraction_of_day - 1e-9))
        bounds = np.searchsorted(draw.times, day + np.arange(1, pieces) / pieces)
        chunks = np.split(np.arange(len(draw)), bounds)
        # shared by every policy: one gather a day, not one each
        bucket, slots = w.population.rollout_bucket[draw.users], w.population.slot_of[draw.users]
        for name, clf in self.scored.items():  # the day's scores, made with its draw
            self.ctx.day_scores[id(clf)] = DayScores.whole_day(day, draw.value(name, self.day_values[name]))
        for p in self.policies:
            if p.name not in self.same:
                self._serve_day(p, draw, chunks, bucket, slots)
        for obs in self.observers:
            obs.end_day(day)

    def _check_money(self, cost_nano: np.ndarray) -> None:
        """Refuse the run before any int64 money counter could wrap: each policy's spend (inference, shadow, the
        threshold curves) is at most the cost of every model on every query, which must stay under the limit."""
        self.cost_of_everything_nano += float(cost_nano.sum(dtype=np.float64))  # float: cannot wrap itself
        if not self.cost_of_everything_nano < MONEY_LIMIT_NANO:
            raise money_refusal(self.cost_of_everything_nano / NANO, "the inference cost of every model on every "
                                "query of the run")

    def _truth(self, batch: Served) -> np.ndarray:
        """Every model's P(correct) on a watched batch (the truth behind the monitors' samples; NaN when the run
        needs no truth series: no alarm reads it)."""
        if TRUTH not in self.day_values:
            return np.full((len(self.s.models), len(batch.users)), np.nan)
        return gather(batch.draw.value(TRUTH, self.day_values[TRUTH]), batch.rows, axis=1)

    def _ood(self, batch: Served) -> np.ndarray:
        """The out-of-distribution scores of a watched batch by its policy's classifier."""
        clf = batch.policy.classifier
        assert clf is not None, "only a policy with a classifier has out-of-distribution scores"
        key = ood_key(clf)
        return gather(batch.draw.value(key, self.day_values[key]), batch.rows)

    def _on_alarm(self, monitor: str, day: int) -> None:
        """Schedule the rollback of every policy that rolls back on this monitor's first alarm."""
        for p in self.policies:
            r = p.config.rollback_on
            if r is None or r.monitor != monitor or p.name in self.rollbacks_on_alarm:
                continue
            when = day + 1 + r.response_lag_days
            self.rollbacks_on_alarm[p.name] = {"monitor": monitor, "alarm_day": day, "rollback_day": when}
            if when < self.s.horizon_days:
                self.calendar.schedule(when, Priority.ROLLBACK, f"rollback_on_alarm:{p.name}",
                                       self._setter(p.name, r.to_share))

    def _serve_day(self, p: Policy, draw: DayDraw, chunks: list[np.ndarray], bucket: np.ndarray,
                   slots: np.ndarray) -> None:
        """Serve one policy the day's queries of its active users (`bucket`: their rollout buckets, `slots`: their
        places in the per-policy user state)."""
        day, q, o, u, user = draw.day, draw.queries, draw.outcomes, draw.uniforms, draw.users
        world, acc = self.users[p.name], self.days[p.name]
        p.start_day(day, len(user))
        bad_slots, bad_weight = [], []
        for chunk in chunks:
            if len(chunk) == 0:
                continue
            lo = int(chunk[0])  # a chunk is a run of consecutive positions: its users are a view
            pos = np.flatnonzero(world.is_live(slots[lo:lo + len(chunk)]))
            if len(pos) == 0:
                continue
            pos += lo
            rows = slice(int(pos[0]), int(pos[-1]) + 1) if len(pos) == pos[-1] - pos[0] + 1 else pos
            qv, ov, who = q.take(rows), o.take(rows), gather(user, rows)  # a contiguous block is a view
            r = p.route(qv, ov, pos)
            share = self.share[p.name]
            if not share >= 1.0:  # buckets are in [0, 1): at full rollout every query is treated
                treated = gather(bucket, rows) < share
                if not treated.all():
                    r = self._baseline(r, ~treated, ov)
            slot = gather(slots, rows)
            frus = world.decayed(slot, float(day))
            x = self.world.reactions.react(r.final, ov, qv.regulatory, frus, gather(u, rows, axis=1),
                                           self._thumbs_factor)
            if self.needs.counters:
                acc.add(day, r, x, qv.hidden, qv.regulatory, ov)
            p.observe(r, ov, x.thumbs_down)
            batch = Served(p, day, who, qv, ov, r, x, draw, rows)
            for obs in self.observers:
                obs.served(batch)
                for copy in self.copies.get(p.name, ()):  # the same batch, served as each policy served as p
                    obs.served(replace(batch, policy=copy))
            bad_slots.append(slot)
            bad_weight.append(x.frustration)
        if bad_slots:
            join = lambda parts: parts[0] if len(parts) == 1 else np.concatenate(parts)  # noqa: E731
            world.add_frustration_slots(join(bad_slots), join(bad_weight), float(day + 1))
        p.end_day(day)
        acc.rollout_share[day] = self.share[p.name]
        acc.day[day, D["active_users"]] = self.world.population.joined(day) - world.churned_total
        st = p.state()
        if "threshold" in st:
            acc.threshold[day] = st["threshold"]

    def _baseline(self, r: Routing, mask: np.ndarray, o) -> Routing:
        """Queries outside the rollout get the baseline model, as before the router existed."""
        b = self.baseline_model
        final = np.where(mask, b, r.final).astype(np.int8)
        ran = np.where(mask[None, :], one_hot(np.full(len(mask), b), len(self.world.models)), r.ran)
        latency = np.where(mask, o.latency_s[b], r.latency_s)
        keep = lambda a: None if a is None else np.where(mask, False, a)  # noqa: E731
        shadow = None if r.shadow is None else r.shadow & ~mask[None, :]
        score = None if r.score is None else np.where(mask, np.nan, r.score)
        return Routing(final=final, ran=ran, latency_s=latency, escalated=r.escalated & ~mask, shadow=shadow,
                       score=score, classified=keep(r.classified), verified=keep(r.verified),
                       shadow_disagrees=keep(r.shadow_disagrees), decision=r.decision)


def simulate(scenario: Scenario, progress: Progress | None = None, replicate: int | None = None,
             only: Collection[str] | None = None, needs: Needs = EVERYTHING) -> SimulationOutput:
    """Run the engine on a validated scenario (replicate k: the k-th child seed of the scenario's); when
    monitors need thresholds, first calibrate them on the same scenario with drift switched off. `only`:
    simulate just these policies (a coupled group, see engine_tasks), the rest of the world unchanged;
    `needs`: what the run must produce (the rest is not computed)."""
    thresholds = calibrate(scenario, progress, replicate, only)
    return Engine(scenario, progress, thresholds, replicate, only=only, needs=needs).run()


def calibrate(scenario: Scenario, progress: Progress | None = None, replicate: int | None = None,
              only: Collection[str] | None = None) -> dict[str, dict[str, float]] | None:
    """The calibration pass: alarm thresholds of the monitors (of the policies in `only`) that need them,
    memoised in the process by what the pass depends on (calibration_cache)."""
    needed = [m for m in scenario.monitors if m.alarm.threshold is None and (only is None or m.policy in only)]
    if not needed:
        return None
    streams = Streams(scenario.seed, replicate)
    calib = calibration_scenario(scenario, streams)
    # only the watched policies: each monitor's in-control run is its own policy's (engine_tasks), so the
    # baseline and any other unwatched policy of the calibration scenario would be simulated for nobody
    watched = {m.policy for m in calib.monitors if only is None or m.policy in only}
    if only is not None:
        calib = calib.model_copy(update={"monitors": tuple(m for m in calib.monitors if m.policy in only)})
    key = calibration_cache.key(calib, scenario.seed, replicate, watched)
    found = calibration_cache.get(key)
    if found is not None:
        if progress is not None:
            for day in range(calib.horizon_days):
                progress(CALIBRATION_PASS, day + 1, calib.horizon_days)
        return found
    report = Engine(calib, progress, phase=CALIBRATION_PASS, only=watched, needs=MONITORS).run().monitors
    assert report is not None  # the calibration scenario keeps the monitors
    thresholds = calibrated_thresholds(report, calib, lambda name: streams.generator(f"calibrate:{name}"))
    calibration_cache.put(key, thresholds)
    return thresholds
