"""Atomic output: a replaced folder exists after every rename, a killed run leaves nothing the next run does not
remove, a second writer refuses, and every failed write is one line naming the path."""
from __future__ import annotations

import errno
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from simroute import atomic
from simroute.cli import app
from simroute.errors import ResultsError

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal.yaml"
MARK, WHAT = "summary.json", "simroute results folder"


def _fill(folder: Path, text: str) -> None:
    (folder / MARK).write_text(text)
    (folder / "sub").mkdir()
    (folder / "sub" / "x.txt").write_text(text)


def _old_folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    _fill(out, "old")
    return out


def _replace(out: Path, text: str = "new") -> None:
    with atomic.replacing_folder(out, MARK, WHAT) as tmp:
        _fill(tmp, text)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_folder_exists_after_every_rename(tmp_path, monkeypatch):
    out = _old_folder(tmp_path)
    steps: list[str] = []
    real_rename, real_exchange = atomic._rename, atomic._exchange

    def check(what: str) -> None:
        steps.append(what)
        assert out.is_dir() and (out / MARK).exists(), f"no folder after {what}"

    def rename(a, b):
        check("before rename")
        real_rename(a, b)
        check(f"rename {Path(a).name} -> {Path(b).name}")

    def exchange(a, b):
        check("before exchange")
        swapped = real_exchange(a, b)
        check("exchange")
        return swapped

    monkeypatch.setattr(atomic, "_rename", rename)
    monkeypatch.setattr(atomic, "_exchange", exchange)
    _replace(out)
    assert "exchange" in steps
    assert (out / MARK).read_text() == "new" and (out / "sub" / "x.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_exchange_is_available_here():
    assert atomic._RENAMEAT2 is not None, "renameat2 missing: replacing a folder falls back to two renames"


def test_without_exchange_two_renames_still_replace_and_leave_nothing(tmp_path, monkeypatch):
    out = _old_folder(tmp_path)
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    _replace(out)
    assert (out / MARK).read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_second_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    out = _old_folder(tmp_path)
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    real = atomic._rename
    calls = []

    def rename(a, b):
        calls.append(b)
        if len(calls) == 2:
            raise OSError(errno.EBUSY, "Device or resource busy", str(b))
        real(a, b)

    monkeypatch.setattr(atomic, "_rename", rename)
    with pytest.raises(ResultsError) as err:
        _replace(out)
    assert err.value.lines == [f"{out}: cannot write the {WHAT} (Device or resource busy)"]
    assert (out / MARK).read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_busy_exchange_is_one_line_and_keeps_the_old_folder(tmp_path, monkeypatch):
    out = _old_folder(tmp_path)

    def busy(a, b):
        raise OSError(errno.EBUSY, "Device or resource busy", str(b))

    monkeypatch.setattr(atomic, "_exchange", busy)
    with pytest.raises(ResultsError) as err:
        _replace(out)
    assert err.value.lines == [f"{out}: cannot write the {WHAT} (Device or resource busy)"]
    assert (out / MARK).read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("code, text", [(errno.ENOSPC, "No space left on device"), (errno.EACCES, "Permission denied"),
                                        (errno.EPERM, "Operation not permitted")])
def test_an_os_error_while_writing_is_one_line_naming_the_file(tmp_path, code, text):
    out = _old_folder(tmp_path)
    with pytest.raises(ResultsError) as err:
        with atomic.replacing_folder(out, MARK, WHAT) as tmp:
            raise OSError(code, text, str(tmp / "daily.parquet"))
    assert err.value.lines == [f"{out / 'daily.parquet'}: cannot write the {WHAT} ({text})"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_full_disk_under_polars_is_one_line(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ResultsError) as err:
        with atomic.replacing_folder(out, MARK, WHAT):
            pl.DataFrame({"a": list(range(100_000))}).write_parquet("/dev/full")
    assert len(err.value.lines) == 1 and "No space left on device" in err.value.lines[0]
    assert not out.exists() and not list(tmp_path.iterdir())


def test_write_file_names_the_target_on_a_full_disk(tmp_path):
    target = tmp_path / "ledger.xlsx"

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with pytest.raises(ResultsError) as err:
        atomic.write_file(target, full)
    assert err.value.lines == [f"{target}: cannot write it (No space left on device)"]
    assert not list(tmp_path.iterdir())


def test_stale_temporaries_of_dead_processes_are_removed_and_live_ones_kept(tmp_path):
    out = _old_folder(tmp_path)
    dead = _dead_pid()
    stale = [tmp_path / f".out.{dead}.abcd1234.tmp", tmp_path / f".out.old-{dead}", tmp_path / ".out.abcd_123.tmp"]
    live = [tmp_path / ".out.1.abcd1234.tmp", tmp_path / ".other.1234.abcd1234.tmp"]
    for folder in stale + live:
        folder.mkdir()
        (folder / "f").write_text("x")
    _replace(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out"] + [p.name for p in live])


def test_a_second_writer_refuses_while_the_first_holds_the_lock(tmp_path):
    out = _old_folder(tmp_path)
    lock = atomic.lock_path(out)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, str(os.getpid()).encode())\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ResultsError) as err:
            _replace(out)
        assert err.value.lines == [f"{out}: another simroute run (pid {holder.pid}) is writing this {WHAT}; wait "
                                   "for it to finish or choose another --out"]
        assert (out / MARK).read_text() == "old"
    finally:
        holder.kill()
        holder.wait()
    _replace(out)  # the lock of a dead process is free again
    assert (out / MARK).read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_lock_is_reentrant_in_one_process(tmp_path):
    out = tmp_path / "out"
    with atomic.claim_folder(out, MARK, WHAT):
        _replace(out)
        assert atomic.lock_path(out).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_claim_removes_the_parents_it_made(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    with pytest.raises(RuntimeError):
        with atomic.claim_folder(out, MARK, WHAT):
            raise RuntimeError("simulation failed")
    assert not list(tmp_path.iterdir())


def test_an_unwritable_out_fails_before_simulating(monkeypatch):
    import simroute.api

    def never(*args, **kwargs):
        raise AssertionError("simulated although --out cannot be written")

    monkeypatch.setattr(simroute.api, "run_resolved", never)
    res = CliRunner().invoke(app, ["run", str(MINIMAL), "-q", "--out", "/proc/simroute-nope/out"])
    assert res.exit_code == 2, res.output
    assert res.stderr.splitlines() == ["error: /proc/simroute-nope/out: cannot create the simroute results folder "
                                       "(No such file or directory)"]


# ---- real processes: SIGKILL and SIGTERM while writing --------------------------------------------------------

def _start_run(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simroute.cli", "run", str(MINIMAL), "--no-report", "-q",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)


def _signal_while_writing(out: Path, signum: int) -> subprocess.Popen | None:
    """Start a run, send `signum` as soon as its temporary folder appears; None when it finished first."""
    proc = _start_run(out)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if any(p.name.endswith(".tmp") for p in out.parent.iterdir()):
            proc.send_signal(signum)
            proc.wait()
            return proc
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    return None


def test_a_run_killed_while_writing_leaves_nothing_after_the_next_run(tmp_path):
    out = tmp_path / "out"
    killed = None
    for _ in range(3):
        killed = _signal_while_writing(out, signal.SIGKILL)
        if killed is not None and [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]:
            break
    assert killed is not None and killed.returncode == -signal.SIGKILL
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir()), "the kill missed the write"
    res = CliRunner().invoke(app, ["run", str(MINIMAL), "--no-report", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "summary.json").exists()


def test_sigterm_while_writing_cleans_up_and_says_so(tmp_path):
    out = tmp_path / "out"
    termed = _signal_while_writing(out, signal.SIGTERM)
    if termed is None:
        pytest.skip("the run finished before the signal")
    stderr = termed.stderr.read()
    assert termed.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted (SIGTERM); nothing half-written was left behind"
    assert "Traceback" not in stderr
    assert [p.name for p in tmp_path.iterdir()] in ([], ["out"])


def test_a_lock_file_that_cannot_be_written_is_one_line_and_left_nowhere(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "write", full)
    with pytest.raises(ResultsError, match=r"cannot write the simroute results folder here \(No space left"):
        with atomic.folder_lock(tmp_path / "out", WHAT):
            pass
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == [] and not atomic._HELD
