"""The day's values that depend on its draw alone (routing scores, OOD scores, the monitors' truth) are computed
once a day for every reader, with the draw, on the drawing thread when the next day is drawn ahead, and give
every batch the values a computation on its own rows gave (issue 17)."""
from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from simroute import day_values
from simroute.engine import Engine
from simroute.observers import DayObserver, Served
from simroute.policies.base import DayScores
from simroute.scenario.loader import scenario_from_dict
from simroute.world import prefetch
from simroute.world.day_source import DayDraw

ROOT = Path(__file__).resolve().parents[1]


def _watched_twice(days: int = 6) -> dict:
    """The quickstart with a long-tail monitor (reads OOD scores) on both classifier routers and a human review."""
    data = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    data.update(horizon_days=days, drift=[])
    data["users"]["mau"] = 20_000
    routers = [p["name"] for p in data["policies"] if p["kind"] in ("pre_route", "soft_threshold")]
    data["monitors"] = [{"name": f"tail_{p}", "kind": "long_tail_sampling", "policy": p, "reviews_per_day": 20,
                         "alarm": {"threshold": 0.5}} for p in routers]
    data["monitors"].append({"name": "review", "kind": "human_review", "policy": routers[0], "reviews_per_day": 20,
                             "alarm": {"threshold": 0.5}})
    return data


def test_a_day_value_is_computed_once():
    calls = []
    draw = DayDraw(0, np.zeros(3), np.zeros(3, dtype=int), None, None, np.zeros((1, 3)))  # type: ignore[arg-type]
    compute = lambda d: calls.append(d.day) or np.arange(3.0)  # noqa: E731
    first = draw.value("x", compute)
    assert draw.value("x", compute) is first and calls == [0]


def test_each_value_is_made_once_a_day_with_the_draw_on_the_drawing_thread(monkeypatch):
    made: Counter = Counter()
    threads: dict[tuple[str, int], str] = {}
    for name in ("_scores", "_ood", "_truth"):
        inner = getattr(day_values, name)

        def spy(what, draw, inner=inner, name=name):
            made[name, draw.day] += 1
            threads[name, draw.day] = threading.current_thread().name
            return inner(what, draw)
        monkeypatch.setattr(day_values, name, spy)
    monkeypatch.setattr(prefetch, "wanted", lambda: True)
    s = scenario_from_dict(_watched_twice())
    Engine(s, thresholds=None).run()
    days = range(s.horizon_days)
    # pre_route and soft_threshold share one trained classifier: one score and one OOD computation a day; the
    # truth comes with the synthetic draw (it compared the answers against it), so it is never recomputed
    assert made == Counter({(n, d): 1 for n in ("_scores", "_ood") for d in days})
    assert all(t.startswith("simroute-day") for (n, d), t in threads.items() if d > 0)


def test_the_truth_the_synthetic_draw_leaves_is_the_sources_p_correct_at_midday():
    w = Engine(scenario_from_dict(_watched_twice())).world
    for day in (0, 4):
        draw = w.source.day(day, w.population.joined(day))
        kept = draw.derived[day_values.TRUTH]
        assert np.array_equal(kept, w.source.p_correct(draw.queries, day + 0.5))
        assert draw.value(day_values.TRUTH, lambda d: pytest.fail("recomputed")) is kept


class _Spy(DayObserver):
    """Checks every served batch against what its own rows give."""

    def __init__(self, engine: Engine):
        self.engine, self.checked = engine, Counter()

    def served(self, batch: Served) -> None:
        e, p, q = self.engine, batch.policy, batch.queries
        assert np.array_equal(e._truth(batch), e.world.source.p_correct(q, batch.day + 0.5))
        if p.classifier is None:
            return
        assert np.array_equal(e._ood(batch), p.classifier.ood(q.surface))
        score, own = batch.routing.score, p.classifier.score(q.surface)
        kept = ~np.isnan(score)  # queries outside the rollout carry no score
        assert kept.any() and np.array_equal(score[kept], own[kept])
        self.checked[isinstance(batch.rows, slice)] += 1


@pytest.mark.parametrize("ahead", [False, True])
def test_every_batch_reads_what_its_own_rows_give(monkeypatch, ahead):
    monkeypatch.setattr(prefetch, "wanted", lambda: ahead)
    made = []
    monkeypatch.setattr(DayScores, "__init__", lambda self, day, n: made.append(day))  # scoring batch by batch
    data = _watched_twice(days=30)
    data["users"]["frustration"] = {"churn_hazard_per_unit": 2.0}  # churn: batches of scattered rows
    engine = Engine(scenario_from_dict(data))
    spy = _Spy(engine)
    engine.observers.append(spy)
    engine.run()
    assert spy.checked[True] and spy.checked[False]  # contiguous days and days with churned users' rows left out
    assert not made  # every day came scored with its draw


def test_observers_day_values_join_the_run_only_when_the_observer_runs():
    from simroute.needs import EVERYTHING, HEADLINE
    from simroute.observers import MODEL_CALIBRATION

    s = scenario_from_dict(_watched_twice(days=2))
    assert MODEL_CALIBRATION in Engine(s, needs=EVERYTHING).day_values
    assert MODEL_CALIBRATION not in Engine(s, needs=HEADLINE).day_values
