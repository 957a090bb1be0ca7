"""Hostile input at the edges of reading (scenario and sweep files, results folders) is one `error:` line, fast,
never a traceback; and a seed fixes every byte of every output file."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from simroute.cli import app
from simroute.errors import ResultsError
from simroute.results import load_bundle

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal.yaml"
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
TEXT = MINIMAL.read_text(encoding="utf-8")


def _invoke(*args) -> tuple[float, object]:
    start = time.monotonic()
    res = CliRunner().invoke(app, [str(a) for a in args])
    return time.monotonic() - start, res


def _one_error(res, *needles: str) -> str:
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _scenario(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


# ---- what a file is, before it is read -----------------------------------------------------------------------

@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_device_is_refused_at_once(command):
    took, res = _invoke(command, "/dev/zero")
    _one_error(res, "/dev/zero: not a regular file")
    assert took < 30  # a bound read: an unbounded one never ends (generous: imports on a busy machine)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    took, res = _invoke("validate", fifo)
    _one_error(res, f"{fifo}: not a regular file")
    assert took < 30  # a bound read: an unbounded one never ends (generous: imports on a busy machine)


def test_a_too_large_file_is_refused(tmp_path):
    path = _scenario(tmp_path, TEXT + "#" * (5 * 2**20) + "\n")
    _one_error(_invoke("validate", path)[1], "bytes; a scenario file may have at most")


def test_a_file_name_too_long_is_one_line(tmp_path):
    _one_error(_invoke("validate", tmp_path / ("a" * 300 + ".yaml"))[1], "File name too long")


def test_a_path_under_a_file_is_one_line(tmp_path):
    _one_error(_invoke("validate", _scenario(tmp_path, TEXT) / "x.yaml")[1], "Not a directory")


def test_an_unreadable_folder_is_one_line(tmp_path, monkeypatch):
    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("simroute.scenario.yamlread.os.open", deny)
    _one_error(_invoke("validate", tmp_path / "locked" / "s.yaml")[1], "cannot read scenario file (Permission denied)")


# ---- what the YAML says --------------------------------------------------------------------------------------

def test_500_nested_brackets_are_one_line(tmp_path):
    path = _scenario(tmp_path, TEXT + "extra: " + "[" * 500 + "]" * 500 + "\n")
    _one_error(_invoke("validate", path)[1], "nested more than")


def test_an_alias_bomb_is_one_line_in_well_under_a_second_of_work(tmp_path):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    path = _scenario(tmp_path, TEXT + "\n".join(lines) + "\n")
    took, res = _invoke("validate", path)
    _one_error(res, "aliases expand to more than")
    assert took < 30  # a bound read: an unbounded one never ends (generous: imports on a busy machine)


def test_a_recursive_alias_is_one_line(tmp_path):
    _one_error(_invoke("validate", _scenario(tmp_path, "name: x\nusers: &u {mau: 1, again: *u}\n"))[1],
               "an alias refers to a value that contains it")


def test_a_5000_digit_integer_is_one_line(tmp_path):
    path = _scenario(tmp_path, TEXT.replace("seed: 7", "seed: " + "9" * 5000))
    _one_error(_invoke("validate", path)[1], ":4: invalid YAML: an integer of 5000 digits")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_a_control_character_is_one_line_with_its_line(tmp_path, char):
    path = _scenario(tmp_path, TEXT.replace("name: minimal", f"name: mini{char}mal"))
    _one_error(_invoke("validate", path)[1], f"{path}:2: invalid YAML: control character U+{ord(char):04X}")


@pytest.mark.parametrize("where", ["value", "key"])
def test_a_lone_surrogate_is_one_line(tmp_path, where):
    text = TEXT.replace('description: "Smallest', 'description: "\\ud800Smallest') if where == "value" \
        else TEXT + '"\\udc80": 1\n'
    _one_error(_invoke("validate", _scenario(tmp_path, text))[1], "lone surrogate")


@pytest.mark.parametrize("key, message", [
    ("1", "top level: key '1' is read as a number"),
    ("true", "top level: key 'true' is read as true/false"),
    ("null", "top level: key 'null' is read as null"),
    ("yes", "yes: unknown key 'yes'"),
    ("on", "on: unknown key 'on'"),
])
def test_keys_that_are_not_names_are_refused_at_their_path(tmp_path, key, message):
    path = _scenario(tmp_path, TEXT.replace("users:\n", f"{key}: 1\nusers:\n"))
    _one_error(_invoke("validate", path)[1], f"{path}:6: {message}")


def test_a_nested_number_key_names_its_path(tmp_path):
    path = _scenario(tmp_path, TEXT.replace("  mau: 1000", "  mau: 1000\n  2: x"))
    _one_error(_invoke("validate", path)[1], f"{path}:8: users: key '2' is read as a number")


def test_sexagesimal_is_text_not_ninety(tmp_path):
    path = _scenario(tmp_path, TEXT.replace("horizon_days: 30", "horizon_days: 1:30"))
    _one_error(_invoke("validate", path)[1], "horizon_days: expected an integer, got '1:30'")


@pytest.mark.parametrize("written, days", [("0x1e", 30), ("030", 30), ("0o36", 30), ("3e1", 30)])
def test_yaml_1_2_core_numbers(tmp_path, written, days):
    from simroute.scenario.loader import load_scenario
    path = _scenario(tmp_path, TEXT.replace("horizon_days: 30", f"horizon_days: {written}"))
    assert load_scenario(path).horizon_days == days


def test_a_sweep_file_gets_the_same_bounds(tmp_path):
    fifo = tmp_path / "g.yaml"
    os.mkfifo(fifo)
    took, res = _invoke("sweep", QUICKSTART, "--grid", fifo, "-o", tmp_path / "out")
    _one_error(res, "not a regular file")
    deep = tmp_path / "d.yaml"
    deep.write_text("parameters: " + "[" * 500 + "]" * 500 + "\n")
    _one_error(_invoke("sweep", QUICKSTART, "--grid", deep, "-o", tmp_path / "out")[1], "nested more than")
    assert took < 30 and not (tmp_path / "out").exists()


# ---- damaged results folders ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("results") / "minimal"
    res = CliRunner().invoke(app, ["run", str(MINIMAL), "-q", "--no-report", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def _damaged(results: Path, tmp_path: Path, damage) -> Path:
    folder = tmp_path / "r"
    shutil.copytree(results, folder)
    damage(folder)
    return folder


def _edit_summary(change):
    def damage(folder: Path) -> None:
        doc = json.loads((folder / "summary.json").read_text())
        change(doc)
        (folder / "summary.json").write_text(json.dumps(doc))
    return damage


def _table(name: str, change):
    def damage(folder: Path) -> None:
        path = folder / f"{name}.parquet"
        change(pl.read_parquet(path)).write_parquet(path)
    return damage


DAMAGE = {
    "number-as-text": (_edit_summary(lambda d: d["policies"]["router"].update(trap_ratio="high")),
                       "summary.json: policies.router.trap_ratio: expected a number, got text 'high'"),
    "mapping-as-list": (_edit_summary(lambda d: d["policies"]["router"].update(quality=[1, 2])),
                        "summary.json: policies.router.quality: expected a mapping, got a list"),
    "missing-seed": (_edit_summary(lambda d: d.pop("seed")), "summary.json: top level: missing seed"),
    "unknown-baseline": (_edit_summary(lambda d: d.update(baseline_policy="ghost")),
                         "baseline_policy: 'ghost' is not one of the policies"),
    "version-as-text": (_edit_summary(lambda d: d.update(schema_version="2")),
                        'schema_version "2" (text, not a whole number)'),
    "ledger-column": (_table("ledger", lambda f: f.drop("usd")), "ledger.parquet: missing columns usd"),
    "daily-dtype": (_table("daily", lambda f: f.with_columns(pl.col("queries").cast(pl.String))),
                    "daily.parquet: column queries: expected a whole number, got String"),
    "ledger-nulls": (_table("ledger", lambda f: f.with_columns(usd=None)), "ledger.parquet: column usd: "),
    "edited-scenario": (lambda f: (f / "scenario.resolved.yaml").write_text(
        (f / "scenario.resolved.yaml").read_text().replace("mau: 1000", "mau: 2000")),
        "scenario.resolved.yaml: changed after the run"),
    "parquet-is-a-fifo": (lambda f: ((f / "daily.parquet").unlink(), os.mkfifo(f / "daily.parquet")),
                          "daily.parquet: not a regular file"),
    "summary-deep-json": (lambda f: (f / "summary.json").write_text("[" * 100_000 + "]" * 100_000),
                          "summary.json: cannot read it as JSON"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_folder_is_one_line_naming_the_file_and_field(results, tmp_path, case):
    damage, needle = DAMAGE[case]
    folder = _damaged(results, tmp_path, damage)
    with pytest.raises(ResultsError) as err:
        load_bundle(folder)
    assert len(err.value.lines) == 1 and needle in err.value.lines[0], err.value.lines


def test_every_folder_command_refuses_damaged_content_with_one_line(results, tmp_path):
    folder = _damaged(results, tmp_path, DAMAGE["number-as-text"][0])
    for args in (["report", folder], ["ledger", folder], ["compare", folder, results]):
        _one_error(_invoke(*args)[1], "trap_ratio: expected a number")


def test_the_version_line_names_a_numbers_version_plainly(results, tmp_path):
    folder = _damaged(results, tmp_path, _edit_summary(lambda d: d.update(schema_version=1)))
    with pytest.raises(ResultsError) as err:
        load_bundle(folder)
    assert "results schema 1 (written by simroute" in err.value.lines[0]


# ---- determinism ---------------------------------------------------------------------------------------------

def _every_file(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_runs_of_the_quickstart_are_identical_in_every_file(tmp_path):
    """Every file of the results folder, report.html, plots and ledger.xlsx included. The other shipped
    scenarios: benchmarks/battery.py --determinism runs each twice the same way."""
    folders = []
    for name in ("a", "b"):
        res = CliRunner().invoke(app, ["run", str(QUICKSTART), "-q", "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        folders.append(_every_file(tmp_path / name))
    a, b = folders
    assert sorted(a) == sorted(b)
    assert {"ledger.xlsx", "report.html", "report.md"} <= set(a) and any(n.startswith("plots/") for n in a)
    assert [n for n in a if a[n] != b[n]] == []


@pytest.mark.parametrize("table", ["daily", "router_scores", "ledger"])
def test_flipped_bytes_in_a_parquet_file_are_one_line_or_harmless(results, tmp_path, table):
    """Polars may raise any of several errors, or panic (a BaseException), on a damaged file."""
    import random
    rng = random.Random(table)
    for i in range(15):
        folder = tmp_path / f"r{i}"
        shutil.copytree(results, folder)
        raw = bytearray((folder / f"{table}.parquet").read_bytes())
        for _ in range(8):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        (folder / f"{table}.parquet").write_bytes(bytes(raw))
        try:
            load_bundle(folder)
        except ResultsError as e:
            assert len(e.lines) == 1 and f"{table}.parquet" in e.lines[0]


# ---- physical bounds, money and the run budget ---------------------------------------------------------------

def _data() -> dict:
    import yaml
    return yaml.safe_load(TEXT)


@pytest.mark.parametrize("override, needle", [
    ("models[0].price_in_usd_per_1k_tokens=1e7", "models[0].price_in_usd_per_1k_tokens: must be between 0 and 1000"),
    ("models[1].price_out_usd_per_1k_tokens=1e19", "must be between 0 and 1000"),
    ("users.queries_per_user_per_day=1e30", "users.queries_per_user_per_day: must be in (0, 10000]"),
    ("engine.batch_fraction_of_day=1e-9", "engine.batch_fraction_of_day: must be between 0.001 and 1"),
    ("economics.support.usd_per_contact=1e308", "economics.support.usd_per_contact: must be between 0 and 100000"),
    ("users.weekly_seasonality=[1e308,1,1,1,1,1,1]", "users.weekly_seasonality[0]: must be in (0, 1000]"),
    ("users.mau=500000001", "users.mau: must be between 1 and 500000000"),
])
def test_the_issues_extreme_numbers_are_refused_at_their_path_with_the_range(override, needle):
    _, res = _invoke("run", MINIMAL, "-q", "--no-report", "--set", override)
    _one_error(res, needle)


def test_every_bounded_number_states_its_range_in_the_json_schema():
    """Every number of the scenario schema has a lower and an upper bound (or is a bounded enum/probability)."""
    from simroute.scenario.schema import Scenario
    schema = Scenario.model_json_schema()
    unbounded = []

    def walk(node, where):
        if isinstance(node, dict):
            types = {node.get("type")} | {a.get("type") for a in node.get("anyOf", [])}
            if types & {"number", "integer"} and "anyOf" not in node:
                if not ({"minimum", "exclusiveMinimum"} & set(node) and {"maximum", "exclusiveMaximum"} & set(node)):
                    unbounded.append(where)
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")
    walk(schema, "")
    assert [w for w in unbounded if not w.endswith(".to")] == []  # drift.to: its range depends on its kind


def test_the_mau_maximum_is_refused_before_simulating_with_a_hint_to_force():
    took, res = _invoke("run", MINIMAL, "-q", "--no-report", "--set", "users.mau=500000000")
    line = _one_error(res, "minimal.yaml: this run needs", "GB", "available", "--force")
    assert took < 30 and "users.mau" in line


def test_validate_refuses_what_run_refuses(tmp_path):
    path = _scenario(tmp_path, TEXT.replace("mau: 1000 ", "mau: 500000000 "))
    _one_error(_invoke("validate", path)[1], "this run needs", "--force")


def test_the_budget_refuses_over_the_available_memory_unless_forced():
    from simroute import budget
    from simroute.errors import SimrouteError
    from simroute.scenario.loader import scenario_from_dict
    s = scenario_from_dict(_data())
    b = budget.check(s, "s.yaml", available=64e9)
    assert 100e6 < b.peak_bytes < 2e9 and 1 < b.seconds < 600
    with pytest.raises(SimrouteError, match=r"^s.yaml: this run needs .* but the machine has 1 MB available"):
        budget.check(s, "s.yaml", available=1e6)
    assert budget.check(s, "s.yaml", force=True, available=1e6) == b


def test_the_estimate_grows_with_every_size_of_the_run():
    from simroute import budget
    from simroute.scenario.loader import scenario_from_dict
    base = budget.estimate(scenario_from_dict(_data()))
    for override in ({"users.mau": 10**6}, {"users.queries_per_user_per_day": 500.0}, {"horizon_days": 3000}):
        b = budget.estimate(scenario_from_dict(_data(), overrides=override))
        assert b.peak_bytes > base.peak_bytes and b.seconds > base.seconds, override
    finer = budget.estimate(scenario_from_dict(_data(), overrides={"engine.batch_fraction_of_day": 0.001}))
    assert finer.seconds > base.seconds


def test_money_beyond_int64_nano_dollars_is_refused_not_wrapped():
    """At the schema's maxima (price 1000 USD per 1k tokens, 2M-token medians) one batch would wrap int64."""
    _, res = _invoke("run", MINIMAL, "-q", "--no-report", "--set", "models[0].price_in_usd_per_1k_tokens=1000",
                     "--set", "traffic.intents[0].tokens_in={median: 2000000, sigma: 3}")
    _one_error(res, "beyond the $4.61e+09 one run can account exactly")


def test_the_running_money_check_refuses_a_batch_or_a_run_that_would_wrap():
    import numpy as np

    from simroute.world.outcomes import MONEY_LIMIT_NANO, NANO, MoneyOverflow, to_nano
    assert to_nano(np.array([[0.5, 1e-9]])).tolist() == [[NANO // 2, 1]]
    with pytest.raises(MoneyOverflow, match="one batch"):
        to_nano(np.full((2, 3), MONEY_LIMIT_NANO / NANO / 5))
    with pytest.raises(MoneyOverflow):
        to_nano(np.array([[np.inf]]))


def test_extreme_but_valid_seasonality_still_has_traffic():
    import simroute
    from simroute.scenario.loader import scenario_from_dict
    for season in ([1000.0] + [1e-300] * 6, [1e-300] * 6 + [1000.0], [1000.0] * 7, [1e-300] * 7):
        s = scenario_from_dict(_data(), overrides={"users.weekly_seasonality": season, "horizon_days": 7,
                                                   "users.mau": 200, "policies[1].classifier.training_samples": 500})
        r = simroute.run(s)
        assert r.output.arrivals.sum() > 0, season
