"""Ctrl-C and SIGTERM held back inside the steps that must not be cut in half: a real signal sent at the worst
moment (the instant a temporary folder or lock file exists, between the two renames of a swap) still leaves
nothing behind, and the interrupt is raised as soon as the step is whole."""
from __future__ import annotations

import os
import signal
import tempfile
import threading
from pathlib import Path

import pytest

from simroute import atomic, interrupts

MARK, WHAT = "summary.json", "simroute results folder"


@pytest.fixture
def handlers():
    """The CLI's handlers for the test, the previous ones (and the module's state) afterwards."""
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    interrupts.install()
    yield
    for s, h in before.items():
        signal.signal(s, h)
    interrupts._caught.clear()
    interrupts._state.update(depth=0, pending=False)


def _term() -> None:
    """SIGTERM to ourselves: Python runs the handler in the main thread right after this call returns."""
    os.kill(os.getpid(), signal.SIGTERM)


def test_a_signal_outside_a_shield_interrupts_at_once(handlers):
    steps = []
    with pytest.raises(KeyboardInterrupt):
        _term()
        steps.append("after")
    assert steps == [] and interrupts.caught() == signal.SIGTERM


def test_a_signal_inside_a_shield_is_raised_when_the_outermost_block_ends(handlers):
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.shielded():
            with interrupts.shielded():
                _term()
                steps.append("inner")
            steps.append("outer")
        steps.append("after")
    assert steps == ["inner", "outer"]
    with interrupts.shielded():  # held back once: the next block is not interrupted again
        steps.append("next")
    assert steps[-1] == "next"


def test_a_shield_outside_the_main_thread_changes_nothing(handlers):
    seen = []

    def work():
        with interrupts.shielded():
            seen.append(interrupts._state["depth"])

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == [0]


def _signalling_mkdtemp(monkeypatch):
    made = []
    real = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(Path(real(*args, **kwargs)))
        _term()
        return str(made[-1])

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", mkdtemp)
    return made


def test_sigterm_the_moment_the_temporary_folder_exists_leaves_nothing(tmp_path, monkeypatch, handlers):
    made = _signalling_mkdtemp(monkeypatch)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        with atomic.replacing_folder(out, MARK, WHAT) as tmp:
            (tmp / MARK).write_text("never")
    assert made and list(tmp_path.iterdir()) == []


def test_sigterm_the_moment_a_staging_folder_exists_leaves_nothing(tmp_path, monkeypatch, handlers):
    made = _signalling_mkdtemp(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_file(tmp_path / "a.txt", lambda p: p.write_text("never"))
    assert made and list(tmp_path.iterdir()) == []


def test_sigterm_the_moment_the_lock_is_taken_removes_the_lock_file(tmp_path, monkeypatch, handlers):
    real = atomic._take_lock

    def take(*args):
        fd = real(*args)
        _term()
        return fd

    monkeypatch.setattr(atomic, "_take_lock", take)
    with pytest.raises(KeyboardInterrupt):
        with atomic.folder_lock(tmp_path / "out", WHAT):
            pass
    assert list(tmp_path.iterdir()) == [] and not atomic._HELD


def test_sigterm_between_the_two_renames_of_a_swap_finishes_the_swap(tmp_path, monkeypatch, handlers):
    out = tmp_path / "out"
    out.mkdir()
    (out / MARK).write_text("old")
    renames = []
    real = atomic._rename

    def rename(a, b):
        real(a, b)
        renames.append(Path(b).name)
        if len(renames) == 1:
            _term()

    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    monkeypatch.setattr(atomic, "_rename", rename)
    with pytest.raises(KeyboardInterrupt):
        with atomic.replacing_folder(out, MARK, WHAT) as tmp:
            (tmp / MARK).write_text("new")
    assert len(renames) == 3  # out -> .out.old-PID, new -> out, old -> the temporary folder (then removed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and (out / MARK).read_text() == "new"
