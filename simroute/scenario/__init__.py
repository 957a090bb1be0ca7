"""The scenario format: YAML validated once into a frozen config tree."""
from .policies import PolicyKind
from .schema import Scenario

__all__ = ["Scenario", "PolicyKind"]
