"""Ctrl-C and SIGTERM as KeyboardInterrupt, held back inside the few steps that must not be cut in half.

A signal can arrive between any two steps of the main thread. Between making a temporary folder and taking its
name, or between the two renames of a folder swap, an interrupt would leave a folder nobody removes (or a missing
one), so those steps run `shielded()`: a signal that arrives meanwhile is raised when the block ends, where the
cleanups around it know what to remove. The deferral needs `install()`'s handlers (the CLI installs them).
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_caught: list[int] = []  # every signal received, first the one that ended the run
_state = {"depth": 0, "pending": False}  # shielded blocks open in the main thread; a signal held back


def _on_signal(signum: int, frame: object) -> None:
    _caught.append(signum)
    if _state["depth"]:
        _state["pending"] = True
        return
    _state["pending"] = False
    raise KeyboardInterrupt()


def install() -> None:
    """SIGTERM and SIGINT raise KeyboardInterrupt in the main thread, held back inside `shielded()` blocks."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _on_signal)


def caught() -> signal.Signals | None:
    """The signal that interrupted the run, if one did."""
    return signal.Signals(_caught[0]) if _caught else None


@contextmanager
def shielded() -> Iterator[None]:
    """Run the block whole: an interrupt that arrives meanwhile is raised when it ends (main thread only, where
    Python runs signal handlers; elsewhere a no-op). Keep the block to a few file-system calls."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        if not _state["depth"] and _state["pending"]:
            _state["pending"] = False
            raise KeyboardInterrupt()
