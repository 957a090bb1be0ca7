"""Logs kept as a table (CSV, Parquet, JSONL rows): picking each field from a column or a JSON key inside one,
and converting it to the contract's type. Shared by the generic, LiteLLM and Langfuse importers."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import InputError
from .common import json_field, require_columns, to_bool, to_number, to_utc
from .interface import LOG_REQUIRED, LogSet, finish_logs
from .mapping import LogMapping

FIELDS = ("start_time", "end_time", "model", "user_id", "session_id", "tokens_in", "tokens_out", "cost_usd",
          "intent", "thumbs_down", "latency_s")


@dataclass(frozen=True)
class Defaults:
    """A format's default sources per field: candidates tried in order (a column, or `column.key` for a JSON
    key inside a column); the first present one is used, the rest fill its nulls."""

    sources: dict[str, tuple[str, ...]]


def pick(raw: pl.DataFrame, path: Path, spec: str) -> pl.Series | None:
    """The column `spec`, or the JSON key after the dot in the column before it; None when neither exists."""
    if spec in raw.columns:
        return raw[spec]
    head, _, key = spec.partition(".")
    if key and head in raw.columns:
        return json_field(raw[head], key, path, head).alias(spec)
    return None


def first_present(raw: pl.DataFrame, path: Path, candidates: tuple[str, ...]) -> tuple[pl.Series, str] | None:
    """The first candidate present, its nulls filled from the later ones (read only while nulls remain)."""
    got: tuple[pl.Series, str] | None = None
    for c in candidates:
        if got is not None and got[0].null_count() == 0:
            break
        s = pick(raw, path, c)
        if s is None:
            continue
        if got is None:
            got = (s, c)
        else:
            first = got[0] if got[0].dtype == s.dtype else got[0].cast(pl.Utf8)
            got = (first.fill_null(s if s.dtype == first.dtype else s.cast(pl.Utf8)), got[1])
    return got


def gather(raw: pl.DataFrame, path: Path, mapping: LogMapping, defaults: Defaults) -> dict[str, tuple[pl.Series, str]]:
    """Each field's raw values and the name they came from. A mapped field must exist; a default is used when
    present (several candidates coalesce)."""
    out: dict[str, tuple[pl.Series, str]] = {}
    for field in FIELDS:
        mapped = getattr(mapping, field)
        if mapped is not None:
            s = pick(raw, path, mapped)
            if s is None:
                require_columns(path, raw.columns, {field: mapped.partition(".")[0]})
                raise InputError(f"{path}: column '{mapped}' (for {field}) not found")
            out[field] = (s, mapped)
            continue
        found = first_present(raw, path, defaults.sources.get(field, ()))
        if found is not None:
            out[field] = found
        elif field in LOG_REQUIRED:
            names = " or ".join(f"'{c}'" for c in defaults.sources.get(field, (field,)))
            raise InputError(f"{path}: column {names} (for {field}) not found; map it with the '{field}' key")
    return out


def convert(fields: dict[str, tuple[pl.Series, str]], path: Path, mapping: LogMapping) -> dict[str, pl.Series]:
    """The contract's typed columns from raw field values; a value of the wrong kind is an error naming its row."""
    out: dict[str, pl.Series] = {}
    for field, (s, name) in fields.items():
        if field in ("start_time", "end_time"):
            out[field] = to_utc(s, path, name, mapping.time_zone, mapping.time_unit)
        elif field in ("tokens_in", "tokens_out"):
            out[field] = to_number(s, path, name, pl.Int64())
        elif field in ("cost_usd", "latency_s"):
            out[field] = to_number(s, path, name, pl.Float64())
        elif field == "thumbs_down":
            out[field] = to_bool(s, path, name)
        else:
            out[field] = s.cast(pl.Utf8)
    latency = out.pop("latency_s", None)
    if "end_time" not in out and latency is not None:
        out["end_time"] = out["start_time"] + pl.Series((latency * 1e6).round(0).cast(pl.Int64)).cast(
            pl.Duration("us"))
    return out


def needed_columns(mapping: LogMapping, defaults: Defaults) -> list[str]:
    """The columns a read can touch (so wide exports with prompt and response text stay cheap to scan)."""
    specs = [getattr(mapping, f) or "" for f in FIELDS] + [c for cs in defaults.sources.values() for c in cs]
    return sorted({x for s in specs if s for x in (s, s.partition(".")[0])})


def read_log_table(raw: pl.DataFrame, path: Path, mapping: LogMapping, defaults: Defaults,
                   source: str | None = None) -> LogSet:
    """A `LogSet` from one raw log table."""
    if raw.height == 0:
        raise InputError(f"{path}: no rows (expected at least one logged LLM call)")
    cols = convert(gather(raw, path, mapping, defaults), path, mapping)
    return finish_logs(cols, path, mapping, source or str(path))


def stack(sets: list[LogSet]) -> LogSet:
    """Several files' calls as one set."""
    if len(sets) == 1:
        return sets[0]
    return LogSet(frame=pl.concat([s.frame for s in sets]), source=", ".join(s.source for s in sets))
