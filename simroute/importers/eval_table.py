"""Eval results, one row per query, whatever the file type: the shared normalisation behind the eval importers
(the file types differ only in how a raw table is loaded)."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from ..errors import InputError
from .common import FALSE_WORDS, TRUE_WORDS, first_bad, require_columns, scan_table, to_bool, to_number, where
from .interface import (
    EVAL_QUERY_COLUMNS,
    EVAL_SUFFIX,
    PER_MODEL_FIELDS,
    EvalImporter,
    EvalSet,
    ImportFormat,
    eval_files,
)
from .mapping import EvalMapping

SURFACES = ("simple", "complex")
CORRECT = "correct:"


class EvalTableImporter(EvalImporter):
    """An eval in one file type; `read` accepts several files (one eval, categories from the file names)."""

    def load(self, path: Path) -> pl.DataFrame:
        """The file as a raw table (text columns for CSV)."""
        return scan_table(path, f"eval results ({self.format.value})")

    def read(self, paths: list[Path], mapping: EvalMapping) -> EvalSet:
        return read_eval_files(paths, mapping, {self.format: self})


def read_eval_files(paths: list[Path], mapping: EvalMapping,
                    importers: Mapping[ImportFormat, EvalTableImporter]) -> EvalSet:
    """Read every file of the eval with the importer of its type, normalise each, and stack them (models must
    agree across files)."""
    files, folder = eval_files(paths, mapping.files)
    categories = file_categories(files, mapping) if folder else {}
    frames: list[pl.DataFrame] = []
    models: tuple[str, ...] | None = None
    for f in files:
        fmt = EVAL_SUFFIX.get(f.suffix.lower())
        if fmt is None:
            raise InputError(f"{f}: unknown eval file type '{f.suffix}' (expected .csv, .parquet or .jsonl)")
        importer = importers.get(fmt)
        if importer is None:
            raise InputError(f"{f}: a {f.suffix} file among {fmt.value} files: read them separately")
        frame, found = normalise(importer.load(f), f, mapping, categories.get(f))
        if models is not None and found != models:
            raise InputError(f"{f}: models {', '.join(found)} differ from {', '.join(models)} in {files[0]}")
        models = found
        frames.append(frame)
    assert models is not None
    frame = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    dup = first_bad(frame["query_id"].is_duplicated())
    if dup is not None:
        raise InputError(f"{paths[0]}: query_id '{frame['query_id'][dup]}' appears more than once "
                         "(expected one row per query)")
    source = str(paths[0]) if len(paths) == 1 else ", ".join(str(p) for p in paths)
    return EvalSet(frame=frame, models=models, source=source)


def file_categories(files: list[Path], mapping: EvalMapping) -> dict[Path, str]:
    """Each file's category from its stem: the `category_pattern` group, else the stem without the prefix all
    stems share up to an underscore."""
    stems = {f: f.stem for f in files}
    if mapping.category_pattern is not None:
        try:
            rx = re.compile(mapping.category_pattern)
        except re.error as e:
            raise InputError(f"category_pattern '{mapping.category_pattern}': not a regular expression ({e})") \
                from None
        out = {}
        for f, stem in stems.items():
            m = rx.search(stem)
            if m is None or "category" not in rx.groupindex or not m.group("category"):
                raise InputError(f"{f}: file name does not match category_pattern '{mapping.category_pattern}' "
                                 "(expected a match with a group named 'category')")
            out[f] = m.group("category")
        return out
    prefix = os.path.commonprefix(list(stems.values())) if len(stems) > 1 else ""
    prefix = prefix[:prefix.rfind("_") + 1] if "_" in prefix else ""
    return {f: stem[len(prefix):] or stem for f, stem in stems.items()}


def _boolish(s: pl.Series) -> bool:
    if s.dtype == pl.Boolean:
        return True
    if s.dtype != pl.Utf8:
        return False
    t = s.drop_nulls().str.strip_chars().str.to_lowercase()
    return len(t) > 0 and bool(t.is_in(("true", "false", "t", "f", "yes", "no")).all())


def infer_models(raw: pl.DataFrame, mapping: EvalMapping) -> dict[str, str]:
    """Model name → correctness column when the mapping names none."""
    wide = {c[len(CORRECT):]: c for c in raw.columns if c.startswith(CORRECT)}
    if wide:
        return wide
    reserved = {mapping.query_id, mapping.intent, mapping.prompt, mapping.surface, mapping.regulatory,
                *EVAL_QUERY_COLUMNS, "category"}
    scores = mapping.score_threshold is not None
    return {c: c for c in raw.columns if c not in reserved and ":" not in c
            and (_boolish(raw[c]) or (scores and _numeric(raw[c])))}


def _numeric(s: pl.Series) -> bool:
    if s.dtype.is_numeric():
        return True
    if s.dtype != pl.Utf8:
        return False
    t = s.drop_nulls()
    return len(t) > 0 and t.str.strip_chars().cast(pl.Float64, strict=False).null_count() == 0


def correctness(s: pl.Series, path: Path, column: str, mapping: EvalMapping) -> pl.Series:
    """Booleans, or scores compared with the pass threshold; a null, a non-score, or an out-of-range score is an
    error naming the row."""
    text = s.dtype == pl.Utf8
    t = s.str.strip_chars().str.to_lowercase() if text else None
    if s.dtype == pl.Boolean or (t is not None and bool(t.drop_nulls().is_in(TRUE_WORDS + FALSE_WORDS).all())
                                 and bool(t.drop_nulls().is_in(("true", "false", "t", "f", "yes", "no")).any())):
        out = to_bool(s, path, column)
    else:
        score = to_number(s, path, column, pl.Float64())
        lo, hi = mapping.score_range
        bad = first_bad(((score < lo) | (score > hi) | score.is_nan()).fill_null(False))
        if bad is not None:
            raise InputError(f"{where(path, bad)}: column '{column}': score {score[bad]} is outside its range "
                             f"[{lo:g}, {hi:g}] (set score_range in the mapping if the scale differs)")
        if mapping.score_threshold is None:
            if bool(score.drop_nulls().is_in([0.0, 1.0]).all()):
                out = score.cast(pl.Boolean)
            else:
                raise InputError(f"{path}: column '{column}': holds scores, not true/false; set score_threshold "
                                 "in the mapping (a score at or above it passes)")
        else:
            out = score >= mapping.score_threshold
    bad = first_bad(out.is_null())
    if bad is not None:
        raise InputError(f"{where(path, bad)}: column '{column}': correctness is missing (expected true/false "
                         "or a score in every row)")
    return out.alias(column)


def normalise(raw: pl.DataFrame, path: Path, mapping: EvalMapping, category: str | None
              ) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The contract's columns from one raw table, and its models in column order."""
    if raw.height == 0:
        raise InputError(f"{path}: no rows (expected one row per graded query)")
    require_columns(path, raw.columns, {k: getattr(mapping, k) for k in
                                        ("query_id", "intent", "prompt", "surface", "regulatory")})
    models = mapping.models if mapping.models is not None else infer_models(raw, mapping)
    for name, col in models.items():
        if col not in raw.columns:
            raise InputError(f"{path}: model '{name}': column '{col}' not found (expected a correctness column "
                             f"for every model in the mapping; the file has {', '.join(raw.columns[:12])})")
    if len(models) < 2:
        found = ", ".join(models) or "none"
        raise InputError(f"{path}: an eval needs at least two models side by side; found {len(models)} ({found})")
    n = raw.height
    cols: dict[str, pl.Series] = {}
    qid = mapping.query_id or ("query_id" if "query_id" in raw.columns else None)
    cols["query_id"] = raw[qid].cast(pl.Utf8) if qid else pl.Series([f"{path.stem}:{i + 1}" for i in range(n)])
    intent = mapping.intent or next((c for c in ("intent", "category") if c in raw.columns), None)
    cols["intent"] = raw[intent].cast(pl.Utf8).fill_null("all") if intent else pl.Series([category or "all"] * n)
    for key in ("prompt", "surface", "regulatory"):
        src: str | None = getattr(mapping, key) or (key if key in raw.columns else None)
        if src is None:
            cols[key] = pl.Series([None] * n, dtype=EVAL_QUERY_COLUMNS[key])
        elif key == "regulatory":
            cols[key] = to_bool(raw[src], path, src)
        else:
            cols[key] = raw[src].cast(pl.Utf8)
    bad = first_bad(~cols["surface"].is_in(SURFACES) & cols["surface"].is_not_null())
    if bad is not None:
        raise InputError(f"{where(path, bad)}: column '{mapping.surface or 'surface'}': expected simple or "
                         f"complex, got '{cols['surface'][bad]}'")
    for m, model_col in models.items():
        cols[f"{CORRECT}{m}"] = correctness(raw[model_col], path, model_col, mapping)
    for field, dtype in PER_MODEL_FIELDS.items():
        template = getattr(mapping, field)
        for m in models:
            col = (template or f"{field}:{{model}}").replace("{model}", m)
            if col not in raw.columns:
                if template is not None:
                    raise InputError(f"{path}: column '{col}' ({field} of model '{m}') not found")
                continue
            cols[f"{field}:{m}"] = to_number(raw[col], path, col, dtype)
            if field == "confidence":
                c = cols[f"{field}:{m}"]
                bad = first_bad(((c < 0) | (c > 1)).fill_null(False))
                if bad is not None:
                    raise InputError(f"{where(path, bad)}: column '{col}': confidence {c[bad]} is outside [0, 1]")
    frame = pl.DataFrame({k: v.alias(k) for k, v in cols.items()})
    return frame, tuple(models)


__all__ = ["EvalTableImporter", "ImportFormat", "read_eval_files"]
