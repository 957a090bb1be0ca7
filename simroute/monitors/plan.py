"""Planning around monitors: the twin of a policy that rolls back on an alarm, the no-drift scenario the
thresholds are calibrated on, and the launch routing rule an offline suite is run through."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..rng import Streams
from ..scenario.policies import PolicyKind
from ..scenario.schema import Scenario

if TYPE_CHECKING:
    from ..policies import Policy


def launch_tiers(p: Policy, q, o, baseline: int) -> np.ndarray:
    """The model a policy's launch-time rule sends each query to (for the offline suite)."""
    if p.classifier is not None:
        return np.where(p.classifier.score(q.surface) >= p.launch_threshold, p.cheap, p.capable).astype(np.int8)
    if p.kind is PolicyKind.cascade:
        conf = o.confidence[p.chain]
        passes = np.ones(conf.shape, dtype=bool)
        passes[:-1] = conf[:-1] >= np.array(p.config.thresholds)[:, None]
        return p.chain[passes.argmax(axis=0)].astype(np.int8)
    model = getattr(p.config, "model", None)
    idx = p.ctx.scenario.model_index(model) if model else baseline
    return np.full(len(q), idx, dtype=np.int8)


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
    return scenario.model_copy(update={"drift": (), "policies": policies, "seed": seed,
                                       "report": scenario.report.model_copy(update={"surveys": ()})})
