"""The benchmark harness: `python benchmarks/run.py [--quick] [--year-days N]` (needs `pip install -e '.[bench]'`).

Each measurement runs in a fresh child process (so peak RSS is its own) and reports wall time, queries per
second per core and peak RSS. In one run, on one machine:
- the engine on the benchmark world (benchmarks/world.py) at 1M, 10M and 100M queries (single + cascade);
- each policy at 10M queries (with the baseline);
- the case-1 scenario as a whole, monitors included;
- the SimPy reference (benchmarks/simpy_reference.py) on the same model, checked against the engine;
- the floor probe (benchmarks/floor.py): only the random draws the engine's model needs;
- a year at 1M queries a day through four policies with case 1's monitors (or N days of it, extrapolated);
- `simroute --help`.
Writes benchmarks/latest.json and prints the Markdown tables that go into benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    import numpy
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {len(os.sched_getaffinity(0))} cores, {mem:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, numpy {numpy.__version__}")


# ---- child measurements (one per process) ---------------------------------------------------------------

def child_engine(queries: int, policies: list[str]) -> dict:
    from world import bench_scenario

    from simroute.api import run_resolved
    from simroute.scenario.loader import scenario_from_dict
    sc = scenario_from_dict(bench_scenario(queries, policies))
    t0 = time.perf_counter()
    result = run_resolved(sc)
    wall = time.perf_counter() - t0
    served = sum(int(d.tier[:, :, 0].sum()) for d in result.output.days.values())
    out = {"drawn": int(result.output.arrivals.sum()), "served": served, "wall_s": wall, "days": sc.horizon_days}
    if "cascade" in policies:
        daily = result.daily.filter(result.daily["policy"] == "cascade")
        q, c, e = daily["queries"].to_numpy(), daily["correct"].to_numpy(), daily["escalated"].to_numpy()
        tiers = daily["tier"].to_list()
        per = {t: (int(q[[i for i, x in enumerate(tiers) if x == t]].sum()),
                   int(c[[i for i, x in enumerate(tiers) if x == t]].sum())) for t in ("small", "large")}
        out["cascade"] = {"queries": int(q.sum()), "escalated": int(e.sum()),
                          "usd": float(daily["model_inference_usd"].sum()), "tiers": per}
    return out


def child_case1(days: int | None, year: bool) -> dict:
    from simroute.api import resolve, run_resolved
    overrides = {}
    if year:  # case 1's world at 1M queries a day for a year, four policies, its monitors on pre_route
        overrides = {"horizon_days": days or 365, "users.queries_per_user_per_day": 0.25,
                     "report.surveys": []}
    sc = resolve(Path(__file__).resolve().parents[1] / "scenarios" / "case1_saas_support.yaml", overrides=overrides)
    if year:
        keep = {"single", "pre_route", "cascade", "soft_threshold"}
        sc = sc.model_copy(update={"policies": tuple(p for p in sc.policies if p.name in keep),
                                   "monitors": tuple(m for m in sc.monitors if m.policy in keep)})
    t0 = time.perf_counter()
    result = run_resolved(sc)
    wall = time.perf_counter() - t0
    served = sum(int(d.tier[:, :, 0].sum()) for d in result.output.days.values())
    return {"drawn": int(result.output.arrivals.sum()), "served": served, "wall_s": wall,
            "days": sc.horizon_days, "policies": len(result.policies), "monitors": len(sc.monitors)}


def child_simpy(queries: int) -> dict:
    from simpy_reference import simulate
    from world import bench_scenario

    from simroute.scenario.loader import scenario_from_dict
    sc = scenario_from_dict(bench_scenario(queries, ["cascade"]))
    t0 = time.perf_counter()
    stats = simulate(sc, queries)
    return {"wall_s": time.perf_counter() - t0, "stats": stats, "drawn": queries}


def child_floor(queries: int) -> dict:
    from floor import draw_only
    from world import bench_scenario

    from simroute.scenario.loader import scenario_from_dict
    sc = scenario_from_dict(bench_scenario(queries, ["cascade"]))
    t0 = time.perf_counter()
    drawn, numbers = draw_only(sc)
    return {"wall_s": time.perf_counter() - t0, "drawn": drawn, "numbers": numbers}


CHILDREN = {"engine": child_engine, "case1": child_case1, "simpy": child_simpy, "floor": child_floor}


def measure(kind: str, **kw) -> dict:
    """Run one child measurement in a fresh process; add its peak RSS."""
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps({"kind": kind, **kw})],
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        print(f"  {kind} {kw} FAILED:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {kind} {kw}: {out['wall_s']:.1f} s, {out['rss_mib']:.0f} MiB", file=sys.stderr)
    return out


def help_time(runs: int = 5) -> float:
    exe = Path(sys.executable).with_name("simroute")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return sorted(times)[runs // 2]


# ---- the report ----------------------------------------------------------------------------------------------

def agreement(engine: dict, ref: dict) -> list[tuple[str, float, float, float]]:
    """(figure, engine, SimPy, z) for escalation share, accuracy per tier and cost per query."""
    e, s = engine["cascade"], ref["stats"]
    rows = []

    def prop(name, a, n, b, m):
        p1, p2 = a / n, b / m
        se = math.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / m)
        rows.append((name, p1, p2, (p1 - p2) / se if se else 0.0))
    prop("escalation share", e["escalated"], e["queries"], s["escalated"], s["queries"])
    for k, tier in enumerate(("small", "large")):
        prop(f"accuracy on {tier}", e["tiers"][tier][1], e["tiers"][tier][0], s["correct"][k], s["answered"][k])
    mean = s["usd"] / s["queries"]
    sd = math.sqrt(max(s["usd_sq"] / s["queries"] - mean * mean, 0.0))
    eng = e["usd"] / e["queries"]
    se = sd * math.sqrt(1 / s["queries"] + 1 / e["queries"])
    rows.append(("cost per query (USD)", eng, mean, (eng - mean) / se))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child")
    ap.add_argument("--quick", action="store_true", help="1M and 10M only, no year")
    ap.add_argument("--year-days", type=int, default=365, help="days of the year run (0: skip; at least 266, "
                    "the last day case 1's calendar refers to); fewer than 365 are extrapolated to 365")
    ap.add_argument("--simpy-queries", type=int, default=200_000)
    args = ap.parse_args()
    if args.child:
        spec = json.loads(args.child)
        out = CHILDREN[spec.pop("kind")](**spec)
        out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        return
    res: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "help_s": help_time()}
    sizes = [1_000_000, 10_000_000] + ([] if args.quick else [100_000_000])
    res["sizes"] = {str(n): measure("engine", queries=n, policies=["cascade"]) for n in sizes}
    res["policies"] = {p: measure("engine", queries=10_000_000, policies=[p])
                       for p in ("single", "pre_route", "cascade", "soft_threshold", "random", "oracle")}
    res["case1"] = measure("case1", days=None, year=False)
    res["simpy"] = measure("simpy", queries=args.simpy_queries)
    res["floor"] = measure("floor", queries=10_000_000)
    if args.year_days and not args.quick:
        res["year"] = measure("case1", days=args.year_days, year=True)
    res = {k: v for k, v in res.items() if v is not None}
    (HERE / "latest.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    print(report(res))


def report(r: dict) -> str:
    """The Markdown tables of RESULTS.md."""
    lines = [f"Machine: {r['machine']}. Date: {r['date']}. Command: `python benchmarks/run.py`.", "",
             "| run | days | drawn queries | policy-queries served | wall | drawn queries/s | served/s | peak RSS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def row(name, m):
        lines.append(f"| {name} | {m['days']} | {m['drawn']:,} | {m['served']:,} | {m['wall_s']:.1f} s | "
                     f"{m['drawn'] / m['wall_s']:,.0f} | {m['served'] / m['wall_s']:,.0f} | {m['rss_mib']:,.0f} MiB |")
    for n, m in r["sizes"].items():
        row(f"bench world, single + cascade, {int(n) / 1e6:g}M", m)
    for p, m in r["policies"].items():
        row(f"bench world, single{'' if p == 'single' else ' + ' + p}, 10M", m)
    row("case 1 as shipped (9 policies incl. twin, 12 monitors, calibration pass)", r["case1"])
    if "year" in r:
        row(f"year at 1M/day, 4 policies + monitors ({r['year']['days']} days measured)", r["year"])
    e10, e1 = r["sizes"]["10000000"], r["sizes"]["1000000"]
    simpy_qps = r["simpy"]["drawn"] / r["simpy"]["wall_s"]
    floor_qps = r["floor"]["drawn"] / r["floor"]["wall_s"]
    eng_qps = e10["drawn"] / e10["wall_s"]
    lines += ["", "| target | measured | met |", "|---|---|---|",
              f"| engine ≥ 50x SimPy on the same model | engine {eng_qps:,.0f} q/s (10M, single + cascade) vs SimPy "
              f"{simpy_qps:,.0f} q/s (cascade only, {r['simpy']['drawn']:,} queries): "
              f"**{eng_qps / simpy_qps:,.0f}x** | {'yes' if eng_qps / simpy_qps >= 50 else 'no'} |",
              f"| engine ≥ 40% of the random-draw floor | floor {floor_qps:,.0f} q/s "
              f"({r['floor']['numbers'] / r['floor']['drawn']:.0f} numbers per query): "
              f"engine at **{100 * eng_qps / floor_qps:.0f}%** | {'yes' if eng_qps / floor_qps >= 0.4 else 'no'} |"]
    if "100000000" in r["sizes"]:
        m = r["sizes"]["100000000"]
        lines.append(f"| 100M queries under 1 GiB RSS | {m['rss_mib']:,.0f} MiB (1M: {e1['rss_mib']:,.0f} MiB) | "
                     f"{'yes' if m['rss_mib'] < 1024 else 'no'} |")
    if "year" in r:
        y = r["year"]
        full = y["wall_s"] * 365 / y["days"]
        lines.append(f"| a year at 1M/day, 4 policies + monitors, < 5 min | {y['wall_s']:.0f} s for {y['days']} days"
                     f"{'' if y['days'] == 365 else f', {full / 60:.1f} min extrapolated to 365'} | "
                     f"{'yes' if full < 300 else 'no'} |")
    lines.append(f"| `simroute --help` < 0.3 s | {r['help_s']:.2f} s (median of 5) | "
                 f"{'yes' if r['help_s'] < 0.3 else 'no'} |")
    lines += ["", "Agreement of the engine (1M queries) with the SimPy reference (same model, cascade at 0.9):", "",
              "| figure | engine | SimPy | z |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {a:.5g} | {b:.5g} | {z:+.2f} |" for name, a, b, z in agreement(e1, r["simpy"])]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
