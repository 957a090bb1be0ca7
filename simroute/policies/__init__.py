"""Routing policies: one module each behind `Policy`, looked up by `PolicyKind`."""
from __future__ import annotations

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


def build(config, ctx: PolicyContext) -> Policy:
    """The policy object for a validated policy config."""
    return REGISTRY[config.kind](config, ctx)


__all__ = ["Policy", "PolicyContext", "Routing", "REGISTRY", "build"]
