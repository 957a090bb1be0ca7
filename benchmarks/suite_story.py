"""The suite story of case 1 (issue 15, point 6): how much of the router's loss the provider version change
(the one thing a static regression suite can see) explains, against the traffic drift (hidden intents, mix,
launch) that only monitors on live answers see. Paired counterfactuals on the same seed (common random
numbers): the router and the baseline with no drift, the version change only, the traffic drift only, and
both; no monitors (they do not change the router's outcomes here).

    .venv/bin/python benchmarks/suite_story.py                       # case 1, four runs of two policies

Prints the router's invisible loss per month in the steady state and its net value over the horizon under
each world, and the part of the loss each mechanism adds.
"""
from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import yaml

import simroute
from simroute.scenario.loader import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
WORLDS = ("no drift", "version change only", "traffic drift only", "both (the scenario)")


def world(d: dict, policy: str, which: str) -> dict:
    """`d` with only the baseline and `policy`, no monitors, and the drifts of `which`."""
    d = copy.deepcopy(d)
    base = d["report"]["baseline_policy"]
    d["policies"] = [p for p in d["policies"] if p["name"] in (base, policy)]
    for p in d["policies"]:
        p.pop("rollback_on", None)
    d["monitors"] = []
    version = [x for x in d["drift"] if x["kind"] == "model_skill"]
    traffic = [x for x in d["drift"] if x["kind"] != "model_skill"]
    d["drift"] = {"no drift": [], "version change only": version, "traffic drift only": traffic,
                  "both (the scenario)": version + traffic}[which]
    d["report"].pop("surveys", None)
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "case1_saas_support.yaml")
    ap.add_argument("--policy", default="pre_route")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    t = time.time()
    d = yaml.safe_load(a.scenario.read_text())
    rows = {}
    for which in WORLDS:
        r = simroute.run(scenario_from_dict(world(d, a.policy, which), source=f"{a.scenario} ({which})"))
        p = r.policies[a.policy]
        rows[which] = {"invisible_loss_usd_per_month": p.invisible_loss_usd_per_month["total"],
                       "net_value_usd_over_horizon": p.net_value_usd_over_horizon}
    none = rows["no drift"]["invisible_loss_usd_per_month"]
    both = rows["both (the scenario)"]["invisible_loss_usd_per_month"]
    print("| world | invisible loss / month (steady state) | net value over the horizon | loss added |")
    print("|---|---|---|---|")
    for which, v in rows.items():
        added = v["invisible_loss_usd_per_month"] - none
        share = (f" ({100 * added / (both - none):.0f}% of the drifts' loss)"
                 if both != none and which != WORLDS[0] else "")
        print(f"| {which} | ${v['invisible_loss_usd_per_month']:,.0f} | ${v['net_value_usd_over_horizon']:,.0f} | "
              f"${added:,.0f}{share} |")
    print(f"({a.scenario.name}, policy {a.policy}, seed {d['seed']}, {time.time() - t:.0f} s)")
    if a.out:
        a.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
