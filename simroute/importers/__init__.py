"""Importers of eval results and production logs, one module per format, registered by `ImportFormat`."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .common import as_paths
from .eval_csv import EvalCsv
from .eval_jsonl import EvalJsonl
from .eval_parquet import EvalParquet
from .eval_table import EvalTableImporter, read_eval_files
from .generic import GenericCsvLogs, GenericParquetLogs
from .interface import (
    EVAL_FORMATS,
    LOG_COLUMNS,
    LOG_FORMATS,
    EvalSet,
    Importer,
    ImportFormat,
    LogImporter,
    LogSet,
    PathsLike,
)
from .langfuse import LangfuseExport
from .litellm import LiteLLMSpendLogs
from .mapping import EvalMapping, LogMapping, load_mapping
from .otel import OtelGenAiSpans
from .writers import write_eval, write_logs

REGISTRY: dict[ImportFormat, Importer] = {i.format: i for i in (
    EvalCsv(), EvalParquet(), EvalJsonl(), OtelGenAiSpans(), LiteLLMSpendLogs(), LangfuseExport(),
    GenericCsvLogs(), GenericParquetLogs())}


def read_eval(paths: PathsLike, mapping: EvalMapping | None = None) -> EvalSet:
    """Read eval results from files or a folder (the category in each file's name), format by file suffix."""
    tables = {f: i for f, i in REGISTRY.items() if isinstance(i, EvalTableImporter)}
    return read_eval_files(as_paths(paths), mapping or EvalMapping(), tables)


def sniff_format(path: Path) -> ImportFormat:
    """The log format of `path`, told from its suffix and first line."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    head = ""
    if path.suffix.lower() != ".parquet" and path.is_file():
        with path.open("rb") as fh:
            head = fh.readline(1 << 16).decode("utf-8", errors="replace")
    for fmt in LOG_FORMATS:
        importer = REGISTRY[fmt]
        assert isinstance(importer, LogImporter)
        if importer.sniff(path, head):
            return fmt
    raise InputError(f"{path}: cannot tell the log format (expected OpenTelemetry JSONL, LiteLLM CSV, "
                     "Langfuse CSV/JSONL, or CSV/Parquet; name it with --logs-format)")


def read_logs(paths: PathsLike, fmt: ImportFormat | None = None, mapping: LogMapping | None = None) -> LogSet:
    """Read production logs in `fmt` (None: told from the files, which must agree) into one `LogSet`."""
    files = as_paths(paths)
    if fmt is None:
        found = {f: sniff_format(f) for f in files}
        kinds = set(found.values())
        if len(kinds) > 1:
            shown = ", ".join(f"{p.name}: {k.value}" for p, k in found.items())
            raise InputError(f"{files[0]}: log files of different formats ({shown}); read them separately")
        fmt = kinds.pop()
    importer = REGISTRY[ImportFormat(fmt)]
    if not isinstance(importer, LogImporter):
        raise InputError(f"{files[0]}: format '{ImportFormat(fmt).value}' is an eval format, not a log format")
    return importer.read(files, mapping or LogMapping())


__all__ = ["EVAL_FORMATS", "LOG_COLUMNS", "LOG_FORMATS", "REGISTRY", "EvalMapping", "EvalSet", "ImportFormat",
           "Importer", "LogMapping", "LogSet", "load_mapping", "read_eval", "read_logs", "sniff_format",
           "write_eval", "write_logs"]
