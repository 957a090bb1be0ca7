"""Ctrl-C and SIGTERM held back inside the steps that must not be cut in half: a real signal sent at the worst
moment (the instant a temporary folder or lock file exists, between the two renames of a swap) still leaves
nothing behind, and the interrupt is raised as soon as the step is whole; an interrupt delivered at every
bytecode of a write leaves the old result, the new one or nothing, once `release_all` has run as the CLI runs it."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
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
    interrupts.reset()


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


def test_a_shield_outside_the_main_thread_does_not_hold_back_the_main_threads_interrupt(handlers):
    inside, done = threading.Event(), threading.Event()

    def work():
        with interrupts.shielded():
            inside.set()
            done.wait(10)

    t = threading.Thread(target=work)
    t.start()
    inside.wait(10)
    try:
        with pytest.raises(KeyboardInterrupt):
            _term()
            time.sleep(1)  # not reached: the handler raises as the kill returns
    finally:
        done.set()
        t.join()


def test_after_the_first_interrupt_later_signals_are_only_recorded(handlers):
    with pytest.raises(KeyboardInterrupt):
        _term()
    _term()  # e.g. a second Ctrl-C while the cleanups run: they are not cut short
    os.kill(os.getpid(), signal.SIGINT)
    assert interrupts.caught() == signal.SIGTERM and interrupts._State.caught[1:] == [signal.SIGTERM, signal.SIGINT]


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


# ---- an interrupt at every step ---------------------------------------------------------------------------------

WHERE: list[str] = []  # where the last interrupt was delivered, for the failure messages
TRACED = {atomic.__file__, interrupts.__file__, contextlib.__file__, tempfile.__file__, shutil.__file__}


def _interrupted_at(k: int, action) -> bool:
    """Run `action` with SIGTERM's handler called at its k-th bytecode (of atomic, interrupts, contextlib,
    tempfile, shutil: every place the handler could run, and more); True when the interrupt came. The
    KeyboardInterrupt is kept alive meanwhile, so a context manager cut off mid-way is not cleaned up by its
    garbage collection, and then `release_all` (what the CLI calls on the way out) runs."""
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        if frame.f_code.co_filename not in TRACED:
            return None
        frame.f_trace_opcodes = True
        if event == "opcode":
            count += 1
            if count == k:
                WHERE[:] = [f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} ({frame.f_code.co_name})"]
                interrupts._on_signal(signal.SIGTERM, None)
        return trace

    kept = None
    sys.settrace(trace)
    try:
        action()
    except KeyboardInterrupt as e:
        kept = e
    finally:
        sys.settrace(None)
    atomic.release_all()
    interrupts.reset()
    hit = kept is not None
    del kept
    return hit


def _sweep(tmp_path: Path, action, check) -> int:
    k = 0
    while True:
        k += 1
        if not _interrupted_at(k, action):
            return k
        check(k)
        assert not atomic._HELD and not atomic._LIVE and not atomic._MADE, k


def test_an_interrupt_at_any_step_of_replacing_a_folder_leaves_it_old_or_new(tmp_path, handlers):
    out = tmp_path / "a" / "out"
    out.parent.mkdir()
    out.mkdir()
    (out / MARK).write_text("old")

    def replace():
        with atomic.replacing_folder(out, MARK, WHAT) as tmp:
            (tmp / MARK).write_text("new")
            (tmp / "x.txt").write_text("new")

    def check(k):
        assert [p.name for p in out.parent.iterdir()] == ["out"], k
        assert (out / MARK).read_text() in ("old", "new"), (k, WHERE)
        shutil.rmtree(out)
        out.mkdir()
        (out / MARK).write_text("old")

    steps = _sweep(tmp_path, replace, check)
    assert steps > 100  # the tracing saw the whole write


def test_an_interrupt_at_any_step_of_a_first_write_into_new_parents_leaves_nothing(tmp_path, handlers):
    out = tmp_path / "a" / "b" / "out"

    def write():
        with atomic.replacing_folder(out, MARK, WHAT) as tmp:
            (tmp / MARK).write_text("new")

    def check(k):
        left = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")]
        assert left in ([], ["a", "a/b", "a/b/out", f"a/b/out/{MARK}"]), (k, WHERE, left)
        shutil.rmtree(tmp_path / "a", ignore_errors=True)

    assert _sweep(tmp_path, write, check) > 100


def test_an_interrupt_at_any_step_of_writing_a_file_leaves_it_or_nothing(tmp_path, handlers):
    target = tmp_path / "a.txt"

    def write():
        atomic.write_file(target, lambda p: p.write_text("new"))

    def check(k):
        assert [p.name for p in tmp_path.iterdir()] in ([], ["a.txt"]), (k, WHERE)
        target.unlink(missing_ok=True)

    assert _sweep(tmp_path, write, check) > 50
