"""Planning around monitors: the twin of a policy that rolls back on an alarm, the no-drift scenario the
thresholds are calibrated on, and an offline suite run through the policy's launch routing rule."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..policies.base import Policy, pick
from ..rng import Streams
from ..scenario.replay import in_control
from ..scenario.schema import Scenario
from ..world.outcomes import Outcomes
from ..world.traffic import Queries
from .base import SuiteRunner

Suite = Callable[[str, int, int], tuple[Queries, Outcomes]]  # (name, size, day) -> the suite and its answers


def suite_runner(suite: Suite, p: Policy) -> SuiteRunner:
    """Run a static labelled suite (drawn once, answered by `day`'s models) through the models the policy's
    launch routing rule sends each item to."""
    def run(day: int, size: int, name: str) -> tuple[np.ndarray, np.ndarray]:
        q, o = suite(name, size, day)
        tier = p.launch_tiers(q, o)
        return tier, pick(o.correct, tier)
    return run


def twins(scenario: Scenario) -> list:
    """For each policy that rolls back on an alarm, the same policy without that rule (what the monitor is
    worth is the difference)."""
    return [p.model_copy(update={"name": p.twin_name, "rollback_on": None})
            for p in scenario.policies if p.rollback_on is not None]


def calibration_scenario(scenario: Scenario, streams: Streams | None = None) -> Scenario:
    """The same world with drift switched off, only the watched policies (and the baseline), no rollback on
    alarm, and an independent seed derived from the scenario's: where in-control behaviour is measured."""
    watched = {m.policy for m in scenario.monitors} | {scenario.baseline.name}
    policies = tuple(p.model_copy(update={"rollback_on": None}) for p in scenario.policies if p.name in watched)
    streams = streams or Streams(scenario.seed)
    seed = int(streams.sequence("calibration").generate_state(1, np.uint64)[0] >> np.uint64(1))
    scenario = in_control(scenario)  # a replay's category drift and launch are drift too
    return scenario.model_copy(update={"drift": (), "policies": policies, "seed": seed,
                                       "report": scenario.report.model_copy(update={"surveys": ()})})
