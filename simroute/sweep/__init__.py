"""Sweeps over scenario parameters: spec, plan, run on an executor, analysis, plots and the output folder."""
from __future__ import annotations

from .run import SweepResult, run_sweep
from .spec import Mode, SweepError, SweepSpec, is_sweep_file, load_sweep, scenario_path

__all__ = ["Mode", "SweepError", "SweepResult", "SweepSpec", "is_sweep_file", "load_sweep", "run_sweep",
           "scenario_path"]
