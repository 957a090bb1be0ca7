"""`simroute init`: a commented, validated starting scenario from a handful of business numbers.

The numbers a team knows (traffic, the AI bill, two models' prices and measured accuracy, the share it would
route to the cheap model, the cost of a support contact, ARPU and churn) become a two-intent world with
`single`, `pre_route` and `cascade` policies and per-tier monitors. Every value carries its provenance:
`input:` for what the team stated, `calibration:` for what is solved from it, `assumption:` for the rest.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from .engine import World
from .fit.scenario_writer import render
from .init_inputs import InitInputs
from .ledger import DAYS_PER_MONTH
from .rng import Streams
from .scenario.loader import scenario_from_dict
from .scenario.provenance import Path as YamlPath
from .scenario.schema import Scenario

DEFAULT_QUERIES_PER_USER_PER_DAY = 0.05  # assumption when only one of MAU and queries a day is given
DEFAULT_TOKENS = (1000.0, 300.0)         # (input, output) medians when neither tokens nor the bill say
TOKEN_SIGMA = 0.5
BILL_MISMATCH = 0.25                     # stated bill vs tokens x prices x traffic: note beyond +-25%
CALIBRATION_DRAWS = 40_000               # queries drawn to place the routing thresholds
DEFAULT_COMMENT = "assumption: simroute's default; edit to your case"


@dataclass(frozen=True)
class InitResult:
    """The scaffolded scenario: its YAML text (what `simroute init` writes), the validated tree, and notes
    on what was derived or looks inconsistent."""

    text: str
    scenario: Scenario
    notes: tuple[str, ...]


def _traffic(x: InitInputs, tokens: tuple[float, float]) -> dict:
    """Two intents: what the team would route (simple-looking) and the rest."""
    tin, tout = tokens
    tok = {"tokens_in": {"median": tin, "sigma": TOKEN_SIGMA}, "tokens_out": {"median": tout, "sigma": TOKEN_SIGMA}}
    return {
        "difficulty": {"tail_index": 2.5, "scale": 1.0},
        "surface": {"separation": 3.0},
        "intents": [
            {"name": "routable", "share": x.cheap_share, "surface_class": "simple", "base_difficulty": -1.0, **tok},
            {"name": "other", "share": round(1.0 - x.cheap_share, 12), "surface_class": "complex",
             "base_difficulty": 1.0, **tok},
        ],
    }


def _cost_per_query(tokens: tuple[float, float], price_in: float, price_out: float) -> float:
    """Expected USD per query: lognormal means (median x exp(sigma^2/2)) times prices."""
    mean = math.exp(TOKEN_SIGMA ** 2 / 2)
    return (tokens[0] * price_in + tokens[1] * price_out) * mean / 1000.0


def _sizes(x: InitInputs, c: dict[YamlPath, str], notes: list[str]) -> tuple[int, float, tuple[float, float]]:
    """MAU, queries per user per day and token medians, with their provenance comments in `c`.

    Queries a day: stated, else the bill / cost per query (stated or default tokens), else MAU x a default
    rate. MAU: stated, else queries a day / the default rate. Tokens: stated (checked against the bill),
    else the default in:out shape scaled to the bill when traffic is stated, else the default.
    """
    stated = (x.tokens_in_median, x.tokens_out_median)
    given: tuple[float, float] | None = None
    if stated[0] is not None and stated[1] is not None:
        given = (stated[0], stated[1])
    bill, p_in, p_out = x.monthly_ai_bill_usd, x.capable_price_in, x.capable_price_out
    if x.queries_per_day is not None:
        qpd = x.queries_per_day
        q_note = f"input: {qpd:,.0f} queries a day / MAU"
    elif bill is not None:
        per_query = _cost_per_query(given or DEFAULT_TOKENS, p_in, p_out)
        qpd = bill / (DAYS_PER_MONTH * per_query)
        q_note = (f"calibration: the monthly bill ${bill:,.0f} / {DAYS_PER_MONTH} days / ${per_query:.4g} a query "
                  f"on the capable model, per user")
    else:
        assert x.mau is not None
        qpd = x.mau * DEFAULT_QUERIES_PER_USER_PER_DAY
        q_note = f"assumption: {DEFAULT_QUERIES_PER_USER_PER_DAY:g} queries per user per day (not given)"
    if x.mau is None:
        mau = max(1, round(qpd / DEFAULT_QUERIES_PER_USER_PER_DAY))
        c[("users", "mau")] = f"assumption: {qpd:,.0f} queries a day at {DEFAULT_QUERIES_PER_USER_PER_DAY:g} per user"
        q_note = f"assumption: {DEFAULT_QUERIES_PER_USER_PER_DAY:g} queries per user per day (MAU not given)"
    else:
        mau = x.mau
        c[("users", "mau")] = "input: monthly active users"
    c[("users", "queries_per_user_per_day")] = q_note
    if given is not None:
        tokens, tok_note = given, "input: median tokens per query"
        if bill is not None and x.queries_per_day is not None:
            implied = DAYS_PER_MONTH * qpd * _cost_per_query(given, p_in, p_out)
            off = implied / bill - 1.0
            if abs(off) > BILL_MISMATCH:
                notes.append(f"the stated bill ${bill:,.0f}/month is {-off:+.0%} off the ${implied:,.0f}/month "
                             f"that traffic x tokens x capable prices give; check the inputs")
    elif bill is not None and x.queries_per_day is not None:
        f = bill / (DAYS_PER_MONTH * qpd * _cost_per_query(DEFAULT_TOKENS, p_in, p_out))
        tokens = (round(DEFAULT_TOKENS[0] * f, 1), round(DEFAULT_TOKENS[1] * f, 1))
        tok_note = (f"calibration: the {DEFAULT_TOKENS[0]:g}:{DEFAULT_TOKENS[1]:g} in:out shape scaled x{f:.3g} so "
                    f"the single policy's bill is the stated ${bill:,.0f}/month")
    else:
        tokens = DEFAULT_TOKENS
        tok_note = "assumption: a typical chat query (no token counts given)"
    for k in (0, 1):
        for leaf in ("tokens_in", "tokens_out"):
            c[("traffic", "intents", k, leaf, "median")] = tok_note
    return int(mau), qpd / mau, tokens


def _model(name: str, p_in: float, p_out: float, accuracy: float, cheap: bool) -> dict:
    return {
        "name": name, "price_in_usd_per_1k_tokens": p_in, "price_out_usd_per_1k_tokens": p_out,
        "output_length_multiplier": 1.0,
        "latency": {"median_s": 1.0 if cheap else 2.5, "sigma": 0.4},
        "quality": {"accuracy": accuracy, "hidden_intent_penalty": 0.0},
        "failure": {"confident_share": 0.3 if cheap else 0.2},
        "confidence": {"error_awareness": 2.0 if cheap else 1.0, "hedge_drop": 2.0},
    }


def _comments_static(x: InitInputs) -> dict[YamlPath, str]:
    c: dict[YamlPath, str] = {
        ("seed",): "input: any seed; the same seed gives the same numbers",
        ("horizon_days",): "input: days to simulate",
        ("users", "segments", 0, "arpu_usd_per_month"): "input: ARPU",
        ("users", "segments", 0, "baseline_churn_per_month"): "input: monthly churn",
        ("users", "segments", 0, "share"): "assumption: one segment",
        ("economics", "support", "usd_per_contact"): "input: cost of a support contact",
        ("traffic", "intents", 0, "share"): "input: the share the team would route to the cheap model",
        ("traffic", "intents", 1, "share"): "input: the rest",
        ("traffic", "intents", 0, "surface_class"): "assumption: what the team routes looks simple",
        ("traffic", "intents", 1, "surface_class"): "assumption",
        ("traffic", "intents", 0, "base_difficulty"): "assumption: routable queries are easier (logit units)",
        ("traffic", "intents", 1, "base_difficulty"): "assumption: the rest are harder (logit units)",
    }
    for j, (which, acc) in enumerate((("cheap", x.cheap_accuracy), ("capable", x.capable_accuracy))):
        c[("models", j, "name")] = f"input: the {which} model"
        c[("models", j, "price_in_usd_per_1k_tokens")] = f"input: {which} model's input price"
        c[("models", j, "price_out_usd_per_1k_tokens")] = f"input: {which} model's output price"
        c[("models", j, "quality", "accuracy")] = (f"input: {which} model's measured accuracy {acc:g} on this "
                                                  "traffic (simroute solves its skill)")
    return c


def _thresholds(s: Scenario, share: float) -> tuple[float, float]:
    """pre_route's P(simple) and cascade's confidence thresholds at which about `share` goes to cheap."""
    streams = Streams(s.seed)
    world = World(s, streams)
    params = world.drift.at(0.5)
    rng = streams.generator("init:thresholds")
    q = world.traffic.draw(rng, CALIBRATION_DRAWS, params)
    o = world.models.draw(rng, q, params)
    clf = world.classifier(s.policy("pre_route").classifier)
    pre = float(np.quantile(clf.score(q.surface), 1.0 - share))
    casc = float(np.quantile(o.confidence[0], 1.0 - share))
    return round(min(max(pre, 0.0), 1.0), 4), round(min(max(casc, 0.0), 1.0), 4)


def init_scenario(x: InitInputs) -> InitResult:
    """Build, calibrate and validate the scenario for `x`; the text carries a comment on every value."""
    notes: list[str] = []
    c = _comments_static(x)
    mau, qpu, tokens = _sizes(x, c, notes)
    traffic = _traffic(x, tokens)
    data: dict[str, Any] = {
        "name": x.name,
        "description": "Scaffolded by simroute init from business numbers; edit the assumptions.",
        "seed": x.seed, "horizon_days": x.horizon_days, "outcome_correlation": 0.7,
        "users": {"mau": mau, "queries_per_user_per_day": round(qpu, 8),
                  "segments": [{"name": "everyone", "share": 1.0, "arpu_usd_per_month": x.arpu_usd_per_month,
                                "baseline_churn_per_month": x.churn_per_month}],
                  "frustration": {"decay_days": 30.0, "churn_hazard_per_unit": 0.02}},
        "traffic": traffic,
        "models": [_model(x.cheap_model, x.cheap_price_in, x.cheap_price_out, x.cheap_accuracy, True),
                   _model(x.capable_model, x.capable_price_in, x.capable_price_out, x.capable_accuracy, False)],
        "reactions": {
            "correct": {"contact_probability": 0.02, "thumbs_down_probability": 0.002, "csat": 4.4, "frustration": 0.0},
            "wrong_hedged": {"contact_probability": 0.2, "thumbs_down_probability": 0.02, "csat": 3.2,
                             "frustration": 0.15},
            "wrong_confident": {"contact_probability": 0.25, "thumbs_down_probability": 0.02, "csat": 2.0,
                                "frustration": 1.0},
        },
        "economics": {"support": {"usd_per_contact": x.usd_per_support_contact}},
        "policies": [
            {"name": "single", "kind": "single", "model": x.capable_model},
            {"name": "pre_route", "kind": "pre_route", "cheap_model": x.cheap_model,
             "capable_model": x.capable_model, "threshold": 0.5,
             "classifier": {"method": "encoder", "training_samples": 50_000}},
            {"name": "cascade", "kind": "cascade", "chain": [x.cheap_model, x.capable_model], "thresholds": [0.9]},
        ],
        "monitors": [
            {"name": "review_per_tier", "kind": "human_review", "policy": "pre_route",
             "reviews_per_day": max(20, min(200, round(0.005 * mau * qpu))), "scope": "per_tier"},
            {"name": "widget_per_tier", "kind": "feedback_widget", "policy": "pre_route", "scope": "per_tier"},
        ],
    }
    pre, casc = _thresholds(scenario_from_dict(data, source=x.name), x.cheap_share)
    data["policies"][1]["threshold"] = pre
    data["policies"][2]["thresholds"] = [casc]
    share = f"{x.cheap_share:.0%}"
    c[("policies", 1, "threshold")] = f"calibration: the classifier sends about {share} of queries to the cheap model"
    c[("policies", 2, "thresholds")] = f"calibration: the cheap model keeps about {share} of queries at this confidence"
    c[("policies", 0, "model")] = "input: today every query goes to the capable model"
    c[("policies", 1, "cheap_model")] = c[("policies", 1, "capable_model")] = "input: the two models"
    c[("policies", 2, "chain")] = "input: cheap first, escalate to capable when unsure"
    for k in (0, 1):
        c[("monitors", k, "policy")] = "assumption: watch the router's tiers separately"
        c[("monitors", k, "scope")] = "assumption: per tier, so a drop on the cheap tier is not averaged away"
    c[("monitors", 0, "reviews_per_day")] = "assumption: about 0.5% of traffic reviewed, 20..200 a day"
    header = (f"{x.name}: scaffolded by `simroute init` from business numbers.\n"
              "input: stated by the team; calibration: solved from the inputs; assumption: a default to check.\n"
              "Model accuracy is stated on this scenario's traffic; simroute solves each model's skill from it.")
    text = render(data, c, header, default=DEFAULT_COMMENT)
    scenario = scenario_from_dict(yaml.safe_load(text), source=x.name)
    return InitResult(text, scenario, tuple(notes))
