"""The day drawn ahead on and off, back to back (issue 17): the first N days of the year's world (1M queries a
day, four policies + monitors) in a fresh process each, alternating SIMROUTE_PREFETCH=1 and 0; wall and CPU-s
of the simulation (process_time: every thread). With `--vary arena`, the day drawn ahead in both and the CLI's
one malloc arena (simroute.malloc) on and off instead (off: MALLOC_ARENA_MAX=16, which leaves glibc's default).
With `--vary code --against DIR`, this checkout's simroute against the one in DIR (another commit's worktree:
`git worktree add DIR COMMIT`). `--pass calibration`: the first N days of the year's calibration pass (drift
off, pre_route alone with its monitors) instead of its main run.

    python benchmarks/prefetch_ab.py [--days 25] [--pairs 1] [--vary prefetch|arena|code] [--against DIR]
                                     [--pass main|calibration]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Stop(Exception):
    """Raised by the progress callback once the wanted days are done."""


def child(days: int, calibration: bool) -> None:
    sys.path.insert(0, str(HERE))
    from children import year_scenario

    from simroute.engine import CALIBRATION_PASS, Engine
    from simroute.malloc import one_malloc_arena
    from simroute.monitors.plan import calibration_scenario
    from simroute.needs import MONITORS
    from simroute.rng import Streams
    one_malloc_arena()  # as the CLI does (a no-op where MALLOC_ARENA_MAX is set)

    def progress(phase: str, done: int, total: int) -> None:
        if done >= days:
            raise Stop
    sc = year_scenario()
    if calibration:  # as engine.calibrate runs it
        calib = calibration_scenario(sc, Streams(sc.seed, None))
        engine = Engine(calib, progress, phase=CALIBRATION_PASS, only={m.policy for m in calib.monitors},
                        needs=MONITORS)
    else:
        engine = Engine(sc, progress=progress)
    t, c = time.perf_counter(), time.process_time()
    try:
        engine.run()
    except Stop:
        pass
    print(f"{time.perf_counter() - t:.2f} {time.process_time() - c:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=25)
    ap.add_argument("--pairs", type=int, default=1)
    ap.add_argument("--vary", choices=("prefetch", "arena", "code"), default="prefetch")
    ap.add_argument("--against", type=Path, help="with --vary code: a checkout whose simroute to compare with")
    ap.add_argument("--pass", dest="which", choices=("main", "calibration"), default="main")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.days, a.which == "calibration")
    if (a.vary == "code") != (a.against is not None):
        ap.error("--against DIR goes with --vary code")
    base = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "PYTHONPATH")}
    ways = {"prefetch": {"prefetch=1": {"SIMROUTE_PREFETCH": "1"}, "prefetch=0": {"SIMROUTE_PREFETCH": "0"}},
            "arena": {"one arena": {}, "default arenas": {"MALLOC_ARENA_MAX": "16"}},
            "code": {"this checkout": {"PYTHONPATH": str(HERE.parent)},
                     str(a.against): {"PYTHONPATH": str(a.against and a.against.resolve())}}}[a.vary]
    for _ in range(a.pairs):
        for label, env in ways.items():
            out = subprocess.run([sys.executable, __file__, "--child", "--days", str(a.days), "--pass", a.which],
                                 check=True, capture_output=True, text=True, env={**base, **env})
            wall, cpu = out.stdout.split()
            print(f"{label}: {a.days} days of the year's {a.which} run {wall} s wall, {cpu} CPU-s")


if __name__ == "__main__":
    main()
