"""Named random streams: reproducible, keyed by name/day/seed (not by request order), independent per policy."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

from simroute import rng as rng_mod
from simroute.engine import Engine, simulate
from simroute.rng import Streams
from simroute.scenario.loader import scenario_from_dict

FIXTURE = Path(__file__).parent / "fixtures" / "minimal.yaml"
N = 64


def _draw(streams: Streams, name: str, *index: int) -> np.ndarray:
    return streams.generator(name, *index).random(N)


def _scenario_dict() -> dict:
    data = yaml.safe_load(FIXTURE.read_text())
    data["horizon_days"] = 12
    data["users"]["mau"] = 600
    data["policies"][1]["classifier"] = {"training_samples": 2000}
    data["policies"].append({"name": "rand", "kind": "random", "cheap_model": "cheap",
                             "capable_model": "capable", "cheap_share": 0.4})
    return data


def test_same_seed_name_and_index_reproduce_exactly():
    a, b = Streams(123), Streams(123)
    for name in (rng_mod.ARRIVALS, rng_mod.OUTCOMES, rng_mod.REACTIONS, rng_mod.USERS, "anything"):
        assert np.array_equal(_draw(a, name), _draw(b, name))
        assert np.array_equal(_draw(a, name, 5), _draw(b, name, 5))
        assert np.array_equal(_draw(a, name, 5, 2), _draw(b, name, 5, 2))


def test_generator_is_fresh_each_call():
    s = Streams(9)
    assert np.array_equal(_draw(s, "x", 1), _draw(s, "x", 1))


def test_streams_do_not_depend_on_request_order():
    names = ["arrivals", "outcomes", "policy:a", "policy:b", "users"]
    first = Streams(42)
    forward = {n: _draw(first, n, 3) for n in names}
    second = Streams(42)
    backward = {n: _draw(second, n, 3) for n in reversed(names)}
    # interleave extra requests that must not shift anything
    third = Streams(42)
    _draw(third, "unrelated")
    third.generator("policy:zzz", 3).random(10_000)
    shuffled = {n: _draw(third, n, 3) for n in (names[2], names[0], names[4], names[1], names[3])}
    for n in names:
        assert np.array_equal(forward[n], backward[n])
        assert np.array_equal(forward[n], shuffled[n])


@pytest.mark.parametrize("other", [
    ("outcomes", (0,), 1),     # different name
    ("arrivals", (1,), 1),     # different day
    ("arrivals", (0,), 2),     # different seed
    ("arrivals", (), 1),       # no index vs index 0
    ("arrivals", (0, 0), 1),   # an extra index
])
def test_different_name_day_or_seed_give_different_draws(other):
    name, index, seed = other
    ref = _draw(Streams(1), "arrivals", 0)
    assert not np.array_equal(ref, _draw(Streams(seed), name, *index))


def test_index_order_matters():
    s = Streams(5)
    assert not np.array_equal(_draw(s, "x", 1, 2), _draw(s, "x", 2, 1))


def test_streams_are_uncorrelated():
    n = 20_000
    s = Streams(11)
    a = s.generator("arrivals", 0).standard_normal(n)
    b = s.generator("arrivals", 1).standard_normal(n)
    c = s.generator("outcomes", 0).standard_normal(n)
    d = Streams(12).generator("arrivals", 0).standard_normal(n)
    for x, y in ((a, b), (a, c), (a, d)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 5 / np.sqrt(n)


def test_policy_stream_is_named_after_the_policy():
    s = Streams(3)
    assert np.array_equal(s.policy("p1", 4).random(N), _draw(s, "policy:p1", 4))
    assert not np.array_equal(s.policy("p1", 4).random(N), s.policy("p2", 4).random(N))
    assert not np.array_equal(s.policy("p1", 4).random(N), s.policy("p1", 5).random(N))
    # a policy stream never coincides with a world stream
    for world in (rng_mod.ARRIVALS, rng_mod.OUTCOMES, rng_mod.REACTIONS, rng_mod.USERS):
        assert not np.array_equal(s.policy(world, 4).random(N), _draw(s, world, 4))


def test_sequence_carries_seed_and_spawn_key():
    seq = Streams(77).sequence("arrivals", 3)
    assert seq.entropy == 77
    assert seq.spawn_key[1:] == (3,)


def test_adding_a_policy_does_not_change_another_policys_draws():
    data = _scenario_dict()
    more = copy.deepcopy(data)
    # a new policy inserted before `rand`, with a name that sorts earlier
    more["policies"].insert(1, {"name": "aaa", "kind": "random", "cheap_model": "cheap",
                                "capable_model": "capable", "cheap_share": 0.9})
    e1, e2 = Engine(scenario_from_dict(data)), Engine(scenario_from_dict(more))
    r1 = next(p for p in e1.policies if p.name == "rand")
    r2 = next(p for p in e2.policies if p.name == "rand")
    for day in (0, 3):
        r1.start_day(day, 500)
        r2.start_day(day, 500)
        assert np.array_equal(r1.u, r2.u)
        assert np.array_equal(r1.u, Streams(data["seed"]).policy("rand", day).random((1, 500)))
    other = next(p for p in e2.policies if p.name == "aaa")
    other.start_day(0, 500)
    r2.start_day(0, 500)
    assert not np.array_equal(other.u, r2.u)


def test_adding_a_policy_leaves_every_other_policys_results_unchanged():
    data = _scenario_dict()
    more = copy.deepcopy(data)
    more["policies"].insert(2, {"name": "extra", "kind": "random", "cheap_model": "cheap",
                                "capable_model": "capable", "cheap_share": 0.8})
    a, b = simulate(scenario_from_dict(data)), simulate(scenario_from_dict(more))
    assert np.array_equal(a.arrivals, b.arrivals)
    for name, d in a.days.items():
        e = b.days[name]
        assert np.array_equal(d.tier, e.tier), name
        assert np.array_equal(d.inference_nano, e.inference_nano), name
        assert np.array_equal(d.day, e.day), name
        assert np.array_equal(d.latency_hist, e.latency_hist), name


def test_results_do_not_depend_on_batching_within_a_day():
    data = _scenario_dict()
    batched = copy.deepcopy(data)
    batched["engine"] = {"batch_fraction_of_day": 0.1}
    a, b = simulate(scenario_from_dict(data)), simulate(scenario_from_dict(batched))
    for name, d in a.days.items():
        e = b.days[name]
        assert np.array_equal(d.tier, e.tier), name
        assert np.array_equal(d.inference_nano, e.inference_nano), name
        assert np.array_equal(d.day, e.day), name
        assert np.array_equal(d.latency_hist, e.latency_hist), name


def test_same_seed_same_run_and_another_seed_differs():
    data = _scenario_dict()
    a, b = simulate(scenario_from_dict(data)), simulate(scenario_from_dict(data))
    assert np.array_equal(a.arrivals, b.arrivals)
    assert all(np.array_equal(a.days[n].tier, b.days[n].tier) for n in a.days)
    other = copy.deepcopy(data)
    other["seed"] = data["seed"] + 1
    c = simulate(scenario_from_dict(other))
    assert not np.array_equal(a.arrivals, c.arrivals)
