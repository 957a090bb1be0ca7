"""Golden summaries of the shipped scenarios: a change that moves their economics shows up in review.

To accept an intended change, regenerate with `SIMROUTE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`
and commit the diff of tests/golden/*.json together with the reason.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import SHIPPED_GROUP, run_case

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = ("quickstart", "case1_saas_support", "case2_midmarket_saas", "case3_fintech")
FIELDS = ("bill_pct_of_baseline", "savings_usd_per_month", "net_value_usd_per_month", "trap_ratio",
          "escalation_share", "thumbs_down_per_1k", "contacts_per_1k", "csat", "churned_users",
          "compliance_events", "compliance_caught")
REL = 1e-6  # floating-point noise across library versions; anything larger is a behaviour change


def _digest(result) -> dict:
    out = {"policies": {}}
    for name, p in result.policies.items():
        row = {f: getattr(p, f) for f in FIELDS + ("window_start_day", "window_end_day")}
        row["invisible_loss_usd_per_month"] = p.invisible_loss_usd_per_month
        row["quality"] = p.quality
        out["policies"][name] = row
    return out


def _compare(path: str, want, got, problems: list[str]) -> None:
    if isinstance(want, dict):
        if set(want) != set(got):
            problems.append(f"{path}: keys {sorted(want)} != {sorted(got)}")
            return
        for k in want:
            _compare(f"{path}.{k}", want[k], got[k], problems)
    elif isinstance(want, list):
        if len(want) != len(got):
            problems.append(f"{path}: {len(want)} items -> {len(got)}")
            return
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            _compare(f"{path}[{i}]", a, b, problems)
    elif want is None or got is None:
        if want != got:
            problems.append(f"{path}: {want} -> {got}")
    elif got != pytest.approx(want, rel=REL, abs=1e-9):
        problems.append(f"{path}: {want} -> {got}")


@pytest.mark.xdist_group(SHIPPED_GROUP)  # shares the session runs of the shipped cases
@pytest.mark.parametrize("case", CASES)
def test_golden_summary(case):
    got = json.loads(json.dumps(_digest(run_case(case))))
    path = GOLDEN / f"{case}.json"
    if os.environ.get("SIMROUTE_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    want = json.loads(path.read_text())
    problems: list[str] = []
    _compare(case, want, got, problems)
    assert not problems, "summary moved from the golden file:\n" + "\n".join(problems[:30])
