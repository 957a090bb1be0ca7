"""False alarms without drift (issue 15): the share of seed x monitor runs with any false alarm against the
configured chance, with its binomial 95% interval.

    .venv/bin/python benchmarks/monitors_false_alarms.py --seeds 40        # 40 seeds x 5 monitors = 200 runs
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml
from scipy import stats as sps

import simroute
from simroute.scenario.loader import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
MONITORS = [
    {"name": "review_pooled", "kind": "human_review", "policy": "pre_route", "reviews_per_day": 60, "scope": "pooled"},
    {"name": "review_per_tier", "kind": "human_review", "policy": "pre_route", "reviews_per_day": 60,
     "scope": "per_tier"},
    {"name": "widget_pooled", "kind": "feedback_widget", "policy": "pre_route", "scope": "pooled"},
    {"name": "widget_per_tier", "kind": "feedback_widget", "policy": "pre_route", "scope": "per_tier"},
    {"name": "confidence_psi", "kind": "confidence_drift", "policy": "pre_route"},
]


def no_drift_world(seed: int, mau: int = 50_000, horizon: int = 84) -> dict:
    """The quickstart world with drift switched off, one router and the five daily monitor kinds."""
    d = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    d.update(seed=seed, drift=[], horizon_days=horizon, monitors=MONITORS)
    d["users"]["mau"] = mau
    d["policies"] = [p for p in d["policies"] if p["name"] in ("single", "pre_route")]
    return d


def binomial_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval of a share k/n."""
    a = 1 - level
    lo = sps.beta.ppf(a / 2, k, n - k + 1) if k else 0.0
    hi = sps.beta.ppf(1 - a / 2, k + 1, n - k) if k < n else 1.0
    return float(lo), float(hi)


def measure(seeds: range, **world) -> dict:
    """Per seed and monitor: whether any alarm fired (every alarm is false: there is no drift)."""
    runs = []
    for seed in seeds:
        r = simroute.run(scenario_from_dict(no_drift_world(seed, **world), source=f"no-drift seed {seed}"))
        runs += [{"seed": seed, "monitor": n, "alarms": m.alarm_days} for n, m in r.monitors.items()]
    k = sum(1 for x in runs if x["alarms"])
    lo, hi = binomial_interval(k, len(runs))
    target = MONITORS and 0.1
    return {"runs": len(runs), "with_false_alarm": k, "share": k / len(runs), "target": target,
            "binomial_95": [lo, hi], "target_inside": lo <= target <= hi,
            "per_monitor": {n: sum(1 for x in runs if x["monitor"] == n and x["alarms"]) for n in
                            [m["name"] for m in MONITORS]}, "detail": runs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    t = time.time()
    res = measure(range(a.first_seed, a.first_seed + a.seeds))
    res["seconds"] = round(time.time() - t, 1)
    text = json.dumps({k: v for k, v in res.items() if k != "detail"}, indent=2)
    print(text)
    if a.out:
        a.out.write_text(json.dumps(res, indent=2))
    sys.exit(0)


if __name__ == "__main__":
    main()
