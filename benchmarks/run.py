"""The benchmark harness: `python benchmarks/run.py [--quick | --smoke] [--only NAME,...] [--list]` (needs
`pip install -e '.[bench]'`).

Every measurement runs in a fresh child process tree, measured from outside (benchmarks/proctree.py): wall,
CPU seconds of the whole tree, peak RSS of its largest process (exact) and of the tree's sum (sampled). In one
run, side by side on one machine, every target of issue 17 (the plan below; `--list` prints it with each
measurement's estimated duration): the engine on one core at 1M/10M/100M and per policy, the floor probe, the
SimPy reference, the engine's policies split over 2 local workers, case 1 through the CLI with its report
(serial and `--workers 2`, compared byte for byte), 20 replicates, the two shipped case-1 sweeps, the year
(serial and over 2 workers), a replicate worker's memory across tasks, case 1 on a 1- and a 2-worker Dask
cluster, and `simroute check` of every shipped baseline. Writes benchmarks/latest.json (every figure and the
targets table) and prints the Markdown tables that go into benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from proctree import measure_tree  # noqa: E402  (benchmarks/ is not a package)
from targets import markdown  # noqa: E402

SMOKE_MAU = 200_000  # case 1 at a twentieth of its users: the smoke runs' world
BASELINES = sorted(p.stem for p in (ROOT / "data" / "baselines").glob("*.json")
                   if (ROOT / "scenarios" / f"{p.stem}.yaml").is_file())  # every shipped scenario with a baseline


@dataclass
class Measurement:
    """One row of the plan: an in-process child (`child`: kind and arguments) or a command (`argv`)."""

    name: str
    estimate_s: float  # wall on the idle 2-core machine (main after the hot-path work), if latest.json lacks it
    child: dict | None = None
    argv: list[str] = field(default_factory=list)
    quick: bool = True  # part of --quick
    default: bool = True  # part of a run without --only
    out: str | None = None  # the results folder the command writes (relative to the run's scratch folder)


def plan(smoke: bool, year_days: int) -> list[Measurement]:
    """Every measurement, full size or (smoke) on small inputs that only prove the harness works."""
    exe = str(Path(sys.executable).with_name("simroute"))
    case1 = str(ROOT / "scenarios" / "case1_saas_support.yaml")
    small = ["--set", f"users.mau={SMOKE_MAU}"] if smoke else []
    q = (lambda n: 300_000) if smoke else (lambda n: n)
    mau = SMOKE_MAU if smoke else None
    m = [Measurement(f"engine_{n // 10**6}m", est, {"kind": "engine", "queries": q(n), "policies": ["cascade"]},
                     quick=n < 10**8) for n, est in ((10**6, 4), (10**7, 10), (10**8, 75))]
    m += [Measurement(f"policy_{p}", 9, {"kind": "engine", "queries": q(10**7), "policies": [p]})
          for p in ("single", "pre_route", "cascade", "soft_threshold", "random", "oracle")]
    m += [Measurement("floor", 4, {"kind": "floor", "queries": q(10**7)}),
          Measurement("simpy", 5, {"kind": "simpy", "queries": 20_000 if smoke else 200_000}),
          Measurement("engine_w2", 8, {"kind": "engine", "queries": q(10**7), "policies": ["cascade"], "workers": 2}),
          Measurement("engine_2t", 8, {"kind": "engine", "queries": q(10**7), "policies": ["cascade"],
                                       "pinned": False}),
          Measurement("case1_api", 35, {"kind": "case1", "days": None, "year": False, "mau": mau}, default=False),
          Measurement("case1_cli", 40, argv=[exe, "run", case1, "-o", "{out}", "-q", *small], out="serial"),
          Measurement("case1_cli_w2", 30, argv=[exe, "run", case1, "-o", "{out}", "-q", "--workers", "2", *small],
                      out="w2"),
          Measurement("replicates20", 480, argv=[exe, "run", case1, "--replicates", "2" if smoke else "20", "-w", "2",
                                                 "-o", "{out}", "-q", *small], out="replicates", quick=False)]
    for sweep, est in (("case1_tornado", 200), ("case1_hidden_intent", 360)):
        m.append(Measurement(f"sweep_{sweep.removeprefix('case1_')}", est, quick=False, out=sweep, argv=[
            exe, "sweep", case1, "--grid", str(ROOT / "scenarios" / "sweeps" / f"{sweep}.yaml"), "-o", "{out}",
            "-q", "-w", "2", *(["-n", "1", *small] if smoke else [])]))
    year = {"kind": "case1", "days": 266 if smoke else year_days, "year": True, "mau": 40_000 if smoke else None}
    share = max(year_days, 1) / 365
    m += [Measurement("year", 600 * share, year, quick=False, default=bool(year_days)),
          Measurement("year_w2", 430 * share, {**year, "workers": 2}, quick=False, default=bool(year_days)),
          Measurement("worker_memory", 75, {"kind": "worker_memory", "tasks": 2 if smoke else 6,
                                            "mau": 100_000 if smoke else 1_000_000}),
          Measurement("dask_cluster", 80, {"kind": "dask_case1", "mau": mau}),
          Measurement("cluster_bound", 150, {"kind": "cluster_bound", "mau": mau}, default=False)]
    for name in BASELINES:
        if smoke and name in ("case1_saas_support", "case3_fintech"):
            continue  # a check compares the scenario as its baseline has it: it cannot be shrunk
        m.append(Measurement(f"check_{name}", {"case1_saas_support": 40, "case3_fintech": 15}.get(name, 10), argv=[
            exe, "check", str(ROOT / "scenarios" / f"{name}.yaml"), "-b", str(ROOT / "data" / "baselines" /
                                                                              f"{name}.json"), "-q"]))
    return m


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    import numpy
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {len(os.sched_getaffinity(0))} cores, {mem:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, numpy {numpy.__version__}")


def help_time(runs: int = 5) -> float:
    exe = Path(sys.executable).with_name("simroute")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return sorted(times)[runs // 2]


def probe() -> dict | None:
    """The box probe (children.box_probe) in a fresh process: ns per element of three kinds of work, or None."""
    try:
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                               json.dumps({"kind": "box_probe"})], capture_output=True, text=True, timeout=120)
        return json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    except (subprocess.TimeoutExpired, IndexError, ValueError):
        return None


def estimates(todo: list[Measurement], earlier: dict) -> dict[str, float]:
    """Each measurement's expected wall: its process wall in the last full (not smoke) latest.json (scaled by the
    plan's estimates then and now, which differ with --year-days), else the plan's."""
    seen = earlier.get("measurements", {}) if earlier.get("mode") != "smoke" else {}
    return {m.name: float(seen.get(m.name, {}).get("proc_wall_s", m.estimate_s)) * (
        m.estimate_s / seen[m.name]["estimate_s"] if "estimate_s" in seen.get(m.name, {}) else 1.0) for m in todo}


def measure(m: Measurement, scratch: Path) -> dict | None:
    """Run one measurement as its own process tree; its figures, or None (with the error on stderr) if it failed."""
    if m.child is not None:
        argv = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(m.child)]
    else:
        argv = [a.replace("{out}", str(scratch / (m.out or m.name))) for a in m.argv]
    got = measure_tree(argv)
    ok = got["rc"] == 0 or (m.name.startswith("check_") and got["rc"] == 1)  # check: 1 = a regression found
    if not ok:
        print(f"  {m.name} FAILED (exit {got['rc']}):\n{got['stderr_tail']}", file=sys.stderr)
        return None
    out = {k: v for k, v in got.items() if k not in ("stdout", "stderr_tail")}
    if m.child is not None:
        out = {**json.loads(got["stdout"].strip().splitlines()[-1]), **out}
    else:
        out["wall_s"] = got["proc_wall_s"]
        out["command"] = " ".join("DIR" if a == "{out}" else Path(a).name if a.startswith(str(ROOT)) or a == m.argv[0]
                                  else a for a in m.argv)
    out["estimate_s"] = m.estimate_s  # the plan's figure, to rescale this wall when --year-days changes
    if m.name.startswith("check_"):
        out["passed"] = got["rc"] == 0
    if m.name == "case1_cli_w2" and (scratch / "serial").is_dir():
        out["differ_from_serial"], out["files"] = compare_folders(scratch / "serial", scratch / "w2")
    print(f"  {m.name}: {out['wall_s']:.1f} s wall, {out['cpu_s']:.1f} CPU-s, {out['rss_mib']:.0f} MiB largest "
          f"process, {out['tree_rss_mib']:.0f} MiB tree", file=sys.stderr)
    return out


def compare_folders(a: Path, b: Path) -> tuple[list[str], int]:
    """The files of results folder `a` whose bytes differ in `b` (or are missing there), and how many `a` has."""
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    return [f for f in files if not (b / f).is_file() or not filecmp.cmp(a / f, b / f, shallow=False)], len(files)


def write(res: dict, target: Path) -> str:
    """Write the figures so far, with the targets table, to `target`; the Markdown of the tables."""
    text, res["targets"] = markdown(res)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(res, indent=1, default=str) + "\n")
    tmp.replace(target)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="no 100M, no year, no replicates, no sweeps")
    ap.add_argument("--smoke", action="store_true", help="every measurement on small inputs, to prove the harness "
                    "works (figures not comparable with the targets)")
    ap.add_argument("--only", help="comma-separated measurement names (see --list); also runs those not in the "
                    "default plan (case1_api, cluster_bound)")
    ap.add_argument("--out", type=Path, help="where to write the figures (default: benchmarks/latest.json; "
                    "benchmarks/partial.json with --only, benchmarks/smoke.json with --smoke)")
    ap.add_argument("--list", action="store_true", help="print the plan with estimated durations and exit")
    ap.add_argument("--year-days", type=int, default=365, help="days of the year runs (0: skip; at least 266, "
                    "the last day case 1's calendar refers to); fewer than 365 are extrapolated to 365")
    args = ap.parse_args()
    if args.child:
        from children import CHILDREN
        spec = json.loads(args.child)
        print(json.dumps(CHILDREN[spec.pop("kind")](**spec)))
        return
    everything = plan(args.smoke, args.year_days)
    if args.only:
        names = set(args.only.split(","))
        unknown = names - {m.name for m in everything}
        if unknown:
            print(f"error: --only: unknown measurement(s) {', '.join(sorted(unknown))}; see --list", file=sys.stderr)
            sys.exit(2)
        todo = [m for m in everything if m.name in names]
    else:
        todo = [m for m in everything if m.default and (m.quick or not args.quick)]
    target = args.out or HERE / ("smoke.json" if args.smoke else "partial.json" if args.only else "latest.json")
    earlier = json.loads((HERE / "latest.json").read_text()) if (HERE / "latest.json").exists() else {}
    est = estimates(todo, earlier)
    if args.list:
        for m in everything:
            print(f"{m.name:27} {est.get(m.name, m.estimate_s) / 60:5.1f} min"
                  f"{'' if m in todo else '  (not in this selection)'}")
        print(f"selection: {sum(est.values()) / 60:.0f} min")
        return
    print(f"{len(todo)} measurements" + (", on small inputs" if args.smoke else
          f", estimated {sum(est.values()) / 60:.0f} min on an idle 2-core machine (each from the last latest.json "
          "where it has the figure, else the plan's)"), file=sys.stderr)
    t0 = time.perf_counter()
    res: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 "mode": "smoke" if args.smoke else "quick" if args.quick else "full",
                 "command": " ".join(["python benchmarks/run.py", *sys.argv[1:]]),
                 "load_average_at_start": os.getloadavg()[0], "help_s": help_time(), "box_at_start": probe()}
    res.update(estimated_s=sum(est.values()), measurements={}, failed=[], complete=False)
    scratch = Path(tempfile.mkdtemp(prefix="simroute-bench-"))
    try:
        for m in todo:
            got = measure(m, scratch)
            if got is None:
                res["failed"].append(m.name)
            else:
                res["measurements"][m.name] = got
            res["duration_s"] = time.perf_counter() - t0
            write(res, target)  # after every measurement: a run stopped half-way keeps what it measured
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    res["box_at_end"] = probe()
    res["complete"] = True
    text = write(res, target)
    print(text)
    print(f"\nwrote {target}; took {res['duration_s'] / 60:.1f} min "
          f"(estimated {res['estimated_s'] / 60:.1f})", file=sys.stderr)


if __name__ == "__main__":
    main()
