"""Column mappings: the names a data format does not fix, as small frozen pydantic models loadable from YAML.

A mapping file holds either the keys of one mapping at the top level, or an `eval:` and/or a `logs:` section
(one file for `simroute fit --map`). Unknown keys are errors, so a typo never silently falls back to a default.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError

Score = Annotated[float, Field(ge=-1e12, le=1e12)]  # a grader's score: any finite scale a team uses

FEEDBACK_NAME = "user-feedback"


class _Mapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EvalMapping(_Mapping):
    """Where an eval-results table keeps what simroute needs. Every key is optional; unset keys fall back to the
    column of the contract's own name when the file has one.

    Keys:
    - `models`: model name → correctness column (a list means the column is the model name). Unset: every column
      named `correct:<model>`, else every column holding only true/false values (the RouteLLM layout), and with
      `score_threshold` also every numeric column.
    - `query_id`: the query id column (unique). Unset: `query_id`, else generated `<file stem>:<row>` ids.
    - `intent`: the category column. Unset: `intent`, else `category`, else the category from the file name when
      a folder is read (see `category_pattern`), else `"all"`.
    - `files`: a glob picking a folder's eval files (unset: the files of the folder's most common type among
      .csv/.parquet/.jsonl, so a side file of another type is left alone).
    - `category_pattern`: a regex with a group `category` applied to each file's stem in a folder. Unset: the stem
      without the prefix all stems share up to an underscore (`mmlu_anatomy` → `anatomy`).
    - `prompt`, `surface` (values simple/complex), `regulatory` (boolean): optional per-query columns.
    - `tokens_in`, `tokens_out`, `cost_usd`, `latency_s`, `confidence`: per-model column templates with a
      `{model}` placeholder, e.g. `"{model}_latency"`. Unset: `tokens_in:{model}` etc. when present.
    - `score_threshold`: correctness given as a score passes at `score >= score_threshold` (needed for numeric
      correctness columns); `score_range`: the scores' stated range, `[0, 1]` unless set; a score outside it is
      an error.
    """

    models: dict[str, str] | None = None
    query_id: str | None = None
    intent: str | None = None
    files: str | None = None
    category_pattern: str | None = None
    prompt: str | None = None
    surface: str | None = None
    regulatory: str | None = None
    tokens_in: str | None = None
    tokens_out: str | None = None
    cost_usd: str | None = None
    latency_s: str | None = None
    confidence: str | None = None
    score_threshold: Score | None = None
    score_range: tuple[Score, Score] = (0.0, 1.0)

    @field_validator("models", mode="before")
    @classmethod
    def _list_of_models(cls, v: Any) -> Any:
        return {str(m): str(m) for m in v} if isinstance(v, (list, tuple)) else v

    @model_validator(mode="after")
    def _threshold_in_range(self) -> EvalMapping:
        lo, hi = self.score_range
        if lo >= hi:
            raise ValueError(f"score_range [{lo}, {hi}] is empty")
        if self.score_threshold is not None and not lo <= self.score_threshold <= hi:
            raise ValueError(f"score_threshold {self.score_threshold} is outside score_range [{lo}, {hi}]")
        return self


class LogMapping(_Mapping):
    """Where production logs keep what simroute needs. Field keys name a column (CSV/Parquet formats), an
    attribute (OpenTelemetry), or a JSON key inside a column as `column.key` (e.g. `metadata.intent`); unset keys
    take the format's default (listed in each importer's docstring).

    Keys:
    - `start_time`, `end_time`, `model`, `user_id`, `session_id`, `tokens_in`, `tokens_out`, `cost_usd`,
      `intent`, `thumbs_down`, `latency_s` (seconds; gives the end time when there is no end-time column).
    - `time_zone`: the zone of timestamps written without an offset (default UTC); every time is read as UTC.
    - `time_unit`: `s`/`ms`/`us`/`ns` for numeric epoch timestamps (unset: guessed from their magnitude).
    - `models`: logged model id → model name; with it, a logged id not listed is an error unless
      `drop_unmapped_models` is true (then those calls are left out).
    - `feedback_name`: the evaluation (OpenTelemetry) or score (Langfuse) name carrying user feedback
      (default `user-feedback`); `thumbs_down_below`: a feedback value below it is a thumbs-down (default 0.5).
    """

    start_time: str | None = None
    end_time: str | None = None
    model: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    tokens_in: str | None = None
    tokens_out: str | None = None
    cost_usd: str | None = None
    intent: str | None = None
    thumbs_down: str | None = None
    latency_s: str | None = None
    time_zone: str = "UTC"
    time_unit: Literal["s", "ms", "us", "ns"] | None = None
    models: dict[str, str] | None = None
    drop_unmapped_models: bool = False
    feedback_name: str = FEEDBACK_NAME
    thumbs_down_below: float = 0.5

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{v}'") from None
        return v

    def column(self, key: str, default: str | None) -> str | None:
        """The mapped name for `key`, else the format's default."""
        v = getattr(self, key)
        return default if v is None else v


def _load_section(cls: type[_Mapping], data: Any, path: Path, section: str) -> Any:
    try:
        return cls.model_validate(data if data is not None else {})
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in (section, *err["loc"]) if p != "")
        raise InputError(f"{path}: {where}: {err['msg']}") from None


def load_mapping(path: Path) -> tuple[EvalMapping, LogMapping]:
    """Read a YAML mapping file into its eval and log mappings (a section left out gives the defaults)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: mapping file not found") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: byte {e.start}: not UTF-8 text") from None
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"{path}: cannot read the mapping ({str(e).splitlines()[0]})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of keys, got {type(data).__name__}")
    if set(data) <= {"eval", "logs"} and data:
        return (_load_section(EvalMapping, data.get("eval"), path, "eval"),
                _load_section(LogMapping, data.get("logs"), path, "logs"))
    eval_keys, log_keys = set(EvalMapping.model_fields), set(LogMapping.model_fields)
    if set(data) <= eval_keys:
        return _load_section(EvalMapping, data, path, ""), LogMapping()
    if set(data) <= log_keys:
        return EvalMapping(), _load_section(LogMapping, data, path, "")
    unknown = sorted(set(data) - eval_keys - log_keys)
    if unknown:
        raise InputError(f"{path}: {unknown[0]}: unknown mapping key (expected an eval or log mapping key)")
    raise InputError(f"{path}: mixes eval and log keys at the top level; put them under 'eval:' and 'logs:'")
