"""Switch one mechanism and the economics must move the right way (case 1 at a quarter of its traffic)."""
from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import pytest
import yaml

import simroute
from simroute.scenario.loader import scenario_from_dict

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

KEEP = ("single", "pre_route", "cascade")


def _base() -> dict:
    d = yaml.safe_load((SCENARIOS / "case1_saas_support.yaml").read_text())
    d["users"]["mau"] = 1_000_000
    d["policies"] = [p for p in d["policies"] if p["name"] in KEEP]
    d["monitors"] = []  # monitors are not part of these mechanisms (and watch policies not kept)
    return d


@cache
def _run(variant: str):
    d = _base()
    MUTATORS[variant](d)
    return simroute.run(scenario_from_dict(d, source=variant)).policies


def _no_hidden(d):
    for it in d["traffic"]["intents"]:
        it["hidden_intent_rate"] = 0.0
    d["drift"] = [x for x in d["drift"] if x["kind"] != "hidden_intent_rate"]


def _blind(d):
    next(m for m in d["models"] if m["name"] == "cheap")["confidence"]["hidden_awareness"] = 0.0


def _double_contact(d):
    d["economics"]["support"]["usd_per_contact"] *= 2


def _cheap_as_capable(d):
    cheap, capable = (next(m for m in d["models"] if m["name"] == n) for n in ("cheap", "capable"))
    for key in ("quality", "failure", "confidence"):
        cheap[key] = copy.deepcopy(capable[key])
    d["outcome_correlation"] = 1.0
    # the same model in both tiers: a provider version change of only the cheap one would make them differ again
    d["drift"] = [x for x in d["drift"] if not (x["kind"] == "model_skill" and x["target"] == "cheap")]


MUTATORS = {"base": lambda d: None, "no_hidden": _no_hidden, "blind": _blind,
            "double_contact": _double_contact, "cheap_as_capable": _cheap_as_capable}


def test_without_hidden_intent_the_trap_ratio_falls_below_one():
    assert _run("base")["pre_route"].trap_ratio > 3
    assert _run("no_hidden")["pre_route"].trap_ratio < 1


def test_blind_confidence_costs_the_cascade_most_of_its_advantage():
    def advantage(p):
        return p["cascade"].net_value_usd_per_month - p["pre_route"].net_value_usd_per_month
    base, blind = advantage(_run("base")), advantage(_run("blind"))
    assert base > 0
    assert blind < 0.5 * base


def test_doubling_the_contact_price_moves_only_the_support_center():
    base, dbl = _run("base"), _run("double_contact")
    for name in KEEP[1:]:
        b, d = base[name], dbl[name]
        assert d.savings_usd_per_month == b.savings_usd_per_month
        bl, dl = b.invisible_loss_usd_per_month, d.invisible_loss_usd_per_month
        assert dl["retention"] == bl["retention"] and dl["compliance"] == bl["compliance"]
        assert d.quality == b.quality and d.churned_users == b.churned_users
        if bl["support"] > 0:
            assert dl["support"] == pytest.approx(2 * bl["support"], rel=1e-9)


def test_a_cheap_model_as_good_as_the_capable_one_gives_savings_without_loss():
    p = _run("cheap_as_capable")["pre_route"]
    assert p.savings_usd_per_month > 0
    assert p.invisible_loss_usd_per_month["total"] == pytest.approx(0.0, abs=1e-6)
