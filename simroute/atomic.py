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


def write_file(path: Path, write) -> Path:
    """Call `write(tmp_path)` then rename the result to `path`."""
    path = Path(path)
    with staging(path.parent if str(path.parent) else Path(".")) as tmp:
        out = tmp / path.name
        write(out)
        os.replace(out, path)
    return path
