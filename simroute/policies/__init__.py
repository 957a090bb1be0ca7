"""Routing policies: one module each behind `Policy`, looked up by `PolicyKind`."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..scenario.policies import PolicyKind
from .base import Policy, PolicyContext, Routing
from .cascade import Cascade
from .oracle import Oracle
from .pre_route import PreRoute
from .random_router import RandomRouter
from .single import Single
from .soft_threshold import SoftThreshold

REGISTRY: dict[PolicyKind, type[Policy]] = {
    cls.kind: cls for cls in (Single, PreRoute, SoftThreshold, Cascade, Oracle, RandomRouter)
}


def same_service(configs: Iterable[Any]) -> dict[str, str]:
    """The policies that would serve exactly as an earlier one (of the policy `configs`): name -> its name.

    A `config_determined` policy decides from its config and the day's shared draw alone (no stream of its own, no
    learning, no events of its own), so two with equal configs but for their names give the same answers to the
    same users every day, and so the same reactions, churn and counters: the engine serves the first and hands
    its batches and counters to the others (a monitor's twin, say, is its policy without the rollback rule). Not
    for one that rolls back on an alarm: its monitors, which it does not share, decide when."""
    same: dict[str, str] = {}
    first: list[tuple[Any, str]] = []
    for c in configs:
        if not REGISTRY[c.kind].config_determined or c.rollback_on is not None:
            continue
        key = c.model_copy(update={"name": ""})
        lead = next((name for k, name in first if k == key), None)
        if lead is None:
            first.append((key, c.name))
        else:
            same[c.name] = lead
    return same


def build(config, ctx: PolicyContext) -> Policy:
    """The policy object for a validated policy config."""
    return REGISTRY[config.kind](config, ctx)


__all__ = ["Policy", "PolicyContext", "Routing", "REGISTRY", "build", "same_service"]
