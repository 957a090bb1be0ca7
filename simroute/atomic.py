"""Atomic output: everything is written to a temporary sibling first and switched into place, so a failure
never leaves a half-written file or folder behind, and a replaced folder is never missing, not even for a moment.

A folder is replaced with one `renameat2(RENAME_EXCHANGE)` (Linux 3.15+, glibc 2.28+) that swaps the new folder
and the old one; where the OS or file system cannot swap, it falls back to two renames with a window of a few
microseconds in which the name is missing (the old folder then waits under `.NAME.old-PID`). Temporary folders
carry the writer's PID (`.NAME.PID.XXXXXXXX.tmp`), so the next writer removes those of dead processes. A lock file
beside the folder (`.NAME.lock`, held with flock) makes a second run on the same folder refuse with one line
instead of both claiming success. The steps between making something and being able to remove it again run
shielded from Ctrl-C and SIGTERM (see interrupts.py), so an interrupt removes everything too.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ResultsError, SimrouteError
from .interrupts import shielded

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_rename = os.replace  # module attributes, so a test can watch every step


def _renameat2() -> Callable | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names `a` and `b` in one step; False when the OS or the file system cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def io_error(e: BaseException) -> OSError | None:
    """The OSError behind an exception (itself, or in its cause/context chain), or None."""
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, OSError):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ if cur.__cause__ is not None else None if cur.__suppress_context__ else cur.__context__
    return None


def _where(e: OSError, target: Path, tmp: Path | None, tmp_for: Path | None) -> str:
    """The path an OSError names, with a temporary folder shown as the folder it stands for."""
    name = str(e.filename) if e.filename else str(target)
    if tmp is not None and name.startswith(str(tmp)):
        name = str(tmp_for or target) + name[len(str(tmp)):]
    return name


def _reason(e: OSError) -> str:
    return e.strerror or str(e) or type(e).__name__


def write_error(e: BaseException, target: Path, tmp: Path | None = None, what: str = "it",
                tmp_for: Path | None = None) -> ResultsError | None:
    """One line for a failed write (ENOSPC, EACCES, EPERM, EBUSY, ...), or None when `e` is not about I/O (or
    already one of ours). `tmp` is shown as `tmp_for` (default: `target`)."""
    if isinstance(e, SimrouteError):
        return None
    oe = io_error(e)
    if oe is None:
        text = str(e)
        if "os error" in text or "No space left" in text:  # polars and pyarrow wrap the OS error in text
            return ResultsError(f"{target}: cannot write {what} ({text.splitlines()[0][:200]})")
        return None
    return ResultsError(f"{_where(oe, target, tmp, tmp_for)}: cannot write {what} ({_reason(oe)})")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def clean_stale(out: Path) -> list[Path]:
    """Remove `.NAME.PID.*.tmp` and `.NAME.old-PID` siblings of `out` left by processes no longer alive (and
    `.NAME.XXXXXXXX.tmp` of writers that predate the PID in the name); call it while holding the lock."""
    parent = out.parent if str(out.parent) else Path(".")
    removed: list[Path] = []
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(?:(\d+)\.[^.]+\.tmp|[A-Za-z0-9_]{{8}}\.tmp|old-(\d+))")
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if not m:
            continue
        pid = m.group(1) or m.group(2)
        if pid is not None and _pid_alive(int(pid)):
            continue
        shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() and not entry.is_symlink() else _unlink(entry)
        removed.append(entry)
    return removed


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


_HELD: dict[str, tuple[int, object]] = {}  # lock path -> (fd, the holder's token), the locks this process holds
_LIVE: dict[Path, None] = {}  # the temporary folders this process has made and not yet removed
_MADE: list[list[Path]] = []  # parents made by the claims in progress (deepest first), removed if they fail


def release_all() -> None:
    """Remove every temporary folder and lock file this process still holds and the parents its unfinished
    claims made: the backstop of an interrupted run (the CLI calls it on the way out), for an interrupt that
    landed where no `finally` of ours saw it (as a context manager's `__enter__` returns)."""
    with shielded():
        for tmp in list(_LIVE):
            shutil.rmtree(tmp, ignore_errors=True)
            _LIVE.pop(tmp, None)
        for key in list(_HELD):
            _release(key)
        while _MADE:
            _remove_empty(_MADE.pop())


def _remove_empty(folders: list[Path]) -> None:
    """Remove `folders` (deepest first) while they are empty, dropping each removed one from the list."""
    while folders:
        try:
            folders[0].rmdir()
        except OSError:
            return
        folders.pop(0)


def _forget_made(made: list[Path]) -> None:
    _MADE[:] = [m for m in _MADE if m is not made]


def lock_path(out: Path) -> Path:
    out = Path(out)
    return out.with_name(f".{out.name}.lock")


@contextmanager
def folder_lock(out: Path, what: str) -> Iterator[None]:
    """Hold the lock of `out` (reentrant in one process); refuse with one line when another process holds it.
    The lock file is removed on release; a lock taken on a file removed meanwhile is retaken on the new one."""
    path = lock_path(out)
    key = os.path.abspath(path)
    if key in _HELD:
        yield
        return
    token = object()
    try:
        with shielded():
            _HELD[key] = (_take_lock(out, path, what), token)
        yield
    finally:
        _release(key, token)


def _release(key: str, token: object | None = None) -> None:
    """Remove and close the lock file held under `key` (by `token`'s holder; None: whoever holds it); nothing
    when it is not, or no longer, held: release_all may have released it first."""
    with shielded():
        held = _HELD.get(key)
        if held is not None and (token is None or held[1] is token):
            del _HELD[key]
            _unlink(Path(key))
            os.close(held[0])


def _take_lock(out: Path, path: Path, what: str) -> int:
    """Open and flock `path`, retaken when the file was replaced meanwhile; write our PID into it."""
    for _ in range(10):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as e:
            raise ResultsError(f"{out}: cannot write the {what} here ({_reason(e)})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise ResultsError(f"{out}: another simroute run{f' (pid {holder})' if holder else ''} is writing "
                               f"this {what}; wait for it to finish or choose another --out") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except OSError:
            same = False
        if same:
            break
        os.close(fd)
    else:
        raise ResultsError(f"{out}: cannot lock the {what} (its lock file keeps changing)")
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
    except OSError as e:
        _unlink(path)
        os.close(fd)
        raise ResultsError(f"{out}: cannot write the {what} here ({_reason(e)})") from None
    return fd


@contextmanager
def claim_folder(out: Path, marker: str, what: str) -> Iterator[None]:
    """For the whole run: check that `out` can become a folder of `what`, create its parent (removed again if
    the run fails and it was new), take its lock and remove stale temporary siblings, so an unwritable or busy
    `--out` fails before any simulating."""
    out = Path(out)
    check_output_folder(out, marker, what)
    made: list[Path] = []
    try:
        with shielded():
            made = _make_parents(out, what)
            _MADE.append(made)
        with folder_lock(out, what):
            clean_stale(out)
            yield
    except BaseException:
        with shielded():
            _remove_empty(made)
            if not made:  # else a temporary folder or lock file still inside: release_all retries after them
                _forget_made(made)
        raise
    with shielded():
        _forget_made(made)


def _make_parents(out: Path, what: str) -> list[Path]:
    """Create the missing parents of `out`; return those created, deepest first."""
    parent = out.parent if str(out.parent) else Path(".")
    missing = [p for p in [parent, *parent.parents] if not p.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ResultsError(f"{out}: cannot create the {what} ({_reason(e)})") from None
    return missing


@contextmanager
def staging(target_dir: Path) -> Iterator[Path]:
    """A temporary folder inside `target_dir` (same file system), removed afterwards whatever happens; an I/O
    error inside becomes one line naming the file."""
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ResultsError(f"{target_dir}: cannot write here ({_reason(e)})") from None
    with _temporary_folder(target_dir, f".simroute-{os.getpid()}.", f"{target_dir}: cannot write here") as tmp:
        try:
            yield tmp
        except Exception as e:
            err = write_error(e, target_dir, tmp)
            if err is None:
                raise
            raise err from None


@contextmanager
def _temporary_folder(parent: Path, prefix: str, failure: str) -> Iterator[Path]:
    """A new `PREFIXXXXXXXXX.tmp` folder in `parent` with a plain mkdir's permissions, removed afterwards
    whatever happens, an interrupt the moment it was made included; `failure` starts the line when it cannot be
    made."""
    tmp: Path | None = None
    try:
        with shielded():
            try:
                tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=parent))
                _LIVE[tmp] = None
                default_mode_dir(tmp)
            except OSError as e:
                raise ResultsError(f"{failure} ({_reason(e)})") from None
        yield tmp
    finally:
        if tmp is not None:
            with shielded():
                shutil.rmtree(tmp, ignore_errors=True)
                _LIVE.pop(tmp, None)


def publish(staged: Path, target_dir: Path) -> None:
    """Move every entry of `staged` into `target_dir`, replacing files and folders of the same name (folders
    swapped in one step where the OS can); an interrupt waits until every entry is in place."""
    with shielded():
        _publish(staged, target_dir)


def _publish(staged: Path, target_dir: Path) -> None:
    for entry in sorted(staged.iterdir()):
        dest = target_dir / entry.name
        if entry.is_dir() and dest.is_dir():
            _swap_in(entry, dest)
            shutil.rmtree(entry, ignore_errors=True)  # now holds the old folder
        else:
            _rename(entry, dest)


def _swap_in(new: Path, dest: Path) -> None:
    """Put folder `new` at `dest`; afterwards `new` holds the old folder (or nothing). Never a moment without
    `dest` where renameat2 exchanges; otherwise two renames, the old folder waiting under `.NAME.old-PID`."""
    with shielded():
        if _exchange(new, dest):
            return
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        _rename(dest, old)
        try:
            _rename(new, dest)
        except BaseException:
            _rename(old, dest)
            raise
        _rename(old, new)


def default_mode_dir(path: Path) -> None:
    """Give a folder made by mkdtemp (0700) the permissions a normal mkdir would have under the umask."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o777 & ~mask)


def check_parents(path: Path) -> None:
    """Fail when a file sits where one of `path`'s parent folders must go."""
    for parent in Path(path).parents:
        if parent.exists():
            if not parent.is_dir():
                raise ResultsError(f"{path}: '{parent}' is not a folder")
            return


def check_output_folder(out: Path, marker: str, what: str) -> None:
    """Fail before any work when `out` cannot become (or replace) a folder of `what`: it is a file, or a
    non-empty folder without `marker` (someone else's folder, never replaced)."""
    out = Path(out)
    try:
        if out.exists() and not out.is_dir():
            raise ResultsError(f"{out}: exists and is not a folder")
        if out.exists() and any(out.iterdir()) and not (out / marker).exists():
            raise ResultsError(f"{out}: exists and is not a {what}; refusing to replace it")
    except OSError as e:
        raise ResultsError(f"{out}: cannot look into it ({_reason(e)})") from None
    check_parents(out)


@contextmanager
def replacing_folder(out: Path, marker: str, what: str) -> Iterator[Path]:
    """A temporary sibling folder to fill; when the block succeeds it replaces `out` in one step (only an
    earlier folder with `marker`, never anything else), when it fails it is removed. Holds `out`'s lock."""
    out = Path(out)
    with claim_folder(out, marker, what):
        parent = out.parent if str(out.parent) else Path(".")
        # removed afterwards: the new folder on failure, the old one after a swap
        with _temporary_folder(parent, f".{out.name}.{os.getpid()}.", f"{out}: cannot create the {what}") as tmp:
            try:
                yield tmp
                check_output_folder(out, marker, what)
                with shielded():
                    if out.is_dir():
                        _swap_in(tmp, out)
                    else:
                        _rename(tmp, out)
            except Exception as e:
                err = write_error(e, out, tmp, f"the {what}")
                if err is None:
                    raise
                raise err from None


def check_file_target(path: Path) -> None:
    """Fail before any work when `path` cannot become a file (it is a folder, or a file sits where a parent
    folder must go)."""
    path = Path(path)
    if not path.name or path.is_dir():
        raise ResultsError(f"{path}: is a folder; expected a file name")
    check_parents(path)


def write_file(path: Path, write) -> Path:
    """Call `write(tmp_path)` then rename the result to `path`."""
    path = Path(path)
    if not path.name or path.is_dir():
        raise ResultsError(f"{path}: is a folder; expected a file name")
    with staging(path.parent) as tmp:
        out = tmp / path.name
        try:
            write(out)
            _rename(out, path)
        except Exception as e:
            err = write_error(e, path, tmp, tmp_for=path.parent)
            if err is None:
                raise
            raise err from None
    return path
