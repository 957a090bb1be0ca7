"""Why Dask workers were slow: case 1's first policy task (`run_part` of `pack(case1, 2)[0]`) in three fresh
processes — plain, under the Dask nanny's MALLOC_TRIM_THRESHOLD_=65536, and under it with `plain_allocator()` —
each printing its CPU seconds (`time.process_time`).

    python benchmarks/dask_allocator.py [--mau 400000]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

CASE1 = Path(__file__).resolve().parents[1] / "scenarios" / "case1_saas_support.yaml"
TASK = """
import sys, time
from simroute.api import resolve
from simroute.cluster import PartTask, run_part
from simroute.engine_tasks import pack
from simroute.executors.dask import plain_allocator
if sys.argv[2] == "fixed":
    assert plain_allocator()
s = resolve(sys.argv[1], overrides={} if sys.argv[3] == "0" else {"users.mau": int(sys.argv[3])})
t = time.process_time()
assert run_part(s, PartTask(0, pack(s, 2)[0], None)).error is None
print(f"{time.process_time() - t:.1f}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mau", type=int, default=0, help="shrink case 1's users (0: as shipped)")
    args = ap.parse_args()
    nanny = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    for label, env, mode in (("plain process", os.environ, "as_is"), ("nanny's setting", nanny, "as_is"),
                             ("nanny's setting + plain_allocator()", nanny, "fixed")):
        out = subprocess.run([sys.executable, "-c", TASK, str(CASE1), mode, str(args.mau)], env=env,
                             capture_output=True, text=True, check=True)
        print(f"{label}: {out.stdout.strip()} CPU-s")


if __name__ == "__main__":
    main()
