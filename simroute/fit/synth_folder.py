"""A folder of synthetic team data drawn from a scenario's world: production logs in a chosen format and a graded
eval set, with a manifest. It is what `simroute fit` reads, so a round trip (scenario → data → fit) tests a
team's own pipeline, and what the parameter-recovery tests use."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..atomic import replacing_folder
from ..errors import SimrouteError
from ..importers import EVAL_FORMATS, LOG_FORMATS, ImportFormat, write_eval, write_logs
from ..results import scenario_hash
from ..scenario.loader import dump_resolved
from ..scenario.schema import Scenario
from ..version import __version__
from .synth import synth_eval
from .synth_logs import synth_logs

MANIFEST = "synth.json"
KIND = "simroute synthetic data folder"
LOG_SUFFIX = {ImportFormat.otel_jsonl: ".jsonl", ImportFormat.litellm_csv: ".csv", ImportFormat.langfuse: ".csv",
              ImportFormat.generic_csv: ".csv", ImportFormat.generic_parquet: ".parquet"}
EVAL_SUFFIX = {ImportFormat.eval_csv: ".csv", ImportFormat.eval_parquet: ".parquet",
               ImportFormat.eval_jsonl: ".jsonl"}


@dataclass(frozen=True)
class SynthManifest:
    """What a synthetic data folder holds and how it was drawn."""

    scenario: str
    scenario_sha256: str
    seed: int
    policy: str
    days: int
    log_format: str
    log_files: tuple[str, ...]
    log_rows: int
    eval_format: str | None
    eval_file: str | None
    eval_rows: int
    simroute_version: str


def _format(value: str, allowed: tuple[ImportFormat, ...], what: str) -> ImportFormat:
    names = [f.value for f in allowed]
    short = {f.value.removeprefix("eval_"): f for f in allowed}
    if value in names:
        return ImportFormat(value)
    if value in short:
        return short[value]
    raise SimrouteError(f"--{what}: expected one of {', '.join(names)}, got {value!r}")


def write_synthetic(scenario: Scenario, out: Path, *, policy: str | None = None, days: int | None = None,
                    log_format: str = "otel_jsonl", eval_size: int = 5000, eval_format: str = "csv",
                    seed: int | None = None) -> SynthManifest:
    """Draw `days` days of logs of `policy` (default: the baseline) and an eval of `eval_size` queries (0: none)
    from the scenario's world and write them into the folder `out` atomically."""
    log_fmt = _format(log_format, LOG_FORMATS, "logs-format")
    eval_fmt = _format(eval_format, EVAL_FORMATS, "eval-format") if eval_size else None
    days = scenario.horizon_days if days is None else days
    if not 1 <= days <= scenario.horizon_days:
        raise SimrouteError(f"--days: expected 1 to the scenario's horizon ({scenario.horizon_days}), got {days}")
    if eval_size < 0:
        raise SimrouteError(f"--eval-size: expected 0 or more queries, got {eval_size}")
    name = policy or scenario.baseline.name
    seed = scenario.seed if seed is None else seed
    logs = synth_logs(scenario, name, days, seed)
    evalset = synth_eval(scenario, eval_size, seed) if eval_fmt is not None else None
    with replacing_folder(Path(out), MANIFEST, KIND) as tmp:
        written = write_logs(logs, tmp / f"logs{LOG_SUFFIX[log_fmt]}", log_fmt)
        eval_file = None
        if evalset is not None and eval_fmt is not None:
            eval_file = write_eval(evalset, tmp / f"eval{EVAL_SUFFIX[eval_fmt]}", eval_fmt).name
        manifest = SynthManifest(scenario.name, scenario_hash(dump_resolved(scenario)), seed, name, days,
                                 log_fmt.value, tuple(p.name for p in written), logs.frame.height,
                                 eval_fmt.value if eval_fmt else None, eval_file,
                                 evalset.frame.height if evalset is not None else 0, __version__)
        (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest
