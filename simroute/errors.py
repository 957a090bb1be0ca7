"""Errors that reach the user as one line each (exit code 2), never as a traceback."""
from __future__ import annotations


def one_line(text: str) -> str:
    """`text` with control characters (a newline in a YAML key, a NUL) shown as escapes, so it stays one line."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


class SimrouteError(Exception):
    """Bad input: carries one line per problem (control characters escaped, so each stays one line)."""

    def __init__(self, lines: list[str] | str):
        self.lines = [one_line(line) for line in ([lines] if isinstance(lines, str) else lines)]
        super().__init__("\n".join(self.lines))


class ScenarioError(SimrouteError):
    """A scenario file that is missing, unreadable, not YAML, or not a valid scenario."""


class ResultsError(SimrouteError):
    """A results folder that cannot be read or written."""


class InputError(SimrouteError):
    """A data file (eval results, production logs, column mapping) that is missing, unreadable or malformed."""
