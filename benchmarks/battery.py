"""A battery of hostile inputs, run as a user would (the CLI, in-process through typer's CliRunner, each call
under a time limit and the whole battery under a memory limit), printing counts of exit codes, tracebacks and
hangs. Not collected by pytest; run it by hand:

    .venv/bin/python benchmarks/battery.py [--scenarios 3000] [--folders 520] [--determinism]

- scenarios: raw YAML mutations of tests/fixtures/minimal.yaml (tests/yaml_mutations.py) plus a fixed list of
  file-level cases (devices, a FIFO, long names, paths under a file, a 6 MiB file), through `validate`;
- sweeps: the same mutations of scenarios/sweeps/*.yaml through the sweep loader;
- folders: damaged copies of one results folder (summary.json values of the wrong type, missing keys, Parquet
  columns dropped or cast, nulls, truncated or flipped bytes, FIFOs, symlinks to /dev/zero, edited resolved
  scenarios with and without a matching hash) through `ledger`, and, where the ledger passes, `report` and
  `compare`;
- worlds: extreme but valid scenarios (the issue's examples, every bound of the minimal fixture) through
  `validate` and then a full `run`: whatever validate accepts must run, with finite, non-negative money;
- --determinism: every shipped scenario run twice with its seed, every file compared byte for byte (slow);
- --calibrate-budget: only the measured runs simroute/budget.py's coefficients come from.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import polars as pl  # noqa: E402
from typer.testing import CliRunner  # noqa: E402
from yaml_mutations import mutate, random_ops, write  # noqa: E402

from simroute.cli import app  # noqa: E402
from simroute.errors import SimrouteError  # noqa: E402
from simroute.results import TABLES  # noqa: E402

LIMIT_S = 30          # validate and ledger take well under a second; generous for a busy machine
REPORT_LIMIT_S = 240  # report and compare draw plots: tens of seconds on a busy machine
MINIMAL = ROOT / "tests" / "fixtures" / "minimal.yaml"


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def invoke(args: list, limit: float = LIMIT_S) -> tuple[str, float]:
    """'exit N', 'traceback' or 'hang' (over `limit` seconds), and the seconds it took."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.monotonic()
    try:
        res = CliRunner().invoke(app, [str(a) for a in args])
    except Hang:
        return "hang", time.monotonic() - start
    except BaseException as e:  # noqa: BLE001 - a Rust panic is a BaseException that CliRunner lets through
        if isinstance(e, KeyboardInterrupt):
            raise
        return f"traceback ({type(e).__name__})", time.monotonic() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    took = time.monotonic() - start
    if isinstance(res.exception, Hang):
        return "hang", took
    if res.exception is not None and not isinstance(res.exception, SystemExit) or "Traceback" in res.output:
        return f"traceback ({type(res.exception).__name__})", took
    if res.exit_code == 2 and not all(line.startswith("error: ") for line in res.stderr.splitlines() or [""]):
        return "exit 2 without an error line", took
    return f"exit {res.exit_code}", took


def file_cases(tmp: Path) -> dict[str, Path]:
    fifo = tmp / "fifo.yaml"
    os.mkfifo(fifo)
    big = tmp / "big.yaml"
    big.write_text(MINIMAL.read_text() + "#" * (6 * 2**20))
    return {"/dev/zero": Path("/dev/zero"), "/dev/null": Path("/dev/null"), "fifo": fifo, "big": big,
            "folder": tmp, "missing": tmp / "nope.yaml", "long name": tmp / ("a" * 300 + ".yaml"),
            "under a file": big / "x.yaml", "empty name": Path(""), "control char in name": tmp / "a\x01b.yaml"}


def battery_scenarios(n: int, tmp: Path, rng: random.Random) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    text, slowest = MINIMAL.read_text(), 0.0
    for name, path in file_cases(tmp).items():
        outcome, took = invoke(["validate", path])
        counts[outcome] += 1
        if not outcome.startswith("exit"):
            print(f"  file case {name}: {outcome}")
    for i in range(n):
        path = tmp / f"m{i % 50}.yaml"
        ops = random_ops(rng)
        write(path, mutate(text, ops))
        outcome, took = invoke(["validate", path])
        slowest = max(slowest, took)
        counts[outcome] += 1
        if not outcome.startswith("exit") or outcome not in ("exit 0", "exit 2"):
            print(f"  mutation {ops}: {outcome}")
    print(f"  slowest validate: {slowest:.2f} s")
    return counts


def battery_sweeps(n: int, tmp: Path, rng: random.Random) -> collections.Counter:
    from simroute.sweep.spec import load_sweep
    counts: collections.Counter = collections.Counter()
    sources = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))
    for i in range(n):
        path = tmp / f"g{i % 20}.yaml"
        write(path, mutate(sources[i % len(sources)].read_text(), random_ops(rng)))
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, LIMIT_S)
        try:
            load_sweep(path)
            counts["loaded"] += 1
        except SimrouteError:
            counts["one-line error"] += 1
        except Hang:
            counts["hang"] += 1
        except Exception as e:  # noqa: BLE001 - counting what escapes is the point
            counts[f"traceback ({type(e).__name__})"] += 1
            print(f"  sweep mutation: {type(e).__name__}: {e}"[:200])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return counts


# ---- damaged results folders ---------------------------------------------------------------------------------

JUNK = ["x", "2", "", [], [1, "a"], {}, {"a": 1}, None, True, -1, 1e308, 10**30, -(2**63), 0.5]


def _json_paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _json_paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_paths(v, prefix + (i,))


def _damage_json(path: Path, rng: random.Random) -> str:
    doc = json.loads(path.read_text())
    paths = [p for p in _json_paths(doc) if p]
    if not paths:
        path.write_text(json.dumps(rng.choice(JUNK)))
        return "json: replaced"
    where = rng.choice(paths)
    node = doc
    for k in where[:-1]:
        node = node[k]
    action = rng.randrange(3)
    if action == 0 or isinstance(node, list):
        node[where[-1]] = rng.choice(JUNK)
        kind = "json: wrong type"
    elif action == 1:
        del node[where[-1]]
        kind = "json: key removed"
    else:
        node[f"junk{rng.randrange(9)}"] = rng.choice(JUNK)
        kind = "json: key added"
    path.write_text(json.dumps(doc))
    return kind


def _damage_table(path: Path, rng: random.Random) -> str:
    frame = pl.read_parquet(path)
    action = rng.randrange(7)
    if action <= 3 and frame.columns:
        col = rng.choice(frame.columns)
        if action == 0:
            frame = frame.drop(col)
        elif action == 1:
            frame = frame.with_columns(pl.col(col).cast(pl.String))
        elif action == 2:
            frame = frame.with_columns(pl.lit(None).alias(col))
        else:
            frame = frame.with_columns(pl.lit(-1e300).alias(col))
        frame.write_parquet(path)
        return ["parquet: column dropped", "parquet: cast to text", "parquet: nulls", "parquet: huge values"][action]
    raw = path.read_bytes()
    if action == 4:
        path.write_bytes(raw[:rng.randrange(len(raw))])
        return "parquet: truncated"
    if action == 5:
        b = bytearray(raw)
        for _ in range(8):
            b[rng.randrange(len(b))] = rng.randrange(256)
        path.write_bytes(bytes(b))
        return "parquet: bytes flipped"
    pl.DataFrame({"a": [1]}).write_parquet(path)
    return "parquet: another table"


def _damage(folder: Path, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return _damage_json(folder / "summary.json", rng)
    if roll < 0.70:
        return _damage_table(folder / f"{rng.choice(TABLES + ('router_scores',))}.parquet", rng)
    if roll < 0.82:
        path = folder / "scenario.resolved.yaml"
        before = path.read_text()
        text = mutate(before, random_ops(rng))
        if text == before:
            return "resolved scenario unchanged"
        write(path, text)
        if rng.random() < 0.5:  # an adversary who also fixes the hash
            import hashlib
            doc = json.loads((folder / "summary.json").read_text())
            doc["scenario"]["sha256"] = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            (folder / "summary.json").write_text(json.dumps(doc))
            return "resolved scenario edited, hash fixed"
        return "resolved scenario edited"
    if roll < 0.87:
        return _damage_json(folder / "provenance.json", rng)
    victim = folder / rng.choice(["summary.json", "daily.parquet", "ledger.parquet", "provenance.json",
                                  "scenario.resolved.yaml"])
    action = rng.randrange(5)
    victim.unlink()
    if action == 0:
        return "file removed"
    if action == 1:
        victim.mkdir()
        return "file is a folder"
    if action == 2:
        os.mkfifo(victim)
        return "file is a FIFO"
    if action == 3:
        victim.symlink_to("/dev/zero")
        return "file is /dev/zero"
    victim.write_bytes(b"")
    return "file empty"


MUST_REFUSE = {"parquet: truncated", "resolved scenario edited", "file removed", "file is a folder", "file is a FIFO",
               "file is /dev/zero", "file empty"}


def battery_folders(n: int, tmp: Path, rng: random.Random, report_cap: int) -> tuple[collections.Counter, ...]:
    base = tmp / "base"
    outcome, _ = invoke(["run", MINIMAL, "-q", "--no-report", "--out", base])
    assert outcome == "exit 0", outcome
    other = tmp / "other"
    shutil.copytree(base, other)
    by_command: collections.Counter = collections.Counter()
    by_damage: collections.Counter = collections.Counter()
    reports = 0
    for i in range(n):
        folder = tmp / "d"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(base, folder)
        kind = _damage(folder, rng)
        outcome, _ = invoke(["ledger", folder, "-f", "csv", "-o", tmp / "ledger.csv"])
        by_command["ledger", outcome] += 1
        by_damage[kind, outcome] += 1
        if not outcome.startswith("exit"):
            print(f"  folder {i} ({kind}) ledger: {outcome}")
        if (outcome == "exit 0" or rng.random() < 0.05) and reports < report_cap:
            reports += 1
            for cmd in (["report", folder, "--out", tmp / "rep"], ["compare", folder, other, "--out", tmp / "cmp"]):
                got, _ = invoke(cmd, REPORT_LIMIT_S)
                by_command[cmd[0], got] += 1
                if not got.startswith("exit"):
                    print(f"  folder {i} ({kind}) {cmd[0]}: {got}")
    return by_command, by_damage


# ---- extreme but valid worlds ---------------------------------------------------------------------------------

def _worlds() -> list[dict]:
    """The issue's examples at the old extremes (now refused at their path) and at the new bounds (valid),
    and every bounded number of the minimal fixture at its lower and upper bound."""
    huge_tokens = {"median": 2_000_000, "sigma": 3.0}
    worlds: list[dict] = [
        {"models[0].price_in_usd_per_1k_tokens": 1e7}, {"models[1].price_out_usd_per_1k_tokens": 1e19},
        {"users.queries_per_user_per_day": 1e30}, {"engine.batch_fraction_of_day": 1e-9},
        {"economics.support.usd_per_contact": 1e308}, {"users.weekly_seasonality": [1e308] * 7},
        {"users.mau": 500_000_000},
        {"models[0].price_in_usd_per_1k_tokens": 1000.0, "models[1].price_out_usd_per_1k_tokens": 1000.0},
        {"models[0].price_in_usd_per_1k_tokens": 1000.0, "traffic.intents[0].tokens_in": huge_tokens},
        {"users.queries_per_user_per_day": 10_000.0, "users.mau": 1},
        {"users.queries_per_user_per_day": 10_000.0, "users.mau": 100, "horizon_days": 2},
        {"engine.batch_fraction_of_day": 0.001},
        {"economics.support.usd_per_contact": 1e5}, {"users.weekly_seasonality": [1000.0] * 7},
        {"users.weekly_seasonality": [1000.0] + [1e-300] * 6}, {"users.weekly_seasonality": [1e-300] * 7},
        {"users.mau": 1}, {"horizon_days": 1}, {"horizon_days": 3660, "users.mau": 50},
        {"traffic.intents[1].tokens_out": huge_tokens}, {"traffic.intents[0].tokens_in": {"median": 1, "sigma": 0}},
        {"users.segments[0].arpu_usd_per_month": 1e6, "users.segments[0].baseline_churn_per_month": 1.0},
        {"users.segments[0].churn_sensitivity": 100.0, "users.frustration": {"churn_hazard_per_unit": 20.0}},
        {"users.revenue_horizon_months": 120.0}, {"users.billing_cycle_days": 365}, {"users.billing_cycle_days": 1},
        {"economics.compliance": {"audit_catch_rate": 0.0, "usd_per_violation": 1e11,
                                  "violation_probability_if_missed": 1.0, "audit_usd_per_month": 1e9}},
        {"traffic.intents[0].regulatory_share": 1.0, "economics.compliance": {"usd_per_violation": 1e11}},
        {"models[0].latency": {"median_s": 3600.0, "sigma": 3.0}}, {"models[0].output_length_multiplier": 100.0},
        {"traffic.difficulty": {"tail_index": 1.05, "scale": 100.0}}, {"traffic.difficulty.tail_index": 20.0},
        {"models[0].quality.skill": -20.0}, {"models[1].quality.skill": 30.0}, {"outcome_correlation": 1.0},
        {"outcome_correlation": 0.0}, {"traffic.surface": {"dimensions": 64, "separation": 100.0}},
        {"reactions.wrong_confident.frustration": 100.0}, {"reactions.thumbs_down_frustration_skew": 100.0},
        {"reactions.thumbs_down_daily_sd": 3.0}, {"policies[1].threshold": 0.0}, {"policies[1].threshold": 1.0},
        {"policies[2].thresholds": [1.0]}, {"policies[2].thresholds": [0.0]},
        {"models[0].confidence": {"slope": 100.0, "noise_sd": 100.0, "hedge_drop": 100.0}},
        {"models[0].quality.hidden_intent_penalty": 100.0}, {"seed": 2**63 - 1},
    ]
    return worlds


def _wrong(folder: Path) -> str | None:
    """Why a run that exited 0 is wrong: non-finite or negative money, a share that does not add up, no traffic."""
    import math
    doc = json.loads((folder / "summary.json").read_text())
    for name, p in doc["policies"].items():
        numbers = [v for v in _leaves(p) if isinstance(v, float)]
        if not all(math.isfinite(v) for v in numbers):
            return f"{name}: a non-finite figure"
        if p["ai_platform_usd_per_month"] < 0:
            return f"{name}: a negative bill"
        if abs(sum(p["tier_share"].values()) - 1.0) > 1e-6:
            return f"{name}: tier shares sum to {sum(p['tier_share'].values())}"
    daily = pl.read_parquet(folder / "daily.parquet")
    if "model_inference_usd" in daily.columns and (daily["model_inference_usd"] < 0).any():
        return "a negative daily inference cost"
    return None


def _leaves(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _leaves(v)
    elif isinstance(node, list):
        for v in node:
            yield from _leaves(v)
    else:
        yield node


def battery_worlds(tmp: Path) -> collections.Counter:
    """Each world through `validate` and, when it is accepted, a full `run` (no report): what validate accepts
    must run (exit 0 with sane figures, or one-line refusal of a run the machine cannot hold)."""
    import yaml

    from simroute.scenario.loader import apply_overrides
    counts: collections.Counter = collections.Counter()
    base = yaml.safe_load(MINIMAL.read_text())
    for i, world in enumerate(_worlds()):
        path = tmp / f"w{i}.yaml"
        try:
            data = apply_overrides(json.loads(json.dumps(base)), world)
        except SimrouteError as e:
            print(f"  world {world}: cannot apply: {e}")
            continue
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        valid, _ = invoke(["validate", path])
        ran, took = invoke(["run", path, "-q", "--no-report", "--out", tmp / f"out{i}"], REPORT_LIMIT_S) \
            if valid == "exit 0" else ("not run", 0.0)
        why = _wrong(tmp / f"out{i}") if ran == "exit 0" else None
        outcome = ("validate " + valid, "run " + ran + (" but wrong" if why else ""))
        counts[outcome] += 1
        if valid == "exit 0" and ran != "exit 0" or why or not valid.startswith("exit"):
            print(f"  world {world}: {outcome} {why or ''}")
    return counts


def calibrate_budget(tmp: Path) -> None:
    """Measured peak RSS and wall time of `simroute run` (a fresh process each) beside simroute.budget's estimate:
    the numbers budget.py's coefficients were set from."""
    import subprocess

    import yaml

    from simroute import budget
    from simroute.scenario.loader import load_scenario
    runs = [(MINIMAL, []), (MINIMAL, ["users.mau=100000"]),
            (MINIMAL, ["users.mau=20000", "users.queries_per_user_per_day=20"]),
            (MINIMAL, ["engine.batch_fraction_of_day=0.001"]),
            (ROOT / "scenarios" / "quickstart.yaml", []), (ROOT / "scenarios" / "case1_saas_support.yaml", [])]
    for path, sets in runs:
        data = yaml.safe_load(path.read_text())
        s = load_scenario(path, overrides={k: yaml.safe_load(v) for k, v in (x.split("=", 1) for x in sets)})
        b = budget.estimate(s)
        args = [sys.executable, "-m", "simroute", "run", str(path), "-q", "--no-report", "--force", "--out",
                str(tmp / "cal")] + [a for x in sets for a in ("--set", x)]
        start = time.monotonic()
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
        took = time.monotonic() - start
        assert status == 0, (path, sets)
        print(f"  {path.name} {' '.join(sets) or data['name']}: measured {took:.0f} s, peak RSS "
              f"{usage.ru_maxrss * 1024 / 1e6:.0f} MB; estimate {b.describe()}")


def determinism(tmp: Path) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for scenario in sorted((ROOT / "scenarios").glob("*.yaml")):
        files = []
        for name in ("a", "b"):
            out = tmp / f"{scenario.stem}-{name}"
            res = CliRunner().invoke(app, ["run", str(scenario), "-q", "--out", str(out)])
            assert res.exit_code == 0, res.output
            files.append({str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
        differ = sorted(n for n in files[0] if files[0][n] != files[1].get(n)) + sorted(set(files[1]) - set(files[0]))
        counts[scenario.stem, f"{len(files[0])} files", f"{len(differ)} differ"] += 1
        if differ:
            print(f"  {scenario.stem}: differ: {differ}")
    return counts


def table(title: str, counts: collections.Counter) -> None:
    print(f"\n{title}\n" + "-" * len(title))
    for key, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        print(f"  {' | '.join(map(str, key)) if isinstance(key, tuple) else key:<70} {n:>6}")
    print(f"  {'total':<70} {sum(counts.values()):>6}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=3000)
    ap.add_argument("--sweeps", type=int, default=500)
    ap.add_argument("--folders", type=int, default=520)
    ap.add_argument("--report-cap", type=int, default=60, help="at most this many report+compare runs")
    ap.add_argument("--determinism", action="store_true")
    ap.add_argument("--no-worlds", action="store_true", help="skip the extreme-but-valid worlds")
    ap.add_argument("--calibrate-budget", action="store_true", help="only measure the runs budget.py is set from")
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, resource.RLIM_INFINITY))
    rng = random.Random(args.seed)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="battery-") as name:
        tmp = Path(name)
        for sub in ("s", "g", "f", "det", "w"):
            (tmp / sub).mkdir()
        if args.calibrate_budget:
            calibrate_budget(tmp / "w")
            return
        if not args.no_worlds:
            worlds = battery_worlds(tmp / "w")
            table(f"{sum(worlds.values())} extreme but valid worlds (validate, then a full run)", worlds)
            crashed = sum(n for (v, r), n in worlds.items() if v == "validate exit 0" and r != "run exit 0")
            wrong = sum(n for (v, r), n in worlds.items() if r.endswith("but wrong"))
            print(f"\n  validate accepts but run does not exit 0: {crashed}; wrong but exit 0: {wrong}")
        table(f"validate on {args.scenarios} mutated scenarios + file cases", battery_scenarios(
            args.scenarios, tmp / "s", rng))
        table(f"sweep loader on {args.sweeps} mutated sweep files", battery_sweeps(args.sweeps, tmp / "g", rng))
        by_command, by_damage = battery_folders(args.folders, tmp / "f", rng, args.report_cap)
        table(f"commands on {args.folders} damaged results folders", by_command)
        table("ledger outcome by damage", by_damage)
        wrong = sum(n for (kind, outcome), n in by_damage.items() if kind in MUST_REFUSE and outcome == "exit 0")
        print(f"\n  damage that must be refused but exited 0: {wrong}")
        if args.determinism:
            table("shipped scenarios run twice", determinism(tmp / "det"))
    print(f"\n{time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
