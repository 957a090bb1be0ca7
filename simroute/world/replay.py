"""The replay day source: each day's queries are bootstrapped from a recorded eval and carry every model's
recorded correctness (no drawn answers); tokens, latency, cost and confidence are the recorded ones where the
eval has them, else drawn from the scenario's models.

The recorded queries are split once (stream `replay:split`) into a training split, on which pre-routing is
trained inside the run, and the replayed pool the days draw from (stream `replay:bootstrap`, keyed by day),
so every policy sees the same queries (common random numbers) and a seed fixes every draw.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

import numpy as np
import polars as pl
from scipy.special import expit, logit

from .. import rng as streams_mod
from ..classifier import TrainedClassifier
from ..rng import Streams
from ..scenario.policies import Classifier as ClassifierConfig
from ..scenario.policies import ClassifierMethod
from ..scenario.replay import Replay, eval_model, eval_stamp, recorded
from ..scenario.schema import Scenario
from .day_source import DayDraw, DaySource
from .outcomes import NANO, ModelBank, Outcomes
from .text_router import RouterChoice, train_router
from .traffic import Queries, gather, lognormal_tokens, token_table

_ROUTERS: dict[tuple, RouterChoice] = {}  # the last trained router, by what it was trained on
SPLIT = "replay:split"
BOOTSTRAP = "replay:bootstrap"
_EPS = 1e-4  # router scores are kept inside (eps, 1 - eps) so their logit is finite


@dataclass
class ReplayQueries(Queries):
    """Queries that remember which recorded query each one replays."""

    row: np.ndarray  # int64, index into the recorded eval

    def take(self, idx: np.ndarray | slice) -> ReplayQueries:
        return ReplayQueries(**{f.name: gather(getattr(self, f.name), idx) for f in fields(self)})


@dataclass(frozen=True)
class Recorded:
    """The eval as arrays in the scenario's model order; per-model fields are NaN where not recorded."""

    categories: tuple[str, ...]
    category: np.ndarray            # int16 (N,)
    correct: np.ndarray             # bool (M, N)
    confidence: np.ndarray | None   # float32 (M, N), only when every model has it on every query
    tokens_in: np.ndarray           # float (M, N)
    tokens_out: np.ndarray          # float (M, N)
    cost_usd: np.ndarray            # float (M, N)
    latency_s: np.ndarray           # float (M, N)
    regulatory: np.ndarray          # bool (N,)
    prompt: list[str] | None
    source: str

    def __len__(self) -> int:
        return len(self.category)


def _per_model(frame: pl.DataFrame, field: str, names: list[str]) -> np.ndarray:
    cols = [frame[f"{field}:{m}"].cast(pl.Float64).fill_null(np.nan).to_numpy() if f"{field}:{m}" in frame.columns
            else np.full(frame.height, np.nan) for m in names]
    return np.stack(cols).astype(np.float64)


def load_recorded(scenario: Scenario) -> Recorded:
    """The scenario's replay eval as arrays (validated when the scenario was)."""
    r = scenario.traffic.replay
    assert r is not None, "a replay source needs a replay section"
    ev = recorded(r)
    f = ev.frame
    names = [eval_model(r, m.name) for m in scenario.models]
    categories = tuple(sorted(set(f["intent"].to_list())))
    category = np.searchsorted(np.array(categories), f["intent"].to_numpy().astype(str)).astype(np.int16)
    correct = np.stack([f[f"correct:{m}"].to_numpy() for m in names]).astype(bool)
    conf = _per_model(f, "confidence", names)
    prompts = f["prompt"]
    return Recorded(categories, category, correct, conf.astype(np.float32) if not np.isnan(conf).any() else None,
                    _per_model(f, "tokens_in", names), _per_model(f, "tokens_out", names),
                    _per_model(f, "cost_usd", names), _per_model(f, "latency_s", names),
                    f["regulatory"].fill_null(False).to_numpy().astype(bool),
                    None if prompts.null_count() == len(prompts) else prompts.fill_null("").to_list(), ev.source)


def two_tiers(scenario: Scenario, r: Replay) -> tuple[int, int]:
    """The cheap and capable model the router's label compares (default: the cheapest and dearest by price)."""
    price = [m.price_in_usd_per_1k_tokens + m.price_out_usd_per_1k_tokens for m in scenario.models]
    cheap = scenario.model_index(r.cheap_model) if r.cheap_model else int(np.argmin(price))
    capable = scenario.model_index(r.capable_model) if r.capable_model else int(np.argmax(price))
    return cheap, capable


class CategoryShares:
    """The replayed pool's category shares on any day: recorded shares, launched categories from their launch
    day, then each category drift (in start-day order) moving one share with the others rescaled."""

    def __init__(self, r: Replay, rec: Recorded, pool: np.ndarray):
        k = len(rec.categories)
        index = {c: i for i, c in enumerate(rec.categories)}
        self.counts = np.bincount(rec.category[pool], minlength=k).astype(np.float64)
        self.base = self.counts / self.counts.sum()
        self.launched = np.zeros(k, dtype=bool)
        self.launch_day = 0
        self.launch_share = 0.0
        if r.launch is not None:
            self.launched[[index[c] for c in r.launch.categories]] = True
            self.launch_day = r.launch.day
            recorded_share = float(self.base[self.launched].sum())
            self.launch_share = recorded_share if r.launch.share is None else r.launch.share
        self.drifts = [(index[d.category], d) for d in sorted(r.drift, key=lambda d: d.start_day)]

    def at(self, t: float) -> np.ndarray:
        s = self.base.copy()
        if self.launched.any():
            launched = t >= self.launch_day
            inside = s[self.launched].sum()
            s[self.launched] *= (self.launch_share / inside if inside else 0.0) if launched else 0.0
            s[~self.launched] *= (1.0 - (self.launch_share if launched else 0.0)) / s[~self.launched].sum()
        for i, d in self.drifts:
            f = 0.0 if t < d.start_day else (1.0 if d.ramp_days == 0 else min(1.0, (t - d.start_day) / d.ramp_days))
            if f == 0.0:
                continue
            new = s[i] + (d.to - s[i]) * f
            rest = s.sum() - s[i]
            s = s * ((1.0 - new) / rest if rest > 0 else 0.0)
            s[i] = new
        return s / s.sum()

    def row_weights(self, t: float, pool_category: np.ndarray) -> np.ndarray:
        """Bootstrap weight of each pool row: its category's share spread over the category's rows."""
        per_row = np.divide(self.at(t), self.counts, out=np.zeros_like(self.counts), where=self.counts > 0)
        return per_row[pool_category]


def split(rec: Recorded, r: Replay, streams: Streams) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, replayed pool rows): a uniform share of the recorded queries outside the launched
    categories trains the router; everything else is replayed."""
    launched = np.zeros(len(rec.categories), dtype=bool)
    if r.launch is not None:
        launched[[rec.categories.index(c) for c in r.launch.categories]] = True
    trainable = np.flatnonzero(~launched[rec.category])
    order = streams.generator(SPLIT).permutation(trainable)
    k = int(r.training_share * len(trainable))
    train_rows = np.sort(order[:k])
    pool = np.setdiff1d(np.arange(len(rec)), train_rows)
    return train_rows, pool


def router_classifier(scores: np.ndarray, train_rows: np.ndarray) -> tuple[TrainedClassifier, np.ndarray]:
    """A `TrainedClassifier` over a one-column surface holding logit(router score): its P(simple) is the
    router's P(cheap suffices), and its out-of-distribution distance is measured against the training split."""
    feature = logit(np.clip(scores, _EPS, 1.0 - _EPS)).astype(np.float32)
    x = feature[train_rows].astype(np.float64)
    var = float(x.var(ddof=1)) if len(x) > 1 else 1.0
    clf = TrainedClassifier(ClassifierMethod.encoder, np.ones(1), 0.0, None, np.array([x.mean()]),
                            np.array([[1.0 / max(var, 1e-12)]]), expit(x).astype(np.float32))
    return clf, feature


class ReplayDaySource(DaySource):
    """Replays a recorded eval: Poisson arrivals and users as in the synthetic world, queries bootstrapped
    from the pool by the day's category shares, answers as recorded."""

    prefetchable = True  # fresh generators per stream and day; reads only what __init__ set

    def __init__(self, scenario: Scenario, streams: Streams, models: ModelBank, reaction_draws: int):
        r = scenario.traffic.replay
        assert r is not None, "a replay source needs a replay section"
        self.streams = streams
        self.models = models
        self.reaction_draws = reaction_draws
        self.queries_per_user = scenario.users.queries_per_user_per_day
        season = np.array(scenario.users.weekly_seasonality)
        self.season = season / season.mean()
        rec = load_recorded(scenario)
        self.recorded = rec
        self.train_rows, self.pool = split(rec, r, streams)
        self.shares = CategoryShares(r, rec, self.pool)
        self._pool_category = rec.category[self.pool]
        intents = {i.name: i for i in scenario.traffic.intents}
        first = scenario.traffic.intents[0]
        tok = [intents.get(c, first) for c in rec.categories]
        self.tin, self.tout = token_table([i.tokens_in for i in tok]), token_table([i.tokens_out for i in tok])
        self.cheap, self.capable = two_tiers(scenario, r)
        suffices = rec.correct[self.cheap] | ~rec.correct[self.capable]
        key = (r.model_dump_json(include={"eval", "mapping", "models", "router"}), eval_stamp(r), self.cheap,
               self.capable, hashlib.sha1(self.train_rows.tobytes()).hexdigest())
        choice = _ROUTERS.get(key)
        if choice is None:  # trained once per eval version and split: replicates and calibration reuse it
            choice = train_router(r.router, rec.prompt, rec.category, rec.categories, suffices, self.train_rows)
            _ROUTERS.clear()
            _ROUTERS[key] = choice
        self.router_kind = choice.kind
        self.classifier, self.feature = router_classifier(choice.scores, self.train_rows)
        acc = self._category_accuracy(rec)
        self.perceived = logit(acc)[:, rec.category]  # (M, N): what each model can know of its own odds
        self._notes = {"traffic.replay.router": choice.note,
                      "traffic.replay.confidence": (
                          "replay: the cascade reads the recorded self-reported confidence" if rec.confidence
                          is not None else "replay: confidence drawn from each model's confidence model "
                          "conditioned on the recorded correctness (the eval records none)")}

    @staticmethod
    def _category_accuracy(rec: Recorded) -> np.ndarray:
        """(M, categories) recorded accuracy per category, smoothed by one right and one wrong answer."""
        k = len(rec.categories)
        n = np.bincount(rec.category, minlength=k)
        right = np.stack([np.bincount(rec.category, weights=c, minlength=k) for c in rec.correct.astype(float)])
        return (right + 1.0) / (n + 2.0)

    def router(self, config: ClassifierConfig) -> TrainedClassifier | None:
        return self.classifier

    def notes(self) -> dict[str, str]:
        return dict(self._notes)

    def rows(self, rng: np.random.Generator, n: int, t: float) -> np.ndarray:
        """`n` recorded rows drawn with replacement by the category shares at time `t`."""
        cdf = np.cumsum(self.shares.row_weights(t, self._pool_category))
        cdf /= cdf[-1]
        return self.pool[np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(self.pool) - 1)]

    def _queries(self, rng: np.random.Generator, rows: np.ndarray) -> ReplayQueries:
        rec, n = self.recorded, len(rows)
        cat = rec.category[rows]
        z = rng.standard_normal((2, n))
        tin, tout = lognormal_tokens(self.tin, cat, z[0]), lognormal_tokens(self.tout, cat, z[1])
        zeros = np.zeros(n)
        return ReplayQueries(cat, zeros, zeros.copy(), np.zeros(n, dtype=bool), rec.regulatory[rows], tin, tout,
                             self.feature[rows][:, None], rows)

    def queries(self, rng: np.random.Generator, n: int, t: float) -> Queries:
        return self._queries(rng, self.rows(rng, n, t))

    def p_correct(self, q: Queries, t: float) -> np.ndarray:
        """The recorded correctness itself: on replayed answers the truth is what was recorded."""
        assert isinstance(q, ReplayQueries), "replayed truth needs replayed queries"
        return self.recorded.correct[:, q.row].astype(np.float64)

    def answers(self, rng: np.random.Generator, q: Queries, t: float) -> Outcomes:
        """The recorded correctness of every model on `q`'s rows; the rest recorded where present, else drawn
        (confidence conditioned on the recorded correctness)."""
        assert isinstance(q, ReplayQueries), "replayed answers need replayed queries"
        rec, mb, rows = self.recorded, self.models, q.row
        m, n = rec.correct.shape[0], len(rows)
        correct = rec.correct[:, rows]
        share = mb.conf_share
        confident = ~correct & (rng.random(n)[None, :] < share)
        if rec.confidence is not None:
            confidence = rec.confidence[:, rows]
        else:
            hedged = ~correct & ~confident
            conf_logit = (mb.slope * self.perceived[:, rows] + mb.bias + mb.noise * rng.standard_normal((m, n))
                          - mb.error_awareness * ~correct - mb.hedge_drop * hedged)
            confidence = expit(conf_logit).astype(np.float32)
        drawn_latency = mb.lat_median * np.exp(mb.lat_sigma * rng.standard_normal((m, n)))
        latency = _recorded_or(rec.latency_s[:, rows], drawn_latency).astype(np.float32)
        tin = _recorded_or(rec.tokens_in[:, rows], np.broadcast_to(q.tokens_in[None, :], (m, n)))
        tout = _recorded_or(rec.tokens_out[:, rows], q.tokens_out[None, :] * mb.out_mult)
        usd = _recorded_or(rec.cost_usd[:, rows], (tin * mb.price_in + tout * mb.price_out) / 1000.0)
        return Outcomes(correct, confident, confidence, latency, np.rint(usd * NANO).astype(np.int64))

    def day(self, day: int, joined: int) -> DayDraw:
        """Arrivals, times and users from the day's arrivals stream (as the synthetic world draws them), the
        replayed rows and drawn tokens from its bootstrap stream, answers from its outcomes stream."""
        arr = self.streams.generator(streams_mod.ARRIVALS, day)
        n = int(arr.poisson(self.queries_per_user * joined * self.season[day % 7]))
        times = day + np.sort(arr.random(n))
        users = arr.integers(0, joined, size=n)
        q = self.queries(self.streams.generator(BOOTSTRAP, day), n, day + 0.5)
        o = self.answers(self.streams.generator(streams_mod.OUTCOMES, day), q, day + 0.5)
        u = self.streams.generator(streams_mod.REACTIONS, day).random((self.reaction_draws, n))
        return DayDraw(day, times, users, q, o, u)


def _recorded_or(recorded_values: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(recorded_values), drawn, recorded_values)
