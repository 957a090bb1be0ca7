"""The summary-only fields (tasks.SUMMARY_ONLY_FIELDS) leave the simulation untouched, so sweep points differing only
in them share one simulation and still give what separate runs give."""
from __future__ import annotations

import copy
from functools import cache

import numpy as np
import pytest
import yaml
from test_uncertainty import SCENARIOS, tiny

from simroute.engine import simulate
from simroute.executors import LocalExecutor
from simroute.needs import HEADLINE
from simroute.scenario.loader import scenario_from_dict
from simroute.sweep import SweepSpec, plan, run_sweep
from simroute.tasks import SUMMARY_ONLY_FIELDS, point_tasks, run_task, shared_simulations


def _world() -> dict:
    """A month of the quickstart world with its monitors (so that they too are shown not to read the fields)."""
    return tiny(monitors=yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text()).get("monitors") or [])


def _changed(data: dict, path: str) -> dict:
    """`data` with the field at `path` moved to a different valid value (every item for 'x[*]')."""
    out = copy.deepcopy(data)
    *heads, leaf = path.split(".")
    nodes = [out]
    for head in heads:
        key = head.removesuffix("[*]")
        nodes = [n.setdefault(key, {}) for n in nodes]
        if head.endswith("[*]"):
            nodes = [item for n in nodes for item in n]
    for n in nodes:
        old = n.get(leaf, 0.0)
        n[leaf] = 0.37 if "probability" in leaf else old * 2 + 1
    return out


@cache
def _days(path: str | None):
    data = _world() if path is None else _changed(_world(), path)
    return simulate(scenario_from_dict(data), needs=HEADLINE)


@pytest.mark.parametrize("path", SUMMARY_ONLY_FIELDS)
def test_a_summary_only_field_leaves_the_simulated_days_identical(path):
    base, moved = _days(None), _days(path)
    assert scenario_from_dict(_changed(_world(), path)) != base.scenario  # the field really moved
    assert list(moved.days) == list(base.days)
    for name, d in base.days.items():
        for attr, a in vars(d).items():
            b = getattr(moved.days[name], attr)
            if isinstance(a, np.ndarray):
                assert np.array_equal(a, b, equal_nan=True), f"{path} moved {name}.{attr}"
    assert np.array_equal(moved.arrivals, base.arrivals) and moved.events == base.events


def test_points_differing_only_in_summary_fields_share_a_simulation_and_match_separate_runs():
    sc = scenario_from_dict(tiny())
    s = SweepSpec.model_validate({"parameters": [{"path": "economics.support.usd_per_contact", "values": [2.0, 9.0]},
                                                 {"path": "policies[1].threshold", "values": [0.3, 0.7]}],
                                  "monitors": False, "replicates": 2})
    pts = plan.points(s)
    job = plan.job(sc, s)
    tasks = point_tasks(pts, 2)
    shared = shared_simulations(tasks, [job.build(t.params) for t in tasks])
    assert len(shared) == 4 and all(len(g.tasks) == 2 for g in shared)
    swept = run_sweep(sc, s, LocalExecutor(1))
    for t in tasks:
        alone = run_task(job, t).rows
        assert alone is not None
        mine = swept.table.filter(point=t.index // 2, replicate=t.replicate).drop(
            "point", "replicate", *[p.path for p in s.parameters])
        assert mine.equals(alone.select(mine.columns))
