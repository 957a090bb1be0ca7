"""The per-query values of a day that depend on its draw alone: each routing classifier's P(simple), each
watched classifier's out-of-distribution score and every model's P(correct) (the monitors' truth series).

They are computed once a day for the whole day, with the draw (`DayDraw.value`): on the drawing thread when
the next day is drawn ahead (world/prefetch), so they leave the serving thread, and once for every policy
and monitor that reads them. Each is computed query by query, so a batch's values are the whole day's at its
positions. What computes them reads only the draw and what never changes during a run (a trained classifier,
the day source): it runs while the engine serves the day before.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import numpy as np

from .classifier import TrainedClassifier
from .policies.base import ClassifierRouter, Policy
from .world.day_source import TRUTH, DayDraw, DaySource, DayValue  # the synthetic draw leaves TRUTH with the day


def score_key(clf: TrainedClassifier) -> str:
    return f"score:{id(clf)}"


def ood_key(clf: TrainedClassifier) -> str:
    return f"ood:{id(clf)}"


def _scores(clf: TrainedClassifier, draw: DayDraw) -> np.ndarray:
    return clf.score(draw.queries.surface)


def _ood(clf: TrainedClassifier, draw: DayDraw) -> np.ndarray:
    return clf.ood(draw.queries.surface)


def _truth(source: DaySource, draw: DayDraw) -> np.ndarray:
    return source.p_correct(draw.queries, draw.day + 0.5)


def routing_classifiers(policies: Iterable[Policy]) -> dict[str, TrainedClassifier]:
    """The classifier of every classifier router, once each, by the name of its day scores."""
    return {score_key(p.classifier): p.classifier for p in policies if isinstance(p, ClassifierRouter)}


def day_values(policies: Iterable[Policy], ood_of: Iterable[str], source: DaySource | None) -> dict[str, DayValue]:
    """What a run reads every day: the scores of every routing classifier, the OOD scores of the classifiers of
    the policies `ood_of`, and the truth from `source` (None: nobody reads it). No value keeps the engine alive."""
    policies, ood_of = list(policies), set(ood_of)
    values: dict[str, DayValue] = {name: partial(_scores, clf) for name, clf in routing_classifiers(policies).items()}
    for p in policies:
        if p.classifier is not None and p.name in ood_of:
            values[ood_key(p.classifier)] = partial(_ood, p.classifier)
    if source is not None:
        values[TRUTH] = partial(_truth, source)
    return values
