"""Shared reading helpers: resolving paths, scanning files with one-line errors, parsing times and booleans."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError

UTC_US = pl.Datetime("us", "UTC")
LINE_BASED = {".csv", ".jsonl", ".ndjson", ".json"}
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
TIME_FORMATS_WITH_ZONE = ("%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%z")
TIME_FORMATS_NAIVE = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d")
DEDUPE_SAMPLE = 1000  # rows looked at to tell repeated JSON texts (metadata) from per-call ones
EPOCH_DIVISORS = {"s": 1e-6, "ms": 1e-3, "us": 1.0, "ns": 1e3}


def as_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """One path or several, as a list."""
    if isinstance(paths, (str, Path)):
        return [Path(paths)]
    out = [Path(p) for p in paths]
    if not out:
        raise InputError("no input files given")
    return out


def existing_file(path: Path) -> Path:
    """`path` itself, or an error when it is missing, not a file, or not readable."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as e:
        raise InputError(f"{path}: cannot read it ({e.strerror or e})") from None
    return path


def where(path: Path, index: int) -> str:
    """A 0-based data row as the user finds it: a line (header counted) in text files, a row in Parquet."""
    if path.suffix.lower() == ".csv":
        return f"{path}: line {index + 2}"
    if path.suffix.lower() in LINE_BASED:
        return f"{path}: line {index + 1}"
    return f"{path}: row {index + 1}"


def check_utf8(path: Path) -> None:
    """Fail with the line of the first byte that is not UTF-8 (called when polars refuses a text file)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(f"{path}: line {line}: byte {e.start} is not UTF-8 text (expected UTF-8)") from None


def fail_read(path: Path, e: Exception, what: str) -> InputError:
    """Turn a polars/pyarrow failure on `path` into one line (a UTF-8 problem is located exactly)."""
    if path.suffix.lower() in LINE_BASED:
        check_utf8(path)
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return InputError(f"{path}: cannot read it as {what} ({first[:200]})")


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV file (read as text, so nothing is guessed)."""
    try:
        return pl.read_csv(path, n_rows=0, infer_schema=False).columns
    except Exception as e:  # noqa: BLE001 - any reader failure becomes one line
        raise fail_read(path, e, "CSV") from None


def scan_table(path: Path, what: str, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Read a CSV (every column as text), Parquet or JSONL file, only `columns` when given, with one-line errors."""
    existing_file(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            lf = pl.scan_csv(path, infer_schema=False, encoding="utf8")
        elif suffix == ".parquet":
            lf = pl.scan_parquet(path)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            check_utf8(path) if path.stat().st_size < 1 << 20 else None
            lf = pl.scan_ndjson(path, infer_schema_length=None)
        else:
            raise InputError(f"{path}: unknown file type '{suffix}' (expected .csv, .parquet or .jsonl)")
        if columns is not None:
            names = lf.collect_schema().names()
            keep = [c for c in names if c in set(columns)]
            lf = lf.select(keep or names[:1])
        return lf.collect()
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001
        raise fail_read(path, e, what) from None


def require_columns(path: Path, have: Sequence[str], need: dict[str, str | None]) -> None:
    """Fail naming the first mapped column the file lacks (`need`: mapping key → column)."""
    for key, col in need.items():
        if col is not None and col not in have:
            shown = ", ".join(list(have)[:12]) + (", ..." if len(have) > 12 else "")
            raise InputError(f"{path}: column '{col}' (for {key}) not found; the file has: {shown}")


def first_bad(mask: pl.Series) -> int | None:
    """The index of the first true value of `mask`, or None."""
    idx = mask.arg_true()
    return int(idx[0]) if len(idx) else None


def to_bool(s: pl.Series, path: Path, column: str) -> pl.Series:
    """Booleans from a boolean, 0/1 or true/false/yes/no text column; anything else is an error naming the row."""
    if s.dtype == pl.Boolean:
        return s
    if s.dtype.is_integer():
        bad = first_bad(~s.is_in([0, 1]) & s.is_not_null())
        if bad is not None:
            raise InputError(f"{where(path, bad)}: column '{column}': expected true/false, got {s[bad]}")
        return s.cast(pl.Boolean)
    t = s.cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    t = t.replace("", None)
    out = pl.select(pl.when(t.is_in(TRUE_WORDS)).then(True).when(t.is_in(FALSE_WORDS)).then(False)
                    .otherwise(None).alias(column)).to_series()
    bad = first_bad(out.is_null() & t.is_not_null())
    if bad is not None:
        raise InputError(f"{where(path, bad)}: column '{column}': expected true/false, got '{s[bad]}'")
    return out


def to_number(s: pl.Series, path: Path, column: str, dtype: pl.DataType) -> pl.Series:
    """Numbers (Int64 or Float64) from a numeric or text column; text that is not a number is an error."""
    if s.dtype == dtype:
        return s
    try:  # the fast path: clean numbers convert in one cast; anything else takes the careful path below
        return s.cast(dtype, strict=True)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        pass
    if s.dtype == pl.Utf8:
        t = s.str.strip_chars().replace("", None)
        parsed = t.cast(pl.Float64, strict=False)
        bad = first_bad(parsed.is_null() & t.is_not_null())
    else:
        parsed = s.cast(pl.Float64, strict=False)
        bad = first_bad(parsed.is_null() & s.is_not_null())
    if bad is not None:
        raise InputError(f"{where(path, bad)}: column '{column}': expected a number, got '{s[bad]}'")
    if dtype == pl.Int64:
        frac = first_bad((parsed.round(0) != parsed).fill_null(False))
        if frac is not None:
            raise InputError(f"{where(path, frac)}: column '{column}': expected a whole number, got {parsed[frac]}")
        return parsed.cast(pl.Int64)
    return parsed


def to_text(s: pl.Series) -> pl.Series:
    """Text with empty strings in CSV cells kept as read (CSV empties are already null)."""
    return s.cast(pl.Utf8)


def to_utc(s: pl.Series, path: Path, column: str, zone: str = "UTC", unit: str | None = None) -> pl.Series:
    """Datetime("us", "UTC") from datetimes, ISO-8601 text (with or without an offset; none means `zone`) or
    numeric epochs (`unit`, else guessed from the magnitude); a value that parses as none of these is an error."""
    if isinstance(s.dtype, pl.Datetime):
        out = s.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null") if s.dtype.time_zone is None \
            else s
        out = out.dt.convert_time_zone("UTC").cast(UTC_US)
    elif s.dtype == pl.Date:
        out = s.cast(pl.Datetime("us")).dt.replace_time_zone(zone).dt.convert_time_zone("UTC")
    elif s.dtype.is_numeric():
        out = _from_epoch(s.cast(pl.Float64), unit)
    else:
        out = _from_text(s.cast(pl.Utf8), zone, unit)
    bad = first_bad(out.is_null() & s.is_not_null())
    if bad is not None:
        raise InputError(f"{where(path, bad)}: column '{column}': cannot read '{s[bad]}' as a timestamp "
                         f"(expected ISO 8601 like 2024-05-29T13:46:19Z or an epoch number)")
    return out.alias(column)


def _from_epoch(x: pl.Series, unit: str | None) -> pl.Series:
    if unit is None:
        big = x.abs().max()
        big = float(big) if isinstance(big, (int, float)) else 0.0
        unit = "ns" if big > 1e17 else "us" if big > 1e14 else "ms" if big > 1e11 else "s"
    us = (x * (1.0 / EPOCH_DIVISORS[unit])).round(0).cast(pl.Int64, strict=False) if unit != "ns" \
        else x.cast(pl.Int64, strict=False) // 1000
    return us.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _from_text(t: pl.Series, zone: str, unit: str | None) -> pl.Series:
    fast = _arrow_iso(t, zone)
    if fast is not None:
        return fast
    t = t.str.strip_chars().replace("", None)
    norm = t.str.replace(r"^(\d{4}-\d{2}-\d{2})T", "$1 ").str.replace(r"[Zz]$", "+00:00")
    parts = [norm.str.to_datetime(f, strict=False, time_unit="us").dt.convert_time_zone("UTC")
             for f in TIME_FORMATS_WITH_ZONE]
    parts += [norm.str.to_datetime(f, strict=False, time_unit="us")
              .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
              for f in TIME_FORMATS_NAIVE]
    numeric = t.cast(pl.Float64, strict=False)
    if numeric.is_not_null().any():
        parts.append(_from_epoch(numeric, unit))
    return pl.select(pl.coalesce([p.cast(UTC_US) for p in parts])).to_series()


def _arrow_iso(t: pl.Series, zone: str) -> pl.Series | None:
    """The fast path: a column of ISO-8601 times all with an offset, or all without one, parsed by Arrow in one
    cast (the layout of the first value is tried first); None when the column is anything else (mixed, other
    layouts, bad values: the careful path decides)."""
    arr = t.replace("", None).to_arrow()
    first = t.drop_nulls().head(1).str.contains(r"(?:[Zz]|[+-]\d{2}:?\d{2})\s*$").to_list()
    tries = ("zoned", "naive") if first == [True] else ("naive", "zoned")
    for kind in tries:
        try:
            if kind == "zoned":
                return pl.Series(t.name, pc.cast(arr, pa.timestamp("us", tz="UTC"))).cast(UTC_US)
            naive = pl.Series(t.name, pc.cast(arr, pa.timestamp("us")))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return naive.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone(
            "UTC").cast(UTC_US)
    return None


def _path_match(t: pl.Series, key: str, path: Path, column: str) -> pl.Series:
    try:
        return t.str.json_path_match(f"$.{key}")
    except Exception as e:  # noqa: BLE001
        raise InputError(f"{path}: column '{column}': expected a JSON object ({str(e).splitlines()[0]})") from None


def json_field(s: pl.Series, key: str, path: Path, column: str) -> pl.Series:
    """The value at `key` of a JSON-object column (text or struct), as text; null where absent."""
    if isinstance(s.dtype, pl.Struct):
        fields = [f.name for f in s.dtype.fields]
        if key not in fields:
            return pl.Series(column, [None] * len(s), dtype=pl.Utf8)
        v = s.struct.field(key)
        return v.cast(pl.Utf8) if not isinstance(v.dtype, (pl.Struct, pl.List)) else v.map_elements(
            json.dumps, return_dtype=pl.Utf8)
    t = s.cast(pl.Utf8).replace("", None)
    has = t.str.contains(f'"{key}"', literal=True).fill_null(False)
    if not has.any():  # exports whose JSON never carries the key skip the parse
        return pl.Series(column, [None] * len(s), dtype=pl.Utf8)
    sample = t.head(DEDUPE_SAMPLE)
    if sample.n_unique() > len(sample) // 2:  # per-call texts (token usage): parse them as they are
        return _path_match(t, key, path, column).alias(column)
    distinct = t.filter(has).unique()  # metadata repeats across calls: parse each distinct text once
    values = _path_match(distinct, key, path, column)
    table = pl.DataFrame({"text": distinct, "value": values})
    return t.to_frame("text").join(table, on="text", how="left", maintain_order="left")["value"].alias(column)
