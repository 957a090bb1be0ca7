"""The `simroute` command line: happy paths, the results folder contract, and bad input as `error:` lines.

One happy path goes through a real subprocess; the rest use typer's CliRunner in-process (much faster).
Bad input must give one `error: ` line per problem on stderr, exit code 2, no traceback, and no results
folder (or temporary `.NAME.*.tmp` folder) left behind.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from bad_fixtures import BAD
from typer.testing import CliRunner

import simroute
from simroute.cli import app

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
BAD_DIR = FIXTURES / "bad"
MINIMAL = FIXTURES / "minimal.yaml"
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"

DATA_FILES = {"summary.json", "daily.parquet", "users_daily.parquet", "ledger.parquet", "ledger.csv",
              "ledger_daily.parquet", "router_scores.parquet", "scenario.resolved.yaml", "monitors.parquet",
              "reliability.parquet", "calibration.parquet", "curves.parquet", "model_reliability.parquet",
              "provenance.json"}
REPORT_FILES = {"report.html", "report.md", "plots", "ledger.xlsx"}
RESULT_FILES = DATA_FILES | REPORT_FILES
QUICKSTART_POLICIES = {"single", "pre_route", "cascade"}
BASELINE = "single"


# Fixtures whose problem is at a YAML path (the others are file-level: encoding, syntax, empty, top level).
YAML_PATH = {"unknown_key": "policies[1].threshhold", "out_of_range": "policies[1].threshold",
             "shares_sum": "traffic.intents", "unknown_model": "policies[0].model", "bad_kind": "policies[1].kind",
             "duplicate_key": "users.mau", "wrong_type": "users.queries_per_user_per_day",
             "missing_field": "policies[0].model"}


# ---- helpers -------------------------------------------------------------------------------------------------

def invoke(*args: str | Path):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_no_traceback(result) -> None:
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def assert_bad_input(result, expected_lines: list[str] | None = None) -> list[str]:
    """Exit 2, no traceback, nothing on stdout, every stderr line starts with 'error: '; returns the lines."""
    assert_no_traceback(result)
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines, "expected at least one error line"
    assert all(line.startswith("error: ") for line in lines), lines
    if expected_lines is not None:
        assert lines == expected_lines
    return lines


def leftovers(folder: Path) -> list[str]:
    """Names of results / temporary folders in `folder` (anything a failed run must not leave behind)."""
    return sorted(p.name for p in folder.iterdir())


def load_summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def flatten(d: dict, prefix: str = "") -> dict:
    """{'a': {'b': 1}} -> {'a.b': 1}, so nested figures can be compared with pytest.approx."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def simroute_script() -> Path | None:
    script = Path(sys.executable).with_name("simroute")
    return script if script.exists() else None


# ---- the happy path, through a real subprocess ---------------------------------------------------------------

@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory):
    """`python -m simroute.cli run quickstart --out DIR --json` once: (results folder, stdout JSON)."""
    work = tmp_path_factory.mktemp("quickstart")
    out = work / "out"
    proc = subprocess.run([sys.executable, "-m", "simroute.cli", "run", str(QUICKSTART), "--out", str(out),
                           "--json"], cwd=work, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in work.iterdir()) == ["out"]  # no tmp / old folder left next to it
    return out, json.loads(proc.stdout)


def test_run_writes_every_results_file(quickstart_run):
    out, _ = quickstart_run
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    for name in DATA_FILES - {"summary.json", "ledger.csv", "scenario.resolved.yaml", "provenance.json"}:
        assert pl.read_parquet(out / name).height > 0, name


def test_json_output_equals_summary_json(quickstart_run):
    out, printed = quickstart_run
    assert printed == load_summary(out)


def test_summary_top_level_contract(quickstart_run):
    out, _ = quickstart_run
    doc = load_summary(out)
    assert doc["schema_version"] == 2
    assert doc["simroute_version"] == simroute.__version__
    assert doc["scenario"]["name"] == "quickstart"
    resolved = (out / "scenario.resolved.yaml").read_text(encoding="utf-8")
    assert doc["scenario"]["sha256"] == hashlib.sha256(resolved.encode("utf-8")).hexdigest()
    assert doc["seed"] == 7
    assert doc["baseline_policy"] == BASELINE
    steady = doc["steady_state"]
    assert steady["rule"] == "per_policy" and "note" in steady  # quickstart sets no explicit window
    for p in doc["policies"].values():
        assert 0 <= p["window_start_day"] < p["window_end_day"] <= doc["horizon_days"]
    assert set(doc["policies"]) == QUICKSTART_POLICIES


def test_summary_policy_figures(quickstart_run):
    out, _ = quickstart_run
    policies = load_summary(out)["policies"]
    for name, p in policies.items():
        for key in ("bill_pct_of_baseline", "savings_usd_per_month", "net_value_usd_per_month"):
            assert isinstance(p[key], float), (name, key)
        loss = p["invisible_loss_usd_per_month"]
        assert set(loss) == {"support", "retention", "compliance", "total"}
        assert loss["total"] == pytest.approx(loss["support"] + loss["retention"] + loss["compliance"])
        assert p["net_value_usd_per_month"] == pytest.approx(p["savings_usd_per_month"] - loss["total"])
        assert "trap_ratio" in p
        quality = p["quality"]
        assert "overall" in quality and set(quality) - {"overall"} <= {"small", "large"}
        assert set(quality) - {"overall"} == set(p["tier_share"]), name  # one quality figure per tier used
        assert all(0.0 <= q <= 1.0 for q in quality.values())
    base = policies[BASELINE]
    assert base["trap_ratio"] is None
    assert base["bill_pct_of_baseline"] == pytest.approx(100.0, abs=1e-9)
    assert base["savings_usd_per_month"] == 0.0
    assert base["invisible_loss_usd_per_month"]["total"] == 0.0
    assert set(policies["pre_route"]["quality"]) == {"overall", "small", "large"}
    assert policies["pre_route"]["bill_pct_of_baseline"] < 100.0
    assert policies["pre_route"]["trap_ratio"] is not None and policies["pre_route"]["trap_ratio"] > 0


def test_baseline_bill_is_exactly_100(tmp_path, monkeypatch):
    # Pin the baseline's AI-platform total to a value seen on quickstart (older prices) with 100*x/x != 100; the
    # real total varies in its last bit from run to run (see test_summary_figures_do_not_depend_on_summation_order).
    from simroute import summary

    real = summary.center_totals

    def pinned(lines, start, end):
        totals = real(lines, start, end)
        totals[BASELINE]["ai_platform"] = 1505.676023183
        return totals

    monkeypatch.setattr(summary, "center_totals", pinned)
    result = invoke("run", QUICKSTART, "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["policies"][BASELINE]["bill_pct_of_baseline"] == 100.0


def test_ledger_csv_reads_back_like_the_parquet_ledger(quickstart_run):
    out, _ = quickstart_run
    pq = pl.read_parquet(out / "ledger.parquet")
    csv = pl.read_csv(out / "ledger.csv")
    assert csv.columns == pq.columns
    assert csv.height == pq.height > 0
    assert csv["policy"].to_list() == pq["policy"].to_list()
    assert csv["line_item"].to_list() == pq["line_item"].to_list()
    # each CSV amount is the Parquet amount to the cent
    assert (csv["usd"] - pq["usd"]).abs().max() <= 0.005 + 1e-6
    assert abs(csv["usd"].sum() - pq["usd"].sum()) <= 0.005 * pq.height
    # the daily ledger carries the same money as the monthly one (which is rounded to the cent per row)
    daily_total = pl.read_parquet(out / "ledger_daily.parquet")["usd"].sum()
    assert daily_total == pytest.approx(pq["usd"].sum(), abs=0.005 * pq.height)


def test_ledger_csv_totals_match_parquet_to_the_cent(quickstart_run):
    out, _ = quickstart_run
    pq = pl.read_parquet(out / "ledger.parquet")
    csv = pl.read_csv(out / "ledger.csv")
    mismatches = []
    if round(csv["usd"].sum(), 2) != round(pq["usd"].sum(), 2):
        mismatches.append(("total", csv["usd"].sum(), pq["usd"].sum()))
    for keys in (["policy"], ["policy", "cost_center"], ["policy", "month"]):
        a = pq.group_by(keys).agg(pl.col("usd").sum()).sort(keys)
        b = csv.group_by(keys).agg(pl.col("usd").sum()).sort(keys)
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
            if row_a[:-1] != row_b[:-1] or round(row_a[-1], 2) != round(row_b[-1], 2):
                mismatches.append((row_a, row_b))
    assert mismatches == []


def test_resolved_scenario_revalidates(quickstart_run):
    out, _ = quickstart_run
    resolved = out / "scenario.resolved.yaml"
    result = invoke("validate", resolved)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{resolved}: ok (quickstart: 3 policies, 2 models, 84 days)"]
    assert result.stderr == ""


# ---- run options (CliRunner) ---------------------------------------------------------------------------------

def test_quiet_prints_nothing_and_defaults_to_results_scenario_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", QUICKSTART, "--quiet")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    out = tmp_path / "results" / "quickstart"
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    assert leftovers(tmp_path / "results") == ["quickstart"]


def test_seed_changes_seed_and_figures(tmp_path, quickstart_run):
    out7, _ = quickstart_run
    out5 = tmp_path / "seed5"
    result = invoke("run", QUICKSTART, "--out", out5, "--seed", "5")  # not quiet: prints the tables
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "results written to" in result.stdout
    s7, s5 = load_summary(out7), load_summary(out5)
    assert s5["seed"] == 5 and s7["seed"] == 7
    assert s5["scenario"]["sha256"] != s7["scenario"]["sha256"]
    for name in QUICKSTART_POLICIES:
        a, b = s7["policies"][name], s5["policies"][name]
        assert a["ai_platform_usd_per_month"] != b["ai_platform_usd_per_month"], name
        assert a["quality"]["overall"] != b["quality"]["overall"], name


def test_set_changes_only_that_policy(tmp_path, quickstart_run):
    out_ref, _ = quickstart_run
    out = tmp_path / "set"
    result = invoke("run", QUICKSTART, "--out", out, "--quiet", "--set", "policies[1].threshold=0.9")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    ref, new = load_summary(out_ref)["policies"], load_summary(out)["policies"]
    assert "threshold: 0.9" in (out / "scenario.resolved.yaml").read_text(encoding="utf-8")
    assert new["pre_route"]["bill_pct_of_baseline"] != ref["pre_route"]["bill_pct_of_baseline"]
    assert new["pre_route"]["tier_share"] != ref["pre_route"]["tier_share"]
    # same traffic and random numbers: the other policies' figures do not move (up to float summation order,
    # see test_summary_figures_do_not_depend_on_summation_order)
    for name in ("single", "cascade"):
        a, b = flatten(new[name]), flatten(ref[name])
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], float) and isinstance(b[key], float):
                assert a[key] == pytest.approx(b[key], rel=1e-12, abs=1e-9), (name, key)
            else:
                assert a[key] == b[key], (name, key)


def test_summary_json_is_byte_identical_across_runs(tmp_path, monkeypatch):
    """Totals are summed in a fixed order, so the same scenario and seed give the same bytes every time (the
    report is not rendered: summary.json is written before it; every file of two runs: tests/test_reliability.py)."""
    monkeypatch.chdir(tmp_path)
    digests = set()
    for k in range(3):
        result = invoke("run", QUICKSTART, "--out", tmp_path / f"out{k}", "--quiet", "--no-report")
        assert result.exit_code == 0, result.output
        digests.add(hashlib.sha256((tmp_path / f"out{k}" / "summary.json").read_bytes()).hexdigest())
    assert len(digests) == 1


@pytest.mark.parametrize("sets, expected", [
    (["foo"], ["error: --set 'foo': expected PATH=VALUE, e.g. policies[pre_route].threshold=0.5"]),
    (["=3"], ["error: --set '=3': expected PATH=VALUE, e.g. policies[pre_route].threshold=0.5"]),
    (["policies[9].threshold=0.9"],
     [f"error: {QUICKSTART}: policies[9].threshold: override path does not exist (policies has 3 items)"]),
    (["policies[1].threshold=1.7"],
     [f"error: {QUICKSTART}: policies[1].threshold: must be between 0 and 1, got 1.7 (set by override)"]),
    (["a..b=1", "policies[1].thresh=1"],
     [f"error: {QUICKSTART}: a..b: invalid override path (expected a path like a.b[2].c or "
      "policies[pre_route].threshold)",
      f"error: {QUICKSTART}: policies[1].thresh: override path does not exist "
      "(unknown key 'thresh'; did you mean 'threshold'?)"]),
], ids=["no-equals", "no-path", "index-out-of-range", "bad-value", "two-bad-paths"])
def test_bad_set_is_an_error_line(tmp_path, monkeypatch, sets, expected):
    monkeypatch.chdir(tmp_path)
    args = [a for s in sets for a in ("--set", s)]
    assert_bad_input(invoke("run", QUICKSTART, "--out", tmp_path / "out", *args), expected)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("value", ["seed=[1", "description=a: b: c"], ids=["unclosed-list", "colon-space"])
def test_set_value_that_is_not_yaml_is_an_error_line(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    lines = assert_bad_input(invoke("run", QUICKSTART, "--out", tmp_path / "out", "--set", value))
    assert len(lines) == 1 and "--set" in lines[0]
    assert leftovers(tmp_path) == []


def test_negative_seed_is_an_error_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_bad_input(invoke("run", QUICKSTART, "--out", tmp_path / "out", "--seed", "-1"),
                     [f"error: {QUICKSTART}: seed: must be between 0 and {2**63 - 1}, got -1 (set by override)"])
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("args", [["--seed", "abc"], ["--bogus"]], ids=["non-integer-seed", "unknown-option"])
def test_usage_error_is_an_error_line(tmp_path, args):
    """Through the console entry point (main), command-line usage errors are `error:` lines with exit 2."""
    proc = subprocess.run([sys.executable, "-m", "simroute.cli", "run", str(QUICKSTART), "--out",
                           str(tmp_path / "out"), *args], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert not (tmp_path / "out").exists()


# ---- the results folder: replace atomically, refuse to clobber ----------------------------------------------

def test_rerun_replaces_an_existing_results_folder(tmp_path, quickstart_run):
    src, _ = quickstart_run
    out = tmp_path / "res"
    shutil.copytree(src, out)
    (out / "stale.txt").write_text("from an older run")
    result = invoke("run", QUICKSTART, "--out", out, "--quiet", "--seed", "3")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == RESULT_FILES  # the old folder is gone, not merged into
    assert load_summary(out)["seed"] == 3
    assert leftovers(tmp_path) == ["res"]  # no .res.*.tmp or .res.old-* left


def test_failed_write_leaves_the_old_results_folder_intact(tmp_path, quickstart_run, monkeypatch):
    from simroute.errors import ResultsError
    from simroute.results import writer as results

    src, _ = quickstart_run
    out = tmp_path / "res"
    shutil.copytree(src, out)
    def contents():
        return {p.name: p.read_bytes() if p.is_file() else sorted(x.name for x in p.iterdir()) for p in out.iterdir()}
    before = contents()

    def half_write(result, folder):
        (folder / "summary.json").write_text("{}")
        raise ResultsError("disk full (simulated)")

    monkeypatch.setattr(results, "_write_all", half_write)
    assert_bad_input(invoke("run", MINIMAL, "--out", out, "--quiet"), ["error: disk full (simulated)"])
    assert contents() == before
    assert leftovers(tmp_path) == ["res"]


def test_out_is_a_regular_file(tmp_path):
    out = tmp_path / "taken.txt"
    out.write_text("precious")
    assert_bad_input(invoke("run", MINIMAL, "--out", out, "--quiet"),
                     [f"error: {out}: exists and is not a folder"])
    assert out.read_text() == "precious"
    assert leftovers(tmp_path) == ["taken.txt"]


def test_out_is_a_non_empty_folder_that_is_not_a_results_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    assert_bad_input(invoke("run", MINIMAL, "--out", out, "--quiet"),
                     [f"error: {out}: exists and is not a simroute results folder; refusing to replace it"])
    assert leftovers(out) == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "precious"
    assert leftovers(tmp_path) == ["mine"]


def test_out_under_a_regular_file(tmp_path):
    parent = tmp_path / "file.txt"
    parent.write_text("precious")
    lines = assert_bad_input(invoke("run", MINIMAL, "--out", parent / "out", "--quiet"))
    assert lines == [f"error: {parent / 'out'}: '{parent}' is not a folder"]
    assert parent.read_text() == "precious"
    assert leftovers(tmp_path) == ["file.txt"]


# ---- bad scenario files --------------------------------------------------------------------------------------

def test_every_bad_fixture_is_covered():
    assert {p.stem for p in BAD_DIR.glob("*.yaml")} == set(BAD)


@pytest.mark.parametrize("command", ["validate", "run", "run --out"])
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_fixture(tmp_path, monkeypatch, case, command):
    monkeypatch.chdir(tmp_path)  # so a default results/<name> folder would show up here
    path = BAD_DIR / f"{case}.yaml"
    args = command.split()[:1] + [str(path)] + (["--out", str(tmp_path / "out")] if "--out" in command else [])
    lines = assert_bad_input(invoke(*args), [f"error: {path}{line}" for line in BAD[case]])
    assert all(line.startswith(f"error: {path}") for line in lines)
    if case in YAML_PATH:
        assert all(f": {YAML_PATH[case]}: " in line for line in lines)
    assert leftovers(tmp_path) == []


def test_bad_fixture_in_a_real_process(tmp_path):
    """The same contract with the real entry point: real stderr, real exit code, no traceback."""
    path = BAD_DIR / "bad_kind.yaml"
    proc = subprocess.run([sys.executable, "-m", "simroute.cli", "run", str(path), "--out", str(tmp_path / "o")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [f"error: {path}{BAD['bad_kind'][0]}"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_scenario_file(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nope.yaml"
    assert_bad_input(invoke(command, path), [f"error: {path}: scenario file not found"])
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["validate", "run"])
def test_directory_as_scenario(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "adir"
    folder.mkdir()
    assert_bad_input(invoke(command, folder), [f"error: {folder}: is a directory, not a scenario file"])
    assert leftovers(tmp_path) == ["adir"]


# ---- validate, schema, version, help -------------------------------------------------------------------------

def test_validate_valid_file():
    result = invoke("validate", MINIMAL)
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"{MINIMAL}: ok (minimal: 3 policies, 2 models, 30 days)"]
    assert result.stderr == ""


def test_compare_shows_the_deltas_and_what_differs_between_the_runs(tmp_path):
    from test_uncertainty import tiny
    scen = tmp_path / "tiny.yaml"
    scen.write_text(yaml.safe_dump(tiny()))
    a, b = tmp_path / "a", tmp_path / "b"
    for out, extra in ((a, []), (b, ["--seed", "8", "--set", "policies[1].threshold=0.9"])):  # shown by name
        result = invoke("run", scen, "-o", out, "-q", "--no-report", *extra)
        assert result.exit_code == 0, result.output
    result = invoke("compare", a, b, "-o", tmp_path / "cmp")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Change against 'a'" in text and "Δ net/mo" in text and "Δ trap" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    flat = " ".join(text.split())
    assert ("b differs from a in seed 7 → 8, policies[pre_route].threshold 0.5 → 0.9 (on the command line, b set "
            "policies[pre_route].threshold, seed)") in flat
    doc = json.loads(invoke("compare", a, b, "-o", tmp_path / "cmp2", "--json").stdout)
    assert {c["path"] for c in doc["scenario_changes"][0]["changes"]} == {"seed", "policies[pre_route].threshold"}


SWEEPS = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize("sweep", SWEEPS, ids=[p.stem for p in SWEEPS])
def test_validate_recognises_every_shipped_sweep_file(sweep):
    result = invoke("validate", sweep)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{sweep}: ok (sweep ") and result.stderr == ""


def test_validate_checks_a_sweep_against_its_scenario(tmp_path):
    sweep = tmp_path / "s.yaml"
    sweep.write_text("name: s\nparameters:\n  - {path: 'policies[pre_rout].threshold', values: [0.3]}\n")
    lines = assert_bad_input(invoke("validate", sweep, "--scenario", QUICKSTART))
    assert len(lines) == 1 and "policies[pre_rout].threshold" in lines[0] and "no item named 'pre_rout'" in lines[0]
    assert "unknown key" not in lines[0]
    assert_bad_input(invoke("validate", sweep), [f"error: {sweep}: a sweep file; name its scenario with --scenario "
                                                 "FILE (or a scenario: key in the sweep file) to check its paths"])


def test_a_drift_onto_an_intent_that_does_not_exist_says_how_to_add_one(tmp_path):
    data = yaml.safe_load(QUICKSTART.read_text(encoding="utf-8"))
    data["drift"] = [{"kind": "intent_share", "target": "new_plans", "start_day": 10, "ramp_days": 5, "to": 0.1}]
    scen = tmp_path / "launch.yaml"
    scen.write_text(yaml.safe_dump(data))
    lines = assert_bad_input(invoke("validate", scen))
    assert len(lines) == 1 and "unknown intent_share target 'new_plans'" in lines[0]
    assert "declare it under traffic.intents with share: 0" in lines[0]


def test_schema_is_json_with_policies_and_models():
    result = invoke("schema")
    assert_no_traceback(result)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert "policies" in doc["properties"]
    assert "models" in doc["properties"]


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"simroute {simroute.__version__}"


def test_version_of_the_installed_script():
    script = simroute_script()
    cmd = [str(script)] if script else [sys.executable, "-m", "simroute.cli"]
    proc = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"simroute {simroute.__version__}"


@pytest.mark.parametrize("args", [[], ["run"], ["validate"], ["schema"]], ids=["root", "run", "validate", "schema"])
def test_help(args):
    result = invoke(*args, "--help")
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert "Usage" in result.stdout
    if not args:
        for command in ("run", "validate", "schema"):
            assert command in result.stdout


def test_no_args_shows_help():
    result = invoke()
    assert_no_traceback(result)
    assert result.exit_code in (0, 2)  # click's no_args_is_help exits 2 since click 8.2
    assert "Usage" in result.output
    for command in ("run", "validate", "schema"):
        assert command in result.output


def test_run_help_shows_the_default_out_folder():
    result = invoke("run", "--help")
    text = " ".join(result.stdout.replace("\u2502", " ").split())  # unwrap the rich box
    assert "results/<scenario name>" in text
