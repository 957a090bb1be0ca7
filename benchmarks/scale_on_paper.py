"""Scale on paper (issue 17): what a year at 10M and 100M queries a day through the year benchmark's four policies
(single, pre_route with its monitors and their calibration pass, cascade, soft_threshold) would take on 8, 32 and
128 Dask workers, from measured per-task costs. Prints a markdown table.

Model (every figure linear in the queries drawn, as measured):
- every task pays the world's draws, w CPU-s per drawn query per pass (a calibrated task makes two passes);
- a policy adds s_p CPU-s per drawn query (its serving, monitors and, if calibrated, its calibration pass);
- one run is one task per policy; its wall time is its longest task (a task runs on one core, days in order),
  times the measured 1 -> 2 worker overhead factor; R replicates are R x 4 tasks packed longest first;
- a task's peak memory is base + u x users + m x (queries a day) (per-user state and the whole day's draw).

    python benchmarks/scale_on_paper.py c1_tasks.json task_mem.json [more.json] --drawn 10081059 --overhead 1.1
"""
from __future__ import annotations

import argparse
import heapq
import json
from pathlib import Path

import numpy as np

YEAR_POLICIES = ("single", "pre_route", "cascade", "soft_threshold")
CALIBRATED = {"pre_route"}  # the year benchmark's monitors watch pre_route and calibrate their thresholds


def wall_of(tasks: list[float], workers: int) -> float:
    """Longest-first packing of task durations onto `workers` cores: the last one to finish."""
    loads = [0.0] * workers
    for t in sorted(tasks, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + t)
    return max(loads)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("tasks_json", type=Path, help="benchmarks/cluster.py --json output on case 1")
    ap.add_argument("memory_json", type=Path, nargs="+", help="benchmarks/task_memory.py --json outputs")
    ap.add_argument("--queries-per-user", type=float, default=0.25, help="per day, as the year benchmark's world")
    ap.add_argument("--drawn", type=float, required=True, help="queries drawn per pass of the measured run")
    ap.add_argument("--overhead", type=float, default=1.0, help="measured wall / longest task on 2 workers")
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--worker-gib", type=float, default=16.0, help="memory of one Dask worker")
    a = ap.parse_args()
    c = json.loads(a.tasks_json.read_text())
    w = c["world_only_cpu_s"] / a.drawn
    # a group is named by its policies joined with "+" (a policy served as another one travels with it: case 1's
    # monitor twin with pre_route); a year policy's cost is its group's, so the twin's monitors count (an upper bound)
    groups = {g.split("+")[0]: cpu for g, cpu in c["groups_cpu_s"].items()}
    per_query_cpu = {g: (groups[g] - c["world_only_cpu_s"] * (2 if g in CALIBRATED else 1)) / a.drawn
                     for g in YEAR_POLICIES}
    rows = [r for path in a.memory_json for r in json.loads(path.read_text())]
    fit = np.array([[1.0, r.get("mau", 50 * r["queries_per_day"]) / 1e6, r["queries_per_day"] / 1e6] for r in rows])
    (base, per_user, per_query), *_ = np.linalg.lstsq(fit, np.array([r["peak_rss_mib"] for r in rows]), rcond=None)
    print(f"w = {w * 1e6:.2f} CPU-us per drawn query per pass; s_p (CPU-us per drawn query): "
          + ", ".join(f"{g} {s * 1e6:.2f}" for g, s in per_query_cpu.items())
          + f"; peak memory of a task = {base:.0f} MiB + {per_user:.0f} MiB per 1M users + {per_query:.0f} MiB per 1M "
          f"queries a day (least squares over {len(rows)} measured tasks)")
    serial = (2 * w + sum(per_query_cpu.values())) * 365
    print(f"serial, one core (no split; the world drawn once per pass): {serial * 10e6 / 3600:.1f} h at 10M a day, "
          f"{serial * 100e6 / 3600:.1f} h at 100M")
    print("\n| queries a day | Dask workers | one year-run (wall) | busy workers | "
          f"{a.replicates} replicates (wall) | peak memory per task | binds first |")
    print("|---|---|---|---|---|---|---|")
    for per_day in (10e6, 100e6):
        drawn = per_day * 365
        tasks = [(w * (2 if g in CALIBRATED else 1) + s) * drawn * a.overhead for g, s in per_query_cpu.items()]
        gib = (base + per_user * per_day / a.queries_per_user / 1e6 + per_query * per_day / 1e6) / 1024
        for workers in (8, 32, 128):
            one = wall_of(tasks, workers)
            reps = wall_of(tasks * a.replicates, workers)
            reps_bind = "cores" if len(tasks) * a.replicates > workers else "their longest task"
            binds = (f"memory: {gib:.0f} GiB a task > a {a.worker_gib:g} GiB worker" if gib > a.worker_gib else
                     f"a run: its longest task ({workers - len(tasks)} workers idle); replicates: {reps_bind}")
            print(f"| {per_day / 1e6:.0f}M | {workers} | {one / 3600:.1f} h | {min(workers, len(tasks))} | "
                  f"{reps / 3600:.1f} h | {gib:.1f} GiB | {binds} |")


if __name__ == "__main__":
    main()
