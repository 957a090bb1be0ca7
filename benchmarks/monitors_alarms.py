"""Alarm rules side by side (issue 15): CUSUM and river's Page-Hinkley and ADWIN on the same daily monitor
statistics, each rule's sensitivity matched to the same false-alarm rate on no-drift runs, then delay from the
true onset on drift runs. Without river installed only CUSUM runs (one line says so).

    .venv/bin/python benchmarks/monitors_alarms.py --seeds 20      # the quickstart world, case 1's monitor kinds
    .venv/bin/python benchmarks/monitors_alarms.py --seeds 8 --scenario scenarios/case1_saas_support.yaml
    .venv/bin/python benchmarks/monitors_alarms.py --seeds 20 --curve operating_curve.png   # + operating curves

The operating curve: each rule's median delay against its false-alarm share on the no-drift runs, over a
range of matched false-alarm rates (CURVE_ALPHAS), one panel per monitor.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import polars as pl
import yaml

import simroute
from simroute.alarms import REGISTRY, available, build
from simroute.alarms.interface import AlarmRule
from simroute.scenario.loader import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
MONITORS = [  # case 1's daily monitor kinds on the router, at the quickstart world's scale
    {"name": "review_pooled", "kind": "human_review", "policy": "pre_route", "reviews_per_day": 100},
    {"name": "review_per_tier", "kind": "human_review", "policy": "pre_route", "reviews_per_day": 100,
     "scope": "per_tier"},
    {"name": "widget_pooled", "kind": "feedback_widget", "policy": "pre_route"},
    {"name": "widget_per_tier", "kind": "feedback_widget", "policy": "pre_route", "scope": "per_tier"},
    {"name": "confidence_psi", "kind": "confidence_drift", "policy": "pre_route"}]
CURVE_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
FIXED = 1e6  # the bound of alarm.threshold, out of reach: the runs only record the series (no calibration pass)


def world(seed: int, drift: bool, scenario: Path | None = None) -> dict:
    """The quickstart world with case 1's monitor kinds, or (`scenario`) a shipped scenario with its own
    monitors of `pre_route`; either way only the baseline and `pre_route`, thresholds fixed out of reach."""
    d = yaml.safe_load((scenario or ROOT / "scenarios" / "quickstart.yaml").read_text())
    d.update(seed=seed)
    if scenario is None:
        d["horizon_days"] = 112
    if not drift:
        d["drift"] = []
    d["policies"] = [p for p in d["policies"] if p["name"] in ("single", "pre_route")]
    mons = MONITORS if scenario is None else [m for m in d["monitors"] if m["policy"] == "pre_route"]
    d["monitors"] = [m | {"alarm": (m.get("alarm") or {}) | {"threshold": FIXED}} for m in mons]
    return d


def series_of(seed: int, drift: bool, scenario: Path | None = None) -> dict:
    """Per monitor: its strata's (trials, events) series, reference length, onset index and flags."""
    r = simroute.run(scenario_from_dict(world(seed, drift, scenario), source=f"seed {seed}"))
    out = {}
    for name, m in r.monitors.items():
        det = r.output.monitors.detectors[name]
        part = r.output.monitors.series.filter(pl.col("monitor") == name)
        strata = {}
        for s in part["stratum"].unique(maintain_order=True).to_list():
            sp = part.filter(pl.col("stratum") == s).sort("day")
            days = sp["day"].to_numpy()
            strata[s] = (days, sp["trials"].to_numpy(), sp["events_or_value"].to_numpy(),
                         int((days < m.window_start_day + det.alarm.reference_days).sum()))
        out[name] = {"strata": strata, "onset": m.onset_day, "distance": det.distance, "odds": det.odds,
                     "shift": det.alarm.shift}
    return out


def first_alarm(rule: AlarmRule, mon: dict, sensitivity: float) -> int | None:
    """The monitor's first alarm day under `rule` (earliest over its strata)."""
    days = []
    for d, n, k, ref in mon["strata"].values():
        i = rule.first_alarm(n, k, ref, sensitivity, mon["shift"], mon["distance"], mon["odds"])
        if i is not None:
            days.append(int(d[i]))
    return min(days) if days else None


def matched(rule: AlarmRule, quiet: list[dict], alpha: float, steps: int = 16) -> tuple[float, float]:
    """Sensitivity with an alarm on a share `alpha` of the no-drift runs (bisection), and that share."""
    lo, hi = rule.sensitivity_range()

    def share(s: float) -> float:
        return float(np.mean([first_alarm(rule, q, s) is not None for q in quiet]))
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if share(mid) > alpha else (lo, mid)
    return hi, share(hi)


def delays(rule: AlarmRule, drifted: list[dict], name: str, s: float) -> tuple[np.ndarray, int]:
    """Delays from the true onset on the drift runs (inf: never), and how many alarmed before the onset."""
    out, early = [], 0
    for r in drifted:
        mon, first = r[name], first_alarm(rule, r[name], s)
        if mon["onset"] is None:
            continue
        if first is not None and first < mon["onset"]:
            early += 1
            continue
        out.append(np.inf if first is None else first - mon["onset"])
    return np.array(out), early


def operating_curve(quiet: list[dict], drifted: list[dict], kinds, path: Path) -> None:
    """Median delay against the no-drift false-alarm share over CURVE_ALPHAS, per monitor and rule."""
    import matplotlib  # lazy: only for --curve
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(quiet[0])
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), sharey=True)
    for ax, name in zip(axes, names, strict=True):
        for kind in kinds:
            rule = build(kind)
            pts = []
            for alpha in CURVE_ALPHAS:
                s, fa = matched(rule, [q[name] for q in quiet], alpha, steps=12)
                dl, _ = delays(rule, drifted, name, s)
                med = float(np.median(dl)) if len(dl) else np.inf
                pts.append((fa, med if np.isfinite(med) else np.nan))
            ax.plot(*zip(*pts, strict=True), marker="o", label=kind.value)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("false-alarm share (no drift)")
    axes[0].set_ylabel("median delay from the true onset (days)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--alpha", type=float, default=0.1)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--curve", type=Path, default=None, help="write the operating-curve plot (PNG) here")
    ap.add_argument("--scenario", type=Path, default=None,
                    help="a scenario's own world and monitors of pre_route (default: the quickstart world)")
    a = ap.parse_args()
    kinds = available()
    missing = [k.value for k in REGISTRY if k not in kinds]
    if missing:
        print(f"river is not installed (pip install 'simroute[river]'): running CUSUM only, not {missing}")
    t = time.time()
    quiet = [series_of(1000 + s, False, a.scenario) for s in range(a.seeds)]
    drifted = [series_of(2000 + s, True, a.scenario) for s in range(a.seeds)]
    rows = []
    for name in quiet[0]:
        for kind in kinds:
            rule = build(kind)
            s, fa = matched(rule, [q[name] for q in quiet], a.alpha)
            dl, early = delays(rule, drifted, name, s)
            rows.append({"monitor": name, "rule": kind.value, "sensitivity": round(s, 3), "no_drift_fa_share": fa,
                         "drift_runs_with_onset": len(dl) + early, "early_alarms": early,
                         "delay_median_days": float(np.median(dl)) if len(dl) else None,
                         "detected_within_4w": float(np.mean(dl <= 28)) if len(dl) else None})
    print("| monitor | rule | FA share (no drift) | delay median | detected ≤4 wk | early (false) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        med = "never" if r["delay_median_days"] in (None, np.inf) else f"{r['delay_median_days']:.0f} d"
        w4 = "—" if r["detected_within_4w"] is None else f"{100 * r['detected_within_4w']:.0f}%"
        print(f"| {r['monitor']} | {r['rule']} | {100 * r['no_drift_fa_share']:.0f}% | {med} | {w4} | "
              f"{r['early_alarms']}/{r['drift_runs_with_onset']} |")
    print(f"({a.seeds} no-drift and {a.seeds} drift seeds, {time.time() - t:.0f} s)")
    if a.out:
        a.out.write_text(json.dumps(rows, indent=2, default=str))
    if a.curve:
        operating_curve(quiet, drifted, kinds, a.curve)
        print(f"operating curves: {a.curve}")


if __name__ == "__main__":
    main()
