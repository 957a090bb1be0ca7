"""What a run must produce: the engine and the summary skip whatever accumulator or table nobody reads.

Skipping only ever drops records: every random draw, every reaction and every bill stays, so what the run does
(and what the kept outputs say) is byte-identical to a run that computes everything."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Needs:
    """Which outputs a run computes (True: computed as in a full run; False: left empty)."""

    counters: bool = True  # PolicyDays.add: tier counters, costs, latency/score bins, threshold curves
    model_calibration: bool = True  # every model's true reliability per confidence bin (model_reliability)
    surveys: bool = True  # cohort follow-up surveys
    holdout_parity: bool = True  # the pre-launch parity check of classifier-routed policies
    truth: bool = True  # the monitors' truth series (every answer's P(correct)), behind onsets and error levels
    tables: bool = True  # the summary's per-day, per-user, ledger and reliability tables (results files)


EVERYTHING = Needs()
"""`simroute run`: every file of a results folder."""
HEADLINE = Needs(model_calibration=False, surveys=False, holdout_parity=False, tables=False)
"""Replicate and sweep tasks: headline figures, curve metrics and monitor operating rows only."""
MONITORS = Needs(counters=False, model_calibration=False, surveys=False, holdout_parity=False, truth=False,
                 tables=False)
"""The calibration pass: the monitors' observed series only (its thresholds come from them)."""
