"""Fuzzing the scenario boundary: raw YAML mutations of the minimal fixture through `simroute validate`, and
random values at random schema paths through `scenario_from_dict`. Whatever the input: exit 0 or 2, one-line
errors, no traceback, no hang. Bounded (150 examples each) so the suite stays fast; benchmarks/battery.py runs
the same mutations by the thousand."""
from __future__ import annotations

import copy
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner
from yaml_mutations import KINDS, TOKENS, mutate, write

from simroute.cli import app
from simroute.errors import ScenarioError
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
