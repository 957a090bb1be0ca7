"""The benchmark world: the quickstart's two models and three intents, stationary (no drift, no churn, no
monitors), sized by the number of queries at a fixed ~274,000 queries a day, so a bigger run is a longer
horizon (which is what "memory flat in the horizon" must show)."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
QUERIES_PER_DAY = 274_000
POLICIES = {
    "single": {"name": "single", "kind": "single", "model": "large"},
    "pre_route": {"name": "pre_route", "kind": "pre_route", "cheap_model": "small", "capable_model": "large",
                  "threshold": 0.5},
    "cascade": {"name": "cascade", "kind": "cascade", "chain": ["small", "large"], "thresholds": [0.9]},
    "soft_threshold": {"name": "soft_threshold", "kind": "soft_threshold", "cheap_model": "small",
                       "capable_model": "large"},
    "random": {"name": "random", "kind": "random", "cheap_model": "small", "capable_model": "large",
               "cheap_share": 0.5},
    "oracle": {"name": "oracle", "kind": "oracle", "models": ["small", "large"]},
}


def bench_scenario(queries: int, policies: list[str], seed: int = 11) -> dict:
    """A scenario document drawing about `queries` queries: single (the baseline) plus `policies`."""
    data = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    days = max(1, round(queries / QUERIES_PER_DAY))
    data.update(name="bench", seed=seed, horizon_days=days, drift=[], monitors=[])
    data["users"]["mau"] = round(queries / days)
    data["users"]["queries_per_user_per_day"] = 1.0
    data["users"]["frustration"] = {"churn_hazard_per_unit": 0.0}
    names = ["single", *[p for p in policies if p != "single"]]
    data["policies"] = [POLICIES[p] for p in names]
    return data
