"""The harness's in-process measurements (benchmarks/run.py runs each in a fresh child process): each returns a
dict with `wall_s` (the work only, imports and set-up excluded) and what it counted."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASE1 = ROOT / "scenarios" / "case1_saas_support.yaml"


def pin_one_core() -> None:
    """Keep this process (and the thread pools it starts later) on one core: 'the engine on one core'."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _split(workers: int):
    """A local executor of `workers` processes to spread a run's policies over (None: the serial run)."""
    from simroute.executors import LocalExecutor
    return LocalExecutor(workers) if workers else None


def as_the_cli() -> bool:
    """What `simroute` does first in its own process (one malloc arena, simroute.malloc): an in-process child that
    stands for a CLI run does it too. Whether glibc took it."""
    from simroute.malloc import one_malloc_arena
    return one_malloc_arena()


def _served(result) -> int:
    return sum(int(d.tier[:, :, 0].sum()) for d in result.output.days.values())


def engine(queries: int, policies: list[str], workers: int = 0, pinned: bool = True) -> dict:
    """The benchmark world (single + `policies`); with `workers`, its policies split over local processes; not
    `pinned` (and no workers), the serial run on the machine's cores (each next day drawn on a second thread)."""
    if not workers and pinned:
        pin_one_core()
    arena = as_the_cli()
    from world import bench_scenario

    from simroute.api import run_resolved, simulator
    from simroute.scenario.loader import scenario_from_dict
    from simroute.world import prefetch
    sc = scenario_from_dict(bench_scenario(queries, policies))
    ex = _split(workers)
    t0 = time.perf_counter()
    result = run_resolved(sc, simulator=simulator(ex))
    wall = time.perf_counter() - t0
    out = {"drawn": int(result.output.arrivals.sum()), "served": _served(result), "wall_s": wall,
           "days": sc.horizon_days, "workers": workers or 1, "queries": queries, "prefetch": prefetch.wanted(),
           "one_malloc_arena": arena}
    if "cascade" in policies:
        daily = result.daily.filter(result.daily["policy"] == "cascade")
        q, c, e = daily["queries"].to_numpy(), daily["correct"].to_numpy(), daily["escalated"].to_numpy()
        tiers = daily["tier"].to_list()
        per = {t: (int(q[[i for i, x in enumerate(tiers) if x == t]].sum()),
                   int(c[[i for i, x in enumerate(tiers) if x == t]].sum())) for t in ("small", "large")}
        out["cascade"] = {"queries": int(q.sum()), "escalated": int(e.sum()),
                          "usd": float(daily["model_inference_usd"].sum()), "tiers": per}
    return out


def year_scenario(days: int = 365, mau: int | None = None):
    """Case 1's world at 1M queries a day over `days`, four policies, its monitors on pre_route."""
    from simroute.api import resolve
    overrides = {"horizon_days": days, "users.queries_per_user_per_day": 0.25, "report.surveys": [],
                 **({} if mau is None else {"users.mau": mau})}
    sc = resolve(CASE1, overrides=overrides)
    keep = {"single", "pre_route", "cascade", "soft_threshold"}
    return sc.model_copy(update={"policies": tuple(p for p in sc.policies if p.name in keep),
                                 "monitors": tuple(m for m in sc.monitors if m.policy in keep)})


def case1(days: int | None, year: bool, workers: int = 0, mau: int | None = None) -> dict:
    """Case 1 as shipped through the API (no report), or the year at 1M queries a day through four policies with
    their monitors (`days` of it); `mau` shrinks the world (smoke runs only)."""
    arena = as_the_cli()
    from simroute.api import resolve, run_resolved, simulator
    sc = year_scenario(days or 365, mau) if year else resolve(CASE1, overrides={} if mau is None else
                                                              {"users.mau": mau})
    ex = _split(workers)
    t0 = time.perf_counter()
    result = run_resolved(sc, simulator=simulator(ex))
    wall = time.perf_counter() - t0
    return {"drawn": int(result.output.arrivals.sum()), "served": _served(result), "wall_s": wall,
            "days": sc.horizon_days, "policies": len(result.policies), "monitors": len(sc.monitors),
            "workers": workers or 1, "one_malloc_arena": arena}


def simpy(queries: int) -> dict:
    pin_one_core()
    from simpy_reference import simulate
    from world import bench_scenario

    from simroute.scenario.loader import scenario_from_dict
    sc = scenario_from_dict(bench_scenario(queries, ["cascade"]))
    t0 = time.perf_counter()
    stats = simulate(sc, queries)
    return {"wall_s": time.perf_counter() - t0, "stats": stats, "drawn": queries}


def floor(queries: int) -> dict:
    pin_one_core()
    from floor import draw_only
    from world import bench_scenario

    from simroute.scenario.loader import scenario_from_dict
    sc = scenario_from_dict(bench_scenario(queries, ["cascade"]))
    t0 = time.perf_counter()
    drawn, numbers = draw_only(sc)
    return {"wall_s": time.perf_counter() - t0, "drawn": drawn, "numbers": numbers}


def dask_case1(mau: int | None = None) -> dict:
    """Case 1 (API, no report) on a local Dask cluster of 1 and then 2 single-threaded worker processes, each
    run's results folder (without the report) compared file by file. The workers import simroute before the clock
    starts (as on a cluster already running). With one worker the run is one task, which `simulate_on` runs in
    the client itself, so '1 worker' is the serial run."""
    import distributed

    import simroute
    from simroute.api import write_results
    from simroute.executors.dask import DaskExecutor
    from simroute.world.prefetch import PREFETCH_ENV
    overrides = {} if mau is None else {"users.mau": mau}
    out: dict = {}
    # one worker means one core: its run (in the client, see above) must not draw tomorrow on a second thread
    # (the 2-worker run's tasks run in worker processes, where it is off anyway)
    os.environ[PREFETCH_ENV] = "0"
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1, 2):
            t0 = time.perf_counter()
            with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                          dashboard_address=None) as cluster:
                ex = DaskExecutor(cluster.scheduler_address)
                ex.client.run(importlib.import_module, "simroute.cluster")  # a running cluster has its imports done
                start = time.perf_counter() - t0
                try:
                    t1 = time.perf_counter()
                    result = simroute.run(CASE1, overrides=overrides, split_on=ex)
                    wall = time.perf_counter() - t1
                finally:
                    ex.close()
            write_results(result, Path(tmp) / str(n), report=False)
            out[str(n)] = {"wall_s": wall, "cluster_start_s": start}
        files = sorted(str(p.relative_to(Path(tmp) / "1")) for p in (Path(tmp) / "1").rglob("*") if p.is_file())
        differ = [f for f in files if (Path(tmp) / "1" / f).read_bytes() != (Path(tmp) / "2" / f).read_bytes()]
    return {"wall_s": out["1"]["wall_s"] + out["2"]["wall_s"], "workers": out, "files": len(files),
            "differ": differ, "speedup": out["1"]["wall_s"] / out["2"]["wall_s"]}


def worker_memory(tasks: int, mau: int) -> dict:
    """benchmarks/worker_memory.py in this process's child: replicate tasks of case 1 (at `mau` users) one after
    another in one process; the peak RSS after the last task against after the first (one run's)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "worker_memory.py"), str(CASE1), "--tasks",
                        str(tasks), "--set", f"users.mau={mau}", "--json", f"{tmp}/w.json"], check=True,
                       capture_output=True, text=True)
        import json
        rows = json.loads(Path(f"{tmp}/w.json").read_text())["tasks"]
    return {"wall_s": time.perf_counter() - t0, "mau": mau, "tasks": rows,
            "one_run_peak_mib": rows[0]["peak_rss_mib"], "last_peak_mib": rows[-1]["peak_rss_mib"],
            "ratio": rows[-1]["peak_rss_mib"] / rows[0]["peak_rss_mib"]}


def cluster_bound(mau: int | None = None) -> dict:
    """benchmarks/cluster.py --no-groups: the CPU seconds of case 1 serial, of the world alone and of each of the
    two tasks `pack` makes, and the speed-up bound serial / longest task."""
    import json
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cluster.py"), str(CASE1), "--no-groups",
                        "--json", f"{tmp}/c.json", *([] if mau is None else ["--set", f"users.mau={mau}"])],
                       check=True, capture_output=True, text=True)
        got = json.loads(Path(f"{tmp}/c.json").read_text())
    return {"wall_s": time.perf_counter() - t0, **got}


def box_probe(seconds: float = 1.0) -> dict:
    """How fast this box is right now, pinned to one core, in the three kinds of work the engine does: random
    look-ups in a large array (memory-bound: the day's user-state look-ups), a transcendental function over an
    array (compute-bound: the draw's transforms) and normal draws (the floor's main cost). Each: the best of
    repeats within `seconds`, in ns per element. Run at the start and the end of a harness run, it shows whether
    the box changed speed meanwhile (boxes here have drifted by 1.5x within a session on memory-bound work)."""
    pin_one_core()
    import numpy as np
    rng = np.random.default_rng(0)
    table = rng.random(32_000_000).astype(np.float32)  # 128 MB: far beyond any cache
    idx, x = rng.integers(0, len(table), 2_000_000), rng.random(2_000_000)
    work = {"gather_ns": lambda: np.take(table, idx), "exp_ns": lambda: np.exp(x),
            "normal_ns": lambda: rng.standard_normal(len(x))}
    out = {}
    for name, fn in work.items():
        best, end = float("inf"), time.perf_counter() + seconds
        while time.perf_counter() < end:
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        out[name] = round(best / len(idx) * 1e9, 3)
    return out


CHILDREN = {"box_probe": box_probe, "engine": engine, "case1": case1, "simpy": simpy, "floor": floor,
            "dask_case1": dask_case1, "worker_memory": worker_memory, "cluster_bound": cluster_bound}
