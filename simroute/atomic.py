"""Atomic output: everything is written to a temporary sibling first and renamed into place, so a failure
never leaves a half-written file or folder behind."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import ResultsError


@contextmanager
def staging(target_dir: Path) -> Iterator[Path]:
    """A temporary folder inside `target_dir` (same file system), removed afterwards whatever happens."""
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".simroute-", suffix=".tmp", dir=target_dir))
    except OSError as e:
        raise ResultsError(f"{target_dir}: cannot write here ({e.strerror or e})") from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def publish(staged: Path, target_dir: Path) -> None:
    """Move every entry of `staged` into `target_dir`, replacing files and folders of the same name."""
    for entry in sorted(staged.iterdir()):
        dest = target_dir / entry.name
        if entry.is_dir() and dest.exists():
            old = target_dir / f".{entry.name}.old-{os.getpid()}"
            os.replace(dest, old)
            os.replace(entry, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(entry, dest)


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
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not (out / marker).exists():
        raise ResultsError(f"{out}: exists and is not a {what}; refusing to replace it")
    check_parents(out)


@contextmanager
def replacing_folder(out: Path, marker: str, what: str) -> Iterator[Path]:
    """A temporary sibling folder to fill; when the block succeeds it replaces `out` in one rename (only an
    earlier folder with `marker`, never anything else), when it fails it is removed."""
    out = Path(out)
    check_output_folder(out, marker, what)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
        default_mode_dir(tmp)
    except OSError as e:
        raise ResultsError(f"{out}: cannot create the {what} ({e.strerror or e})") from None
    try:
        yield tmp
        check_output_folder(out, marker, what)
        old = out.with_name(f".{out.name}.old-{os.getpid()}") if out.exists() else None
        if old is not None:
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
            os.replace(out, path)
        except OSError as e:
            raise ResultsError(f"{path}: cannot write it ({e.strerror or e})") from None
    return path
