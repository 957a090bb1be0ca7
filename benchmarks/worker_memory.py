"""A sweep or replicate worker's memory across tasks (issue 17): runs tasks one after another in this process,
as a local worker does, and prints after each its current RSS (VmRSS), peak RSS so far (VmHWM) and CPU seconds.

    python benchmarks/worker_memory.py [scenario.yaml] [--tasks 6] [--set path=value ...] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import yaml
from import_logs import status_mib  # the same /proc reading as the other memory benchmarks

from simroute.api import resolve
from simroute.tasks import Job, point_tasks, run_task

ROOT = Path(__file__).resolve().parents[1]


def rounded_mib(field: str) -> float:
    """A VmXXX figure of this process in MiB, to 0.1 (NaN where there is no /proc)."""
    v = status_mib(field)
    return float("nan") if v is None else round(v, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "case1_saas_support.yaml"))
    ap.add_argument("--tasks", type=int, default=6)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in a.sets)}
    sc = resolve(a.scenario, overrides=overrides)
    job = Job(sc.model_dump(mode="json"))
    rows = []
    for task in point_tasks([{}], a.tasks):
        t = time.process_time()
        result = run_task(job, task)
        assert result.error is None, result.error
        rows.append({"task": task.index, "cpu_s": round(time.process_time() - t, 1),
                     "rss_mib": rounded_mib("VmRSS"), "peak_rss_mib": rounded_mib("VmHWM")})
        print(json.dumps(rows[-1]), flush=True)
    if a.json:
        a.json.write_text(json.dumps({"scenario": sc.name, "overrides": overrides, "tasks": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
