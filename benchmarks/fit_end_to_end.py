"""Fitting end to end: `python benchmarks/fit_end_to_end.py [--rows N] [--eval-rows M] [--formats f1,f2] [--data DIR]`.

Draws N production-log calls (`synth_logs`: the shipped quickstart world as the fit's round-trip test sets it
up, without drift or monitors, with 50,000 users at 0.75 queries a day, served by `pre_route`; whole days until
N calls, the first N kept) and an M-query graded eval (`synth_eval`) from the same world, writes them with
simroute's own writers (the eval as Parquet, the logs in each log format), then in a fresh child process per
format runs what `simroute fit --eval EVAL --logs LOGS --base WORLD --cheap small --capable large
--policy pre_route` runs (`read_eval`, `read_logs`, `fit_world`), and prints the child's read time (eval +
logs), fit time (split, fits, scenario, held-out check), CPU time and peak RSS.
`--data DIR` keeps the written files for a later run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from import_logs import peak_rss_mib  # the same child-peak reading (VmHWM) as the log-reading benchmark

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "quickstart.yaml"
FILES = {"generic_parquet": "calls.parquet", "generic_csv": "calls.csv", "litellm_csv": "spend.csv",
         "langfuse": "observations.csv", "otel_jsonl": "spans.jsonl"}
POLICY = "pre_route"


def world():
    """The benchmark's world: quickstart without drift or monitors, a weekly pattern, ~37,500 queries a day."""
    from simroute.scenario.loader import load_scenario, scenario_from_dict
    d = load_scenario(SCENARIO).model_dump(mode="json", exclude_none=True)
    d["users"].update(mau=50_000, queries_per_user_per_day=0.75,
                      weekly_seasonality=[1.3, 1.15, 1.05, 1, 0.95, 0.7, 0.85])
    d["outcome_correlation"] = 0.5
    d["drift"], d["monitors"] = [], []
    return scenario_from_dict(d)


def write_inputs(rows: int, eval_rows: int, formats: list[str], data: Path) -> dict[str, list[Path]]:
    """The eval file and each format's log files (written only when missing)."""
    import polars as pl

    from simroute.fit.synth import synth_eval
    from simroute.fit.synth_logs import synth_logs
    from simroute.importers import LogSet, write_eval, write_logs
    data.mkdir(parents=True, exist_ok=True)
    scenario = world()
    eval_path = data / f"eval_{eval_rows}.parquet"
    if not eval_path.exists():
        write_eval(synth_eval(scenario, eval_rows, seed=7), eval_path)
    out = {"eval": [eval_path]}
    logs: LogSet | None = None
    for fmt in formats:
        path = data / f"{rows}_{FILES[fmt]}"
        done = [path] + ([path.with_name(f"{path.stem}_scores{path.suffix}")] if fmt == "langfuse" else [])
        if not all(p.exists() for p in done):
            if logs is None:
                per_day = scenario.users.mau * scenario.users.queries_per_user_per_day
                days = int(rows / per_day) + 2
                drawn = synth_logs(scenario, POLICY, days, seed=5)
                while drawn.frame.height < rows:
                    days += 2
                    drawn = synth_logs(scenario, POLICY, days, seed=5)
                logs = LogSet(drawn.frame.head(rows), drawn.source)
                print(json.dumps({"drew_calls": logs.frame.height, "days": days,
                                  "last_day": str(logs.frame["start_time"].max())}), flush=True)
            t = time.perf_counter()
            done = write_logs(logs, path, fmt)
            print(json.dumps({"wrote": fmt, "seconds": round(time.perf_counter() - t, 1),
                              "mib": round(sum(p.stat().st_size for p in done) / 2**20)}), flush=True)
        out[fmt] = done
    del pl
    return out


def child(fmt: str, eval_path: str, logs: list[str]) -> None:
    """Read and fit in this process; print the figures as one JSON line."""
    from simroute.fit.pipeline import fit_world
    from simroute.importers import ImportFormat, read_eval, read_logs
    t0, c0 = time.perf_counter(), time.process_time()
    evalset = read_eval([Path(eval_path)])
    logset = read_logs([Path(p) for p in logs], ImportFormat(fmt))
    t1, c1 = time.perf_counter(), time.process_time()
    result = fit_world(evalset, logset, world(), cheap="small", capable="large", policy=POLICY)
    t2, c2 = time.perf_counter(), time.process_time()
    rss = peak_rss_mib()
    print(json.dumps({"format": fmt, "log_rows": logset.frame.height, "eval_rows": evalset.frame.height,
                      "read_s": round(t1 - t0, 1), "fit_s": round(t2 - t1, 1), "total_s": round(t2 - t0, 1),
                      "cpu_s": round(c2 - c0, 1), "read_cpu_s": round(c1 - c0, 1), "peak_rss_mib": round(rss),
                      "fitted_records": len(result.records)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--eval-rows", type=int, default=15_000)
    ap.add_argument("--formats", default=",".join(FILES))
    ap.add_argument("--data", type=Path, default=None, help="folder to keep the inputs in (default: a temp dir)")
    ap.add_argument("--child", nargs="+")
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2:])
        return
    import tempfile
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        files = write_inputs(args.rows, args.eval_rows, formats, args.data or Path(tmp))
        for fmt in formats:
            cmd = [sys.executable, __file__, "--child", fmt, str(files["eval"][0]), *map(str, files[fmt])]
            got = subprocess.run(cmd, capture_output=True, text=True)
            if got.returncode != 0:
                print(json.dumps({"format": fmt, "error": got.stderr.strip().splitlines()[-1:]}), flush=True)
                continue
            print(got.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
