"""The interface every monitor implements, and the day's production log a team could observe."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..classifier import TrainedClassifier
from ..rng import Streams
from ..scenario.monitors import MonitorKind, Reviewers
from ..scenario.schema import Scenario

Observation = dict[str, tuple[int, int]] | dict[str, float]  # stratum -> (trials, events) or distance


@dataclass
class DayLog:
    """One policy's served answers of one day, as its instrumentation logs them (no hidden truth except
    through a reviewer's noisy verdict)."""

    tier: np.ndarray          # int8, model that answered
    confidence: np.ndarray    # float32, the answering model's self-reported confidence
    score: np.ndarray         # float32, classifier P(simple) (NaN where not scored)
    ood: np.ndarray           # float32, classifier out-of-distribution distance (NaN where not scored)
    thumbs_down: np.ndarray   # bool
    _correct: np.ndarray      # bool, ground truth: only `review` and `truth` may read it
    _outcome: np.ndarray | None = None  # int8 reaction outcome (CORRECT / WRONG_HEDGED / WRONG_CONFIDENT): truth
    _p_correct: np.ndarray | None = None  # float, the answering model's P(correct) for the query: truth
    shadow_checks: int = 0
    shadow_disagreements: int = 0

    def __len__(self) -> int:
        return len(self.tier)

    def review(self, idx: np.ndarray, reviewers: Reviewers, rng: np.random.Generator) -> np.ndarray:
        """Reviewers' verdicts (True = judged correct) on answers `idx`, with their error rates."""
        truth = self._correct[idx]
        u = rng.random(len(idx))
        return np.where(truth, u >= reviewers.false_positive_rate, u < reviewers.false_negative_rate)

    def verdict_error_rate(self, idx: np.ndarray, reviewers: Reviewers) -> float:
        """The true expected share of answers `idx` a reviewer marks wrong (the day's truth behind a review
        sample drawn from them): error rate x (1 - miss) + correct rate x false-positive rate."""
        if len(idx) == 0:
            return float("nan")
        wrong = float(np.mean(~self._correct[idx] if self._p_correct is None else 1.0 - self._p_correct[idx]))
        return wrong * (1 - reviewers.false_negative_rate) + (1 - wrong) * reviewers.false_positive_rate


@dataclass
class DayLogBuilder:
    """Collects a policy's batches into one day log (in arrival order, so batching changes nothing)."""

    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    shadow_checks: int = 0
    shadow_disagreements: int = 0

    def add(self, tier, confidence, score, ood, thumbs, correct, outcome, p_correct) -> None:
        self.parts.append((tier, confidence, score, ood, thumbs, correct, outcome, p_correct))

    def build(self) -> DayLog:
        if not self.parts:
            e = np.zeros(0)
            return DayLog(e.astype(np.int8), e, e, e, e.astype(bool), e.astype(bool), e.astype(np.int8), e)
        tier, confidence, score, ood, thumbs, correct, outcome, p_correct = (
            np.concatenate(c) for c in zip(*self.parts, strict=True))
        return DayLog(tier, confidence, score, ood, thumbs, correct, outcome, p_correct,
                      shadow_checks=self.shadow_checks, shadow_disagreements=self.shadow_disagreements)


@dataclass(frozen=True)
class ReviewSample:
    """Answers a monitor had reviewed on one day: which tier answered, its self-reported confidence and the
    reviewer's verdict (for calibration tables)."""

    policy: str
    monitor: str
    day: int
    tier: np.ndarray
    confidence: np.ndarray
    verdict: np.ndarray


SuiteRunner = Callable[[int, int, str], tuple[np.ndarray, np.ndarray]]  # (day, size, name) -> (tier, correct)


@dataclass(frozen=True)
class MonitorContext:
    """What a monitor may use: the scenario, the watched policy, its classifier and launch threshold, a runner
    for the offline regression suite, and its own random stream."""

    scenario: Scenario
    policy: Any
    classifier: TrainedClassifier | None
    policy_threshold: float | None
    streams: Streams
    suite_runner: SuiteRunner | None = None


def start_of(config: Any, policy: Any, horizon: int) -> int:
    """First monitored day: explicit, else the watched policy's first full-rollout day."""
    return config.start_day if config.start_day is not None else policy.window(horizon)[0]


def end_of(policy: Any, horizon: int) -> int:
    """Day after the last monitored day: the policy's fixed rollback, else the horizon."""
    return policy.rollback.day if policy.rollback is not None else horizon


class Monitor(ABC):
    """A monitor turns each day's log into an observation: per stratum (trials, events), or a distance.
    What it needs of the watched policy is declared on its config class (`needs_classifier`, `needs_ood`,
    `needs_shadow`), where the scenario checks it."""

    kind: ClassVar[MonitorKind]

    @property
    def distance(self) -> bool:
        """True when the observation is a value tested against its own day-to-day variation (not a count)."""
        return False

    @property
    def odds(self) -> bool:
        """True when the observation is a share (events = one stratum's part of the trials)."""
        return False

    def __init__(self, config: Any, ctx: MonitorContext):
        self.config = config
        self.ctx = ctx
        self.name: str = config.name
        self.tiers = [m.name for m in ctx.scenario.models]
        self.start_day: int = start_of(config, ctx.policy, ctx.scenario.horizon_days)

    def rng(self, day: int) -> np.random.Generator:
        """The monitor's own draws for `day` (sampling, reviewer noise)."""
        return self.ctx.streams.generator(f"monitor:{self.name}", day)

    @abstractmethod
    def observe(self, day: int, log: DayLog) -> Observation | None:
        """The day's observation, or None when the monitor does not measure that day."""

    def truth(self, day: int, log: DayLog) -> dict[str, float] | None:
        """The true value of the watched quantity on `day` per stratum — the mean the observation estimates,
        computed from the whole population the monitor samples, with the simulator's ground truth — or None
        when the monitor has no truth series (its onset then falls back to the drift schedule). Called after
        `observe` for the same day."""
        return None

    def review_samples(self) -> list[ReviewSample]:
        """The reviewed answers the monitor keeps for calibration tables (default: none)."""
        return []

    def per_tier(self, tier: np.ndarray, events: np.ndarray) -> dict[str, tuple[int, int]]:
        """(trials, events) per tier that answered anything."""
        out = {}
        for m, name in enumerate(self.tiers):
            mask = tier == m
            if mask.any():
                out[name] = (int(mask.sum()), int(events[mask].sum()))
        return out
