"""The scenario format: YAML validated once into a frozen config tree."""
from .loader import apply_overrides, dump_resolved, load_scenario, scenario_from_dict
from .policies import PolicyKind
from .provenance import extract_provenance, missing_provenance
from .schema import Scenario

__all__ = ["Scenario", "PolicyKind", "load_scenario", "scenario_from_dict", "dump_resolved", "apply_overrides",
           "extract_provenance", "missing_provenance"]
