"""Fitting a world to a team's data: the eval fit (skills, intent difficulties, outcome correlation, confidence
calibration) and the log fit (traffic, users, tokens, latency, prices, feedback) as provenance-carrying records,
the scenario writer that places them, and synthetic evals and logs for parameter recovery."""
from .design import FitError, scenario_name
from .evals import NOT_IN_DATA, EvalFit, fit_eval
from .evalset import EvalSet
from .records import FittedValue
from .synth import synth_eval

__all__ = ["NOT_IN_DATA", "EvalFit", "EvalSet", "FitError", "FittedValue", "fit_eval", "scenario_name", "synth_eval"]
