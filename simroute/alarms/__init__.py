"""Alarm rules behind one interface, looked up by `AlarmRuleKind`; river's detectors are an optional extra."""
from __future__ import annotations

from .cusum import Cusum
from .interface import AlarmRule, AlarmRuleKind
from .river_rules import Adwin, PageHinkley

REGISTRY: dict[AlarmRuleKind, type[AlarmRule]] = {cls.kind: cls for cls in (Cusum, PageHinkley, Adwin)}


def available() -> list[AlarmRuleKind]:
    """The rules whose libraries are installed (CUSUM always)."""
    return [k for k, cls in REGISTRY.items() if cls.available()]


def build(kind: AlarmRuleKind) -> AlarmRule:
    return REGISTRY[kind]()


__all__ = ["AlarmRule", "AlarmRuleKind", "REGISTRY", "available", "build"]
