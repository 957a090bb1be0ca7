"""Replay speed (issue 13): queries per second of the replay day source against the synthetic engine on the
same day sizes, and the text router against the category router on the held-out MMLU prompts.

The synthetic side is the fitted world of the same eval (scenarios/mmlu_fitted.yaml), the replay side
scenarios/mmlu_replay.yaml; both get the same horizon, users (so the same Poisson day sizes) and the same six
policies. The day loop (`Engine.run`) is timed apart from setup (the synthetic world trains its surface
classifier on 200,000 drawn queries; the replay reads the eval and trains its router on the recorded split).

    python benchmarks/replay.py [--days 7] [--sizes 5000,50000,274000] [--routers]
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import yaml

from simroute.curves import curve_metrics_table, routerbench_aiq_of_run
from simroute.engine import Engine
from simroute.runner import run_resolved
from simroute.scenario.loader import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]


def _replay_policies() -> list[dict]:
    data = yaml.safe_load((ROOT / "scenarios" / "mmlu_replay.yaml").read_text())
    return data["policies"]


def _scenario(name: str, days: int, per_day: int, overrides: dict | None = None):
    data = yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())
    data.update(horizon_days=days, policies=_replay_policies(), monitors=[])
    data["report"] = {"baseline_policy": "single"}
    data["users"]["mau"] = per_day
    data["users"]["queries_per_user_per_day"] = 1.0
    for k, v in (overrides or {}).items():
        data["traffic"]["replay"][k] = v
    return scenario_from_dict(data, source=name)


def time_engine(sc) -> dict:
    t0 = time.perf_counter()
    engine = Engine(sc)
    t1 = time.perf_counter()
    out = engine.run()
    t2 = time.perf_counter()
    n = int(out.arrivals.sum())
    return {"queries": n, "setup_s": round(t1 - t0, 3), "run_s": round(t2 - t1, 3),
            "run_qps": round(n / (t2 - t1)), "total_qps": round(n / (t2 - t0))}


def speed(days: int, sizes: list[int]) -> list[dict]:
    rows = []
    for per_day in sizes:
        synthetic = time_engine(_scenario("mmlu_fitted", days, per_day))
        replay = time_engine(_scenario("mmlu_replay", days, per_day, {"router": "category"}))
        rows.append({"per_day": per_day, "synthetic": synthetic, "replay": replay,
                     "run_ratio": round(synthetic["run_qps"] / replay["run_qps"], 2),
                     "total_ratio": round(synthetic["total_qps"] / replay["total_qps"], 2)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def routers() -> dict:
    """APGR, CPT and both AIQs of the pre-router on the shipped replay, category router vs text router."""
    out = {}
    for router in ("category", "text"):
        sc = load_scenario(ROOT / "scenarios" / "mmlu_replay.yaml", overrides={"traffic.replay.router": router})
        t = time.perf_counter()
        res = run_resolved(sc)
        m = curve_metrics_table(res.curves)
        row = {r["metric"]: round(r["value"], 4) for r in m.filter(m["subject"] == "pre_route").iter_rows(named=True)}
        row["aiq_routerbench"] = round(routerbench_aiq_of_run(res.curves)["pre_route"], 4)
        row["router"] = res.provenance["traffic.replay.router"]
        row["seconds"] = round(time.perf_counter() - t, 1)
        out[router] = row
        print(router, json.dumps(row), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--sizes", default="5000,50000,274000")
    ap.add_argument("--routers", action="store_true", help="also compare the text and category routers")
    a = ap.parse_args()
    os.chdir(ROOT)  # the replay scenario names its eval relative to the repository root
    speed(a.days, [int(s) for s in a.sizes.split(",")])
    if a.routers:
        routers()


if __name__ == "__main__":
    main()
