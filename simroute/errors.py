"""Errors that reach the user as one line each (exit code 2), never as a traceback."""
from __future__ import annotations


class SimrouteError(Exception):
    """Bad input: carries one line per problem."""

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


class ScenarioError(SimrouteError):
    """A scenario file that is missing, unreadable, not YAML, or not a valid scenario."""


class ResultsError(SimrouteError):
    """A results folder that cannot be read or written."""


class InputError(SimrouteError):
    """A data file (eval results, production logs, column mapping) that is missing, unreadable or malformed."""
