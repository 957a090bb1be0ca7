"""Peak RSS and CPU of one policy task against the traffic of a day (issue 17, scale on paper): the quickstart
world for two weeks at several queries per day, each task in a fresh child process (its peak RSS is its own):
the world alone (what every task of a split run pays) and the world with one policy.

    python benchmarks/task_memory.py [--per-day 100000 1000000] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, time
from simroute.api import resolve
from simroute.engine_tasks import simulate_part
sc = resolve({path!r}, overrides={{"horizon_days": 14, "users.mau": {mau}, "users.queries_per_user_per_day": {qpu},
                                 "drift": [], "monitors": []}})
t = time.process_time()
part = simulate_part(sc, {only!r})
print(json.dumps({{"cpu_s": round(time.process_time() - t, 2), "drawn": int(part.output.arrivals.sum()),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-day", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--queries-per-user", type=float, default=0.02, help="per day (users = queries / this)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    rows = []
    for per_day in a.per_day:
        for only in ((), ("single",), ("pre_route",)):
            mau = round(per_day / a.queries_per_user)
            code = CHILD.format(path=str(ROOT / "scenarios" / "quickstart.yaml"), mau=mau, qpu=a.queries_per_user,
                                only=only)
            got = json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                            text=True).stdout.strip().splitlines()[-1])
            rows.append({"queries_per_day": per_day, "mau": mau, "policies": list(only), **got})
            print(json.dumps(rows[-1]), flush=True)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
