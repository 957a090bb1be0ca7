"""Per-task costs of a run split into policy tasks (issue 17): CPU seconds of the serial run, of the world alone
(a task with no policy: every task pays it), of each policy group, and of the tasks `pack` makes for N slots.

CPU seconds (time.process_time of this process), not wall: the machine is shared. The 1 -> N speed-up a split
run can reach is serial CPU / the longest task's CPU (each task on its own core).

    python benchmarks/cluster.py [scenario.yaml] [--slots 2] [--set path=value ...] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import yaml

from simroute.api import resolve
from simroute.engine import simulate
from simroute.engine_tasks import groups, pack, simulate_part

ROOT = Path(__file__).resolve().parents[1]


def cpu(fn) -> float:
    t = time.process_time()
    fn()
    return round(time.process_time() - t, 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "case1_saas_support.yaml"))
    ap.add_argument("--slots", type=int, default=2)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-groups", action="store_true", help="skip timing each group on its own")
    a = ap.parse_args()
    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in a.sets)}
    sc = resolve(a.scenario, overrides=overrides)
    out: dict = {"scenario": sc.name, "overrides": overrides, "slots": a.slots}
    out["serial_cpu_s"] = cpu(lambda: simulate(sc))
    out["world_only_cpu_s"] = cpu(lambda: simulate_part(sc, ()))
    if not a.no_groups:
        out["groups_cpu_s"] = {"+".join(g): cpu(lambda g=g: simulate_part(sc, g)) for g in groups(sc)}
    parts = pack(sc, a.slots)
    out["tasks_cpu_s"] = {"+".join(p): cpu(lambda p=p: simulate_part(sc, p)) for p in parts}
    longest = max(out["tasks_cpu_s"].values())
    out["speedup_bound"] = round(out["serial_cpu_s"] / longest, 3)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    text = json.dumps(out, indent=2)
    print(text)
    if a.json:
        a.json.write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
