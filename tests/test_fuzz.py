"""Fuzzing the scenario boundary: raw YAML mutations of the minimal fixture through `simroute validate`, and
random values at random schema paths through `scenario_from_dict`. Whatever the input: exit 0 or 2, one-line
errors, no traceback, no hang. Bounded (150 examples each) so the suite stays fast; benchmarks/battery.py runs
the same mutations by the thousand. And whatever the loader accepts (extreme values included), a shortened run
completes or refuses with one-line errors."""
from __future__ import annotations

import copy
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner
from yaml_mutations import KINDS, TOKENS, mutate, write

import simroute
from simroute import budget
from simroute.cli import app
from simroute.errors import ScenarioError, SimrouteError
from simroute.scenario.loader import scenario_from_dict

MINIMAL = Path(__file__).resolve().parent / "fixtures" / "minimal.yaml"
TEXT = MINIMAL.read_text(encoding="utf-8")
DATA = yaml.safe_load(TEXT)
SECONDS = 10  # per example; a validate takes milliseconds, a hang or an alias bomb would take minutes

ops = st.lists(st.tuples(st.integers(0, KINDS - 1), st.floats(0, 1), st.integers(0, len(TOKENS) - 1)),
               min_size=1, max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops)
def test_validate_survives_any_mutation_of_the_yaml(tmp_path, ops):
    path = tmp_path / "s.yaml"
    write(path, mutate(TEXT, ops))
    start = time.monotonic()
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert time.monotonic() - start < SECONDS
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    assert res.exit_code in (0, 2), res.output
    if res.exit_code == 2:
        assert res.stderr and all(line.startswith("error: ") for line in res.stderr.splitlines())
    else:
        assert res.stdout.startswith(f"{path}: ok")


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(DATA) if p]
values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
                      | st.text(max_size=20) | st.sampled_from([10**400, -(2**63), 2**64, 1e308, "1e3", "yes"]),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                     max_size=3), max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(path=st.sampled_from(PATHS), value=values)
def test_validation_of_any_value_anywhere_is_a_scenario_or_one_line_errors(path, value):
    data = copy.deepcopy(DATA)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    try:
        scenario_from_dict(data, "s.yaml")
    except ScenarioError as e:
        assert e.lines and all(line and "\n" not in line for line in e.lines)


# ---- validate accepts => a short run completes ----------------------------------------------------------------

EXTRA_PATHS = [("engine", "batch_fraction_of_day"), ("users", "weekly_seasonality"), ("users", "weekly_seasonality", 0),
               ("traffic", "intents", 0, "tokens_in"), ("traffic", "intents", 1, "tokens_out"),
               ("traffic", "difficulty", "scale"), ("economics", "compliance"), ("users", "revenue_horizon_months"),
               ("outcome_correlation",), ("models", 0, "output_length_multiplier"), ("users", "billing_cycle_days")]
EXTREMES = [0, -1, 1, 2, 0.5, 1e-9, 1e-300, 0.001, 7, 30, 100, 365, 1000, 3660, 1e4, 2e6, 1e7, 1e19, 1e30,
            1e308, 500_000_000, 2**63, 10**400, [1e308] * 7, [1000.0] + [1e-300] * 6, {"median": 2e6, "sigma": 3},
            {"median": 1, "sigma": 0}, {"audit_catch_rate": 1.0, "usd_per_violation": 1e11}]
SHORT = {"horizon_days": 5, "users.mau": 150, "queries_per_day": 3000}  # a short run: a few days, a few users


def _set(data, path, value):
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    node[path[-1]] = value


def _shortened(s):
    """The accepted scenario cut to a few days and users, with small classifier samples (so each run takes a
    fraction of a second); None if cutting it makes it invalid (a drift or survey beyond the short horizon)."""
    data = s.model_dump(mode="json")
    data["horizon_days"] = min(data["horizon_days"], SHORT["horizon_days"])
    data["users"]["mau"] = max(1, min(data["users"]["mau"], SHORT["users.mau"],
                                      int(SHORT["queries_per_day"] / data["users"]["queries_per_user_per_day"])))
    for p in data["policies"]:
        if "classifier" in p:
            p["classifier"]["training_samples"] = min(p["classifier"]["training_samples"], 500)
    for m in data.get("monitors", []):
        if "size" in m:
            m["size"] = min(m["size"], 500)
    data["report"]["holdout_size"] = min(data["report"]["holdout_size"], 200)
    try:
        return scenario_from_dict(data, "short.yaml")
    except ScenarioError:
        return None


@settings(max_examples=15, deadline=None)
@given(path=st.sampled_from(PATHS + EXTRA_PATHS), value=st.sampled_from(EXTREMES) | values)
def test_what_validate_accepts_a_short_run_completes(path, value):
    """Extreme but valid values anywhere (the issue's kinds: huge prices, rates, multipliers): whatever the
    loader accepts, `run` exits 0 or with one-line errors (exit 2), never a traceback."""
    data = copy.deepcopy(DATA)
    _set(data, path, value)
    try:
        s = scenario_from_dict(data, "s.yaml")
    except ScenarioError:
        return
    short = _shortened(s)
    if short is None:
        return
    start = time.monotonic()
    try:  # what `simroute run` does, without writing the folder (tests/test_cli.py covers the writing)
        budget.check(short, "short.yaml")
        simroute.run(short)
    except SimrouteError as e:  # exit 2 with one `error:` line each
        assert e.lines and all(line and "\n" not in line for line in e.lines)
    assert time.monotonic() - start < 60
