"""Importers of eval results and production logs, one module per format, registered by `ImportFormat`."""
from __future__ import annotations

from .eval_csv import EvalCsv
from .eval_jsonl import EvalJsonl
from .eval_parquet import EvalParquet
from .generic import GenericCsvLogs, GenericParquetLogs
from .interface import (EVAL_FORMATS, LOG_COLUMNS, LOG_FORMATS, EvalSet, Importer, ImportFormat, LogSet, read_eval,
                        read_logs, sniff_format)
from .langfuse import LangfuseExport
from .litellm import LiteLLMSpendLogs
from .mapping import EvalMapping, LogMapping, load_mapping
from .otel import OtelGenAiSpans
from .writers import write_eval, write_logs

REGISTRY: dict[ImportFormat, Importer] = {i.format: i for i in (
    EvalCsv(), EvalParquet(), EvalJsonl(), OtelGenAiSpans(), LiteLLMSpendLogs(), LangfuseExport(),
    GenericCsvLogs(), GenericParquetLogs())}

__all__ = ["EVAL_FORMATS", "LOG_COLUMNS", "LOG_FORMATS", "REGISTRY", "EvalMapping", "EvalSet", "ImportFormat",
           "Importer", "LogMapping", "LogSet", "load_mapping", "read_eval", "read_logs", "sniff_format",
           "write_eval", "write_logs"]
