"""Case-1 run time and peak memory: `python benchmarks/case1.py [SCENARIO]` (results go to benchmarks/RESULTS.md by hand).

Runs the whole scenario once through the library (every policy, no results folder), and reports wall time,
simulated queries, queries per second and the process's peak resident memory, with the machine's description.
"""
from __future__ import annotations

import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

import simroute


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
                / "scenarios" / "case1_saas_support.yaml")
    t0 = time.perf_counter()
    result = simroute.run(path)
    wall = time.perf_counter() - t0
    arrivals = int(result.output.arrivals.sum())
    policies = len(result.policies)
    served = sum(int(d.tier[:, :, 0].sum()) for d in result.output.days.values())
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scenario        {path.name}")
    print(f"machine         {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, numpy {np.__version__}")
    print(f"days            {result.output.scenario.horizon_days}")
    print(f"drawn queries   {arrivals:,} (before removing churned users' queries per policy)")
    print(f"served          {served:,} policy-queries over {policies} policies")
    print(f"wall time       {wall:.1f} s")
    print(f"throughput      {served / wall:,.0f} policy-queries/s")
    print(f"peak RSS        {rss_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
