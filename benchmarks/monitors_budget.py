"""Measurement architectures under one review budget (issue 15, point 5): the same daily reviews spent
pooled, per tier, on the long tail (queries far from the classifier's training data) or on the live edge
(queries near the routing threshold); every monitor calibrated to the same false-alarm chance; each
architecture's first alarm rolls back its own copy of the router (`rollback_on`), and the value of the
architecture is that copy's net value minus its twin's, the same router without the rule, on the same
traffic (common random numbers). Over replicates: the delay distribution from the true onset and the loss
avoided.

    .venv/bin/python benchmarks/monitors_budget.py --replicates 10                        # quickstart world
    .venv/bin/python benchmarks/monitors_budget.py --scenario scenarios/case1_saas_support.yaml \\
        --reviews 200 --replicates 20 --out budget_case1.json                             # case 1

Every architecture watches a copy of `--policy` with the scenario's drift and rollout; the scenario's own
monitors and other policies are dropped (the baseline stays). Response lag: RESPONSE_LAG_DAYS.
"""
from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import polars as pl
import yaml

import simroute
from simroute.scenario.loader import scenario_from_dict
from simroute.uncertainty import interval

ROOT = Path(__file__).resolve().parents[1]
RESPONSE_LAG_DAYS = 3  # as case 1's guarded router: three days to act on an alarm
ALPHA = 0.1  # every architecture's stated false-alarm chance over its window


def architectures(reviews: int) -> dict[str, dict]:
    """The ways to spend `reviews` a day, as one monitor each (name -> monitor config without its policy)."""
    return {
        "pooled": {"kind": "human_review", "reviews_per_day": reviews, "scope": "pooled"},
        "per_tier": {"kind": "human_review", "reviews_per_day": reviews, "scope": "per_tier"},
        "long_tail": {"kind": "long_tail_sampling", "reviews_per_day": reviews, "tail_share": 0.1},
        "live_edge": {"kind": "live_edge_set", "reviews_per_day": reviews, "band": 0.15},
    }


def budget_world(d: dict, policy: str, reviews: int, alpha: float = ALPHA) -> dict:
    """The scenario `d` (a parsed YAML) with, per architecture, a copy of `policy` that rolls back on the
    first alarm of the architecture's monitor, which watches that copy; only the baseline stays beside them."""
    d = copy.deepcopy(d)
    base = (d.get("report") or {}).get("baseline_policy", d["policies"][0]["name"])
    src = next(p for p in d["policies"] if p["name"] == policy)
    guarded, monitors = [], []
    for arch, mon in architectures(reviews).items():
        name = f"{policy}_{arch}"
        guarded.append({**copy.deepcopy(src), "name": name, "rollback_on": {
            "monitor": f"arch_{arch}", "response_lag_days": RESPONSE_LAG_DAYS, "to_share": 0.0}})
        monitors.append({"name": f"arch_{arch}", "policy": name, **mon,
                         "alarm": {"false_alarm_probability": alpha}})
    d["policies"] = [p for p in d["policies"] if p["name"] == base] + guarded
    d["monitors"] = monitors
    report = d.get("report") or {}
    d["report"] = {k: v for k, v in report.items() if k in ("baseline_policy", "steady_state", "holdout_size")}
    return d


def architecture_table(result, policy: str) -> list[dict]:
    """Per architecture over the replicates: the monitor's operating characteristics and the net value over
    the horizon its rollback added against its twin (mean and 95% interval of the paired differences)."""
    reps = result.replicates
    net = reps.table.filter((pl.col("kind") == "policy") & (pl.col("metric") == "net_value_usd_over_horizon"))
    rows = []
    for arch in architectures(1):
        name = f"{policy}_{arch}"
        twin = next(p for p in result.output.scenario.policies if p.name == name).twin_name
        pair = (net.filter(pl.col("subject").is_in([name, twin]))
                .pivot(on="subject", index="replicate", values="value").sort("replicate"))
        gain = interval((pair[name] - pair[twin]).to_numpy())
        oc = reps.monitors[f"arch_{arch}"]
        rows.append({"architecture": arch, "false_alarm_share": oc["false_alarm_share"],
                     "delay_median_days": oc["delay_median_days"], "delay_p90_days": oc["delay_p90_days"],
                     "detected_within_2w": oc["detected_within_2w"], "detected_within_4w": oc["detected_within_4w"],
                     "detected_within_8w": oc["detected_within_8w"], "with_onset": oc["with_onset"],
                     "loss_avoided_usd": gain.mean, "loss_avoided_low": gain.low, "loss_avoided_high": gain.high})
    return rows


def _share(x) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _days(x) -> str:
    return "never" if x is None else f"{x:.0f} d"


def _usd(x: float) -> str:
    return f"{'−' if x < 0 else ''}${abs(x):,.0f}"


def markdown(rows: list[dict], n: int) -> str:
    lines = ["| architecture | false-alarm share | delay median | delay p90 | ≤2 wk | ≤4 wk | ≤8 wk | "
             f"loss avoided over the horizon (mean, 95% interval, {n} replicates) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        money = "—" if not np.isfinite(r["loss_avoided_usd"]) else (
            f"{_usd(r['loss_avoided_usd'])} ({_usd(r['loss_avoided_low'])} to {_usd(r['loss_avoided_high'])})")
        lines.append(f"| {r['architecture']} | {_share(r['false_alarm_share'])} | {_days(r['delay_median_days'])} | "
                     f"{_days(r['delay_p90_days'])} | {_share(r['detected_within_2w'])} | "
                     f"{_share(r['detected_within_4w'])} | {_share(r['detected_within_8w'])} | {money} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "quickstart.yaml")
    ap.add_argument("--policy", default="pre_route")
    ap.add_argument("--reviews", type=int, default=40, help="daily review budget of every architecture")
    ap.add_argument("--replicates", type=int, default=10)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    t = time.time()
    d = budget_world(yaml.safe_load(a.scenario.read_text()), a.policy, a.reviews)
    result = simroute.run(scenario_from_dict(d, source=str(a.scenario)), replicates=a.replicates)
    rows = architecture_table(result, a.policy)
    print(markdown(rows, a.replicates))
    print(f"({a.scenario.name}, {a.reviews} reviews a day, stated false-alarm chance {ALPHA:.0%}, "
          f"{time.time() - t:.0f} s)")
    if a.out:
        a.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
