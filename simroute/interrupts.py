"""Ctrl-C and SIGTERM as KeyboardInterrupt, held back inside the few steps that must not be cut in half.

A signal can arrive between any two steps of the main thread. Between making a temporary folder and taking its
name, or between the two renames of a folder swap, an interrupt would leave a folder nobody removes (or a missing
one), so those steps run `shielded()`: a signal that arrives meanwhile is raised when the block ends, where the
cleanups around it know what to remove. The first interrupt ends the run: later signals are only recorded, so
they cannot cut the cleanups on the way out short. The deferral needs `install()`'s handlers (the CLI installs
them; `atomic.release_all` is the backstop for an interrupt that lands between two context managers).
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _State:
    caught: list[int] = []  # every signal received, first the one that ended the run
    depth = 0  # shielded blocks open in the main thread
    pending = False  # a signal arrived inside one: raise when the outermost ends
    raised = False  # the interrupt was raised: the run is ending


def _on_signal(signum: int, frame: object) -> None:
    """Record the signal; raise KeyboardInterrupt now, at the end of the shielded block, or not at all when one
    was raised already."""
    _State.caught.append(signum)
    if _State.raised:
        return
    if _State.depth:
        _State.pending = True
        return
    _raise()


def _raise() -> None:
    _State.pending = False
    _State.raised = True
    raise KeyboardInterrupt()


def reset() -> None:
    """Forget the signals received (a new run in the same process)."""
    _State.caught = []
    _State.depth, _State.pending, _State.raised = 0, False, False


def install() -> None:
    """SIGTERM and SIGINT raise KeyboardInterrupt in the main thread, held back inside `shielded()` blocks."""
    reset()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _on_signal)


def caught() -> signal.Signals | None:
    """The signal that interrupted the run, if one did."""
    return signal.Signals(_State.caught[0]) if _State.caught else None


@contextmanager
def shielded() -> Iterator[None]:
    """Run the block whole: an interrupt that arrives meanwhile is raised as the outermost block ends (replacing
    an exception the block raised; main thread only, where Python runs signal handlers, elsewhere a no-op).
    Keep the block to a few file-system calls."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _State.depth += 1
    try:
        yield
    finally:
        _State.depth -= 1
        if not _State.depth and _State.pending:
            _raise()
