"""Importers of eval results and production logs: one interface, one module per format, a registry keyed by
`ImportFormat`. Every importer returns a normalised table (`EvalSet`, `LogSet`) that fitting reads."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import ClassVar, Literal

import polars as pl

from ..errors import InputError
from .common import UTC_US, first_bad, where
from .mapping import EvalMapping, LogMapping

PathsLike = str | Path | Iterable[str | Path]


class ImportFormat(str, Enum):
    eval_csv = "eval_csv"
    eval_parquet = "eval_parquet"
    eval_jsonl = "eval_jsonl"
    otel_jsonl = "otel_jsonl"
    litellm_csv = "litellm_csv"
    langfuse = "langfuse"
    generic_csv = "generic_csv"
    generic_parquet = "generic_parquet"


EVAL_FORMATS = (ImportFormat.eval_csv, ImportFormat.eval_parquet, ImportFormat.eval_jsonl)
LOG_FORMATS = tuple(f for f in ImportFormat if f not in EVAL_FORMATS)
EVAL_SUFFIX = {".csv": ImportFormat.eval_csv, ".parquet": ImportFormat.eval_parquet,
               ".jsonl": ImportFormat.eval_jsonl, ".ndjson": ImportFormat.eval_jsonl}
PER_MODEL_FIELDS: dict[str, pl.DataType] = {"tokens_in": pl.Int64(), "tokens_out": pl.Int64(),
                                            "cost_usd": pl.Float64(), "latency_s": pl.Float64(),
                                            "confidence": pl.Float64()}
EVAL_QUERY_COLUMNS: dict[str, pl.DataType] = {"query_id": pl.Utf8(), "intent": pl.Utf8(), "prompt": pl.Utf8(),
                                              "surface": pl.Utf8(), "regulatory": pl.Boolean()}
LOG_COLUMNS: dict[str, pl.DataType] = {
    "start_time": UTC_US, "end_time": UTC_US, "model": pl.Utf8(), "user_id": pl.Utf8(), "session_id": pl.Utf8(),
    "tokens_in": pl.Int64(), "tokens_out": pl.Int64(), "cost_usd": pl.Float64(), "intent": pl.Utf8(),
    "thumbs_down": pl.Boolean()}
LOG_REQUIRED = ("start_time", "model", "tokens_in", "tokens_out")


@dataclass(frozen=True)
class EvalSet:
    """A graded side-by-side eval, one row per query. Columns: query_id (unique), intent ("all" when none),
    prompt, surface (simple/complex), regulatory, and per model m `correct:m` (no nulls) plus, where recorded,
    `tokens_in:m`, `tokens_out:m` (Int64), `cost_usd:m`, `latency_s:m`, `confidence:m` (Float64, in [0, 1])."""

    frame: pl.DataFrame
    models: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class LogSet:
    """Production LLM calls, one row per call, with the columns of `LOG_COLUMNS` (UTC times)."""

    frame: pl.DataFrame
    source: str


class Importer(ABC):
    """Reads one format into a normalised table."""

    format: ClassVar[ImportFormat]
    kind: ClassVar[Literal["eval", "logs"]]


class EvalImporter(Importer):
    kind = "eval"

    @abstractmethod
    def read(self, paths: list[Path], mapping: EvalMapping) -> EvalSet:
        """Read `paths` (files of this format) as one eval."""


class LogImporter(Importer):
    kind = "logs"

    @abstractmethod
    def read(self, paths: list[Path], mapping: LogMapping) -> LogSet:
        """Read `paths` (files of this format) as one set of calls."""

    @abstractmethod
    def sniff(self, path: Path, head: str) -> bool:
        """Whether `path` (whose first line is `head`) looks like this format."""


def folder_files(folder: Path, pattern: str | None) -> list[Path]:
    """A folder's eval files: those matching the glob `pattern`, else those of its most common eval file type
    (so a side file such as a JSONL list of excluded prompts beside CSV results is not read as results)."""
    if pattern is not None:
        found = sorted(f for f in folder.glob(pattern) if f.is_file())
    else:
        found = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in EVAL_SUFFIX)
        if found:
            counts = Counter(f.suffix.lower() for f in found)
            top = max(sorted(counts), key=lambda s: counts[s])
            found = [f for f in found if f.suffix.lower() == top]
    if not found:
        expected = f"files matching '{pattern}'" if pattern else ".csv, .parquet or .jsonl files"
        raise InputError(f"{folder}: folder has no eval files (expected {expected})")
    return found


def eval_files(paths: list[Path], pattern: str | None = None) -> tuple[list[Path], bool]:
    """The files of an eval (a folder stands for its eval files) and whether it is several files."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(folder_files(p, pattern))
        elif not p.exists():
            raise InputError(f"{p}: file not found")
        else:
            files.append(p)
    return files, len(files) > 1 or any(p.is_dir() for p in paths)


def finish_logs(columns: dict[str, pl.Series], path: Path, mapping: LogMapping, source: str,
                rows: pl.Series | None = None) -> LogSet:
    """Assemble the normalised log frame: every column of `LOG_COLUMNS` in order, required ones without
    nulls, model ids renamed through `mapping.models`, at least one row (`rows`: each row's index in the file,
    for messages, when some rows were left out)."""
    n = len(next(iter(columns.values()))) if columns else 0
    if n == 0:
        raise InputError(f"{path}: no rows (expected at least one logged LLM call)")
    out = {name: (columns[name].cast(dt).alias(name) if name in columns else pl.Series(name, [None] * n, dtype=dt))
           for name, dt in LOG_COLUMNS.items()}
    for name in LOG_REQUIRED:
        bad = first_bad(out[name].is_null())
        if bad is not None:
            at = int(rows[bad]) if rows is not None else bad
            raise InputError(f"{where(path, at)}: '{name}' is missing (expected a value in every call)")
    frame = pl.DataFrame(out)
    if mapping.models is not None:
        known = frame["model"].is_in(list(mapping.models))
        if mapping.drop_unmapped_models:
            frame = frame.filter(known)
            if frame.height == 0:
                raise InputError(f"{path}: no rows left after dropping models not in the mapping")
        else:
            bad = first_bad(~known)
            if bad is not None:
                place = where(path, int(rows[bad]) if rows is not None else bad)
                raise InputError(f"{place}: model '{frame['model'][bad]}' is not in the mapping's "
                                 f"models ({', '.join(mapping.models)})")
        frame = frame.with_columns(pl.col("model").replace_strict(mapping.models, return_dtype=pl.Utf8))
    return LogSet(frame=frame, source=source)
