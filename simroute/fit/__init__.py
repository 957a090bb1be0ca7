"""Fitting a world to a team's data: the eval fit (skills, intent difficulties, outcome correlation,
confidence calibration) as provenance-carrying records, and synthetic evals for parameter recovery."""
from .design import FitError, scenario_name
from .evalset import EvalSet
from .records import NOT_IN_DATA, EvalFit, FittedValue, fit_eval
from .synth import synth_eval

__all__ = ["EvalFit", "EvalSet", "FitError", "FittedValue", "NOT_IN_DATA", "fit_eval", "scenario_name", "synth_eval"]
