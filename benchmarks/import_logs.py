"""Reading production logs: `python benchmarks/import_logs.py [--rows N] [--formats f1,f2]`.

Writes N synthetic calls (seeded) in each log format with simroute's own writers, then reads each file back with
`read_logs` in a fresh child process and prints wall and CPU time (read only, imports excluded) and the child's
peak RSS. On a shared machine the CPU time is the steadier figure.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = {"generic_parquet": "calls.parquet", "generic_csv": "calls.csv", "litellm_csv": "spend.csv",
         "langfuse": "observations.csv", "otel_jsonl": "spans.jsonl"}


def synthetic(rows: int):
    import numpy as np
    import polars as pl

    from simroute.importers import LOG_COLUMNS, LogSet
    rng = np.random.default_rng(12)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    offsets = np.sort(rng.integers(0, 90 * 86_400 * 10**6, rows))
    frame = pl.DataFrame({
        "start_time": pl.Series(offsets).cast(pl.Duration("us")) + start,
        "end_time": pl.Series(offsets + rng.integers(200_000, 9_000_000, rows)).cast(pl.Duration("us")) + start,
        "model": np.where(rng.random(rows) < 0.7, "cheap", "capable"),
        "user_id": [f"u{i}" for i in rng.integers(0, 50_000, rows)],
        "session_id": [f"s{i}" for i in rng.integers(0, 300_000, rows)],
        "tokens_in": rng.lognormal(6, 0.8, rows).astype(np.int64), "tokens_out": rng.lognormal(5, 0.7, rows)
        .astype(np.int64), "cost_usd": rng.random(rows) * 1e-3,
        "intent": rng.choice(["billing", "how_to", "bug", "account"], rows),
        "thumbs_down": pl.Series(rng.random(rows) < 0.05).scatter(np.flatnonzero(rng.random(rows) < 0.9), None)},
        schema=LOG_COLUMNS)
    return LogSet(frame, "synthetic")


def status_mib(field: str) -> float | None:
    """A VmXXX line of /proc/self/status in MiB (None where there is no /proc)."""
    path = Path("/proc/self/status")
    for line in path.read_text().splitlines() if path.exists() else ():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss it starts afresh at exec, so a child does not
    report the memory its parent had when it forked)."""
    peak = status_mib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(fmt: str, files: list[str]) -> None:
    from simroute.importers import read_logs
    t, cpu = time.perf_counter(), time.process_time()
    got = read_logs([Path(f) for f in files], fmt)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    rss = peak_rss_mib()
    print(json.dumps({"format": fmt, "rows": got.frame.height, "seconds": round(seconds, 2),
                      "cpu_seconds": round(cpu, 2), "peak_rss_mib": round(rss)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--formats", default=",".join(FILES))
    ap.add_argument("--child", nargs="+")
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1:])
        return
    from simroute.importers import write_logs
    logs = synthetic(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats.split(","):
            t = time.perf_counter()
            files = write_logs(logs, Path(tmp) / FILES[fmt], fmt)
            wrote = time.perf_counter() - t
            mib = sum(f.stat().st_size for f in files) / 2**20
            out = subprocess.run([sys.executable, __file__, "--child", fmt, *map(str, files)], capture_output=True,
                                 text=True, check=True).stdout.strip()
            result = json.loads(out) | {"write_seconds": round(wrote, 1), "file_mib": round(mib)}
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
