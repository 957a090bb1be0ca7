"""One fitted scenario value and where it came from (the unit every fitter hands to the scenario writer)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FittedValue:
    """A value for the YAML path `path` (e.g. `models[0].quality.skill`) with its provenance comment.

    `comment` is written after the value as `# <comment>`; it starts with `fitted:` (or `calibration:` /
    `assumption:`) in the project's provenance style.
    """

    path: str
    value: float | int | str | list
    comment: str
