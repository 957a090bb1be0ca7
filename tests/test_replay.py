"""Replay of recorded outcomes: a small eval whose answers are known by construction, replayed through every
policy and checked against a hand count of the queries the run drew; the bootstrap, drift and launch
mechanisms; bad input as one located `error:` line with nothing written."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from conftest import python_calls
from typer.testing import CliRunner

import simroute
from simroute.cli import app
from simroute.errors import ScenarioError
from simroute.reactions import REACTION_DRAWS
from simroute.rng import Streams
from simroute.scenario.loader import scenario_from_dict
from simroute.world.outcomes import NANO, ModelBank
from simroute.world.replay import ReplayDaySource, load_recorded, split
from simroute.world.text_router import category_scores

# Per category: (rows, cheap right, capable right). In `easy` the cheap model always suffices, in `hard` it
# never does, in `mixed` half of the rows are right for both and half for neither.
KINDS = {"easy": (40, True, True), "hard": (40, False, True), "mixed": (40, None, None)}
CHEAP_USD, CAPABLE_USD = 0.001, 0.01


def _eval_frame() -> pl.DataFrame:
    rows = []
    for cat, (n, cheap, capable) in KINDS.items():
        for i in range(n):
            both = i % 2 == 0
            c = both if cheap is None else cheap
            g = both if capable is None else capable
            rows.append({"query_id": f"{cat}-{i}", "category": cat, "prompt": f"a {cat} question number {i}",
                         "correct:cheap": c, "correct:capable": g,
                         "confidence:cheap": 0.9 if c else 0.2, "confidence:capable": 0.8,
                         "cost_usd:cheap": CHEAP_USD, "cost_usd:capable": CAPABLE_USD})
    return pl.DataFrame(rows)


def _scenario(path, **replay) -> dict:
    model = {"latency": {"median_s": 1.0}, "quality": {"skill": 1.0}, "failure": {"confident_share": 0.5}}
    return {
        "name": "hand_count", "seed": 3, "horizon_days": 5,
        "users": {"mau": 2000, "queries_per_user_per_day": 0.1,
                  "segments": [{"name": "all", "share": 1.0, "arpu_usd_per_month": 10.0,
                                "baseline_churn_per_month": 0.0}],
                  "frustration": {"churn_hazard_per_unit": 0.0}},
        "traffic": {"intents": [{"name": "any", "share": 1.0, "surface_class": "simple"}],
                    "replay": {"eval": str(path), "training_share": 0.25, "min_queries": 10,
                               "router": "category", **replay}},
        "models": [{"name": "cheap", "price_in_usd_per_1k_tokens": 0.0001, "price_out_usd_per_1k_tokens": 0.0001,
                    **model},
                   {"name": "capable", "price_in_usd_per_1k_tokens": 0.01, "price_out_usd_per_1k_tokens": 0.01,
                    **model}],
        "reactions": {"correct": {"contact_probability": 0.0, "thumbs_down_probability": 0.0, "csat": 4.5,
                                  "frustration": 0.0},
                      "wrong_hedged": {"contact_probability": 0.1, "thumbs_down_probability": 0.1, "csat": 3.0,
                                       "frustration": 0.1},
                      "wrong_confident": {"contact_probability": 0.1, "thumbs_down_probability": 0.1, "csat": 2.0,
                                          "frustration": 0.5}},
        "economics": {"support": {"usd_per_contact": 5.0}},
        "policies": [
            {"name": "single", "kind": "single", "model": "capable"},
            {"name": "single_cheap", "kind": "single", "model": "cheap"},
            {"name": "oracle", "kind": "oracle", "models": ["cheap", "capable"]},
            {"name": "random", "kind": "random", "cheap_model": "cheap", "capable_model": "capable",
             "cheap_share": 0.5},
            {"name": "pre_route", "kind": "pre_route", "cheap_model": "cheap", "capable_model": "capable",
             "threshold": 0.5, "classifier": {"latency_ms": 0.0, "usd_per_1k_queries": 0.0}},
            {"name": "cascade", "kind": "cascade", "chain": ["cheap", "capable"], "thresholds": [0.5]}],
    }


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "eval.csv"
    _eval_frame().write_csv(path)
    sc = scenario_from_dict(_scenario(path))
    return sc, simroute.run(sc)


def _drawn(sc):
    """Every day's replayed rows and the random router's draws, re-drawn from the run's named streams."""
    streams = Streams(sc.seed)
    world = simroute.engine.World(sc, streams)
    src = world.source
    assert isinstance(src, ReplayDaySource)
    rows, to_cheap = [], []
    for day in range(sc.horizon_days):
        d = src.day(day, world.population.joined(day))
        rows.append(d.queries.row)
        to_cheap.append(streams.policy("random", day).random((1, len(d)))[0] < 0.5)
    return src, np.concatenate(rows), np.concatenate(to_cheap)


def test_every_policy_matches_the_hand_count(hand):
    sc, res = hand
    src, rows, to_cheap = _drawn(sc)
    rec = src.recorded
    cheap_ok, capable_ok = rec.correct[0, rows], rec.correct[1, rows]
    cat = np.array(rec.categories)[rec.category[rows]]
    n = len(rows)
    assert n > 500
    q = {name: p.quality["overall"] for name, p in res.policies.items()}
    assert q["single"] == pytest.approx(capable_ok.mean(), abs=1e-12)
    assert q["single_cheap"] == pytest.approx(cheap_ok.mean(), abs=1e-12)
    assert q["oracle"] == pytest.approx((cheap_ok | capable_ok).mean(), abs=1e-12)
    assert q["random"] == pytest.approx(np.where(to_cheap, cheap_ok, capable_ok).mean(), abs=1e-12)
    # category router at 0.5: easy has P(suffices) near 1, hard near 0, mixed (half both wrong) above 0.5
    pre = np.where(cat == "hard", capable_ok, cheap_ok)
    assert q["pre_route"] == pytest.approx(pre.mean(), abs=1e-12)
    # cascade on recorded confidence: the cheap answer stands when it says 0.9 (right), escalates at 0.2
    assert q["cascade"] == pytest.approx(np.where(cheap_ok, cheap_ok, capable_ok).mean(), abs=1e-12)
    bills = {name: p.bill_pct_of_baseline for name, p in res.policies.items()}
    assert bills["single_cheap"] == pytest.approx(100 * CHEAP_USD / CAPABLE_USD, rel=1e-9)
    oracle_usd = np.where(cheap_ok, CHEAP_USD, CAPABLE_USD).sum()  # both wrong: the last model of the chain
    assert bills["oracle"] == pytest.approx(100 * oracle_usd / (n * CAPABLE_USD), rel=1e-9)
    cascade_usd = n * CHEAP_USD + (~cheap_ok).sum() * CAPABLE_USD
    assert bills["cascade"] == pytest.approx(100 * cascade_usd / (n * CAPABLE_USD), rel=1e-9)
    assert res.policies["cascade"].escalation_share == pytest.approx((~cheap_ok).mean(), abs=1e-12)
    assert "recorded self-reported confidence" in res.provenance["traffic.replay.confidence"]


def test_router_trains_only_on_the_training_split_and_never_replays_it(hand):
    sc, _ = hand
    src, rows, _ = _drawn(sc)
    assert len(src.train_rows) == int(0.25 * 120)
    assert not np.isin(rows, src.train_rows).any()
    rec = src.recorded
    suff = rec.correct[0] | ~rec.correct[1]
    score = category_scores(rec.category, len(rec.categories), suff, src.train_rows)
    train_cat = rec.category[src.train_rows]
    for k, name in enumerate(rec.categories):
        n_k = int((train_cat == k).sum())
        hits = int(suff[src.train_rows][train_cat == k].sum())
        assert score[rec.category == k][0] == pytest.approx((hits + 1) / (n_k + 2))
        assert src.classifier.score(src.feature[rec.category == k][:1, None])[0] == pytest.approx(
            (hits + 1) / (n_k + 2), abs=1e-4), name


def test_bootstrap_is_deterministic_and_shared_by_policies(hand):
    sc, res = hand
    again = simroute.run(sc)
    for name, p in res.policies.items():
        assert again.policies[name] == p
    fewer = scenario_from_dict({**sc.model_dump(mode="json"),
                                "policies": [p.model_dump(mode="json") for p in sc.policies
                                             if p.name not in ("random", "oracle")]})
    dropped = simroute.run(fewer)
    for name, p in dropped.policies.items():
        assert p == res.policies[name], name


def test_a_day_is_vectorised():
    """The day draw makes the same number of Python calls for 50 and for 5,000 replayed queries."""
    sc = scenario_from_dict(_scenario_path_free())
    src = simroute.engine.World(sc, Streams(0)).source
    calls_small, _ = python_calls(lambda: src.day(0, 500))
    calls_big, _ = python_calls(lambda: src.day(0, 50_000))
    assert calls_big == calls_small


_SHARED: dict = {}


def _scenario_path_free() -> dict:
    if "path" not in _SHARED:
        import tempfile
        from pathlib import Path
        folder = Path(tempfile.mkdtemp(prefix="simroute-replay-"))
        _eval_frame().write_csv(folder / "eval.csv")
        _SHARED["path"] = folder / "eval.csv"
    return _scenario(_SHARED["path"])


def test_category_drift_reweights_the_bootstrap():
    raw = _scenario_path_free()
    raw["horizon_days"] = 30
    raw["traffic"]["replay"]["drift"] = [{"category": "hard", "start_day": 10, "ramp_days": 10, "to": 0.8}]
    sc = scenario_from_dict(raw)
    src = simroute.engine.World(sc, Streams(1)).source
    hard = src.recorded.categories.index("hard")
    before, middle, after = (src.shares.at(t)[hard] for t in (5.5, 15.0, 25.5))
    assert before == pytest.approx(src.shares.base[hard])
    assert middle == pytest.approx(before + (0.8 - before) * 0.5)
    assert after == pytest.approx(0.8)
    drawn = src.rows(np.random.default_rng(0), 200_000, 25.5)
    assert np.mean(src.recorded.category[drawn] == hard) == pytest.approx(0.8, abs=0.005)


def test_launched_categories_are_held_out_of_training_and_traffic_until_launch():
    raw = _scenario_path_free()
    raw["horizon_days"] = 20
    raw["traffic"]["replay"]["launch"] = {"categories": ["hard"], "day": 8, "share": 0.5}
    sc = scenario_from_dict(raw)
    src = simroute.engine.World(sc, Streams(2)).source
    rec = src.recorded
    hard = rec.categories.index("hard")
    assert not (rec.category[src.train_rows] == hard).any()
    early = src.rows(np.random.default_rng(0), 50_000, 7.5)
    late = src.rows(np.random.default_rng(0), 50_000, 8.5)
    assert not (rec.category[early] == hard).any()
    assert np.mean(rec.category[late] == hard) == pytest.approx(0.5, abs=0.01)
    suff = rec.correct[0] | ~rec.correct[1]
    overall = (suff[src.train_rows].sum() + 1) / (len(src.train_rows) + 2)
    assert src.classifier.score(src.feature[rec.category == hard][:1, None])[0] == pytest.approx(overall, abs=1e-4)
    res = simroute.run(sc)
    assert res.policies["pre_route"].quality["overall"] < res.policies["oracle"].quality["overall"]


def test_drawn_confidence_is_conditioned_on_the_recorded_correctness(tmp_path):
    frame = _eval_frame().drop("confidence:cheap", "confidence:capable")
    frame.write_csv(tmp_path / "eval.csv")
    sc = scenario_from_dict(_scenario(tmp_path / "eval.csv"))
    src = simroute.engine.World(sc, Streams(0)).source
    d = src.day(0, 20_000)
    right = d.outcomes.correct[0]
    conf = d.outcomes.confidence[0]
    assert conf[right].mean() > conf[~right].mean() + 0.1
    assert "conditioned on the recorded correctness" in src.notes()["traffic.replay.confidence"]
    bank = ModelBank(sc)
    want = np.rint(CHEAP_USD * NANO)
    assert (d.outcomes.cost_nano[0] == want).all() and len(bank) == 2


def test_recorded_tokens_missing_are_drawn_from_the_intent(tmp_path):
    frame = _eval_frame().drop("cost_usd:cheap", "cost_usd:capable")
    frame.write_csv(tmp_path / "eval.csv")
    sc = scenario_from_dict(_scenario(tmp_path / "eval.csv"))
    src = simroute.engine.World(sc, Streams(0)).source
    d = src.day(0, 20_000)
    assert np.median(d.queries.tokens_in) == pytest.approx(800, rel=0.05)
    usd = d.outcomes.cost_nano[1] / NANO
    assert usd == pytest.approx((d.queries.tokens_in + d.queries.tokens_out) * 0.01 / 1000, rel=1e-6)


def test_text_router_falls_back_to_categories_without_the_extra(monkeypatch, tmp_path):
    import simroute.world.text_router as tr
    monkeypatch.setattr(tr, "text_available", lambda: False)
    _eval_frame().write_csv(tmp_path / "eval.csv")
    sc = scenario_from_dict(_scenario(tmp_path / "eval.csv", router="text"))
    src = simroute.engine.World(sc, Streams(0)).source
    assert src.router_kind.value == "category"
    assert src.notes()["traffic.replay.router"] == ("replay: pre-routing on categories: scikit-learn is not "
                                                    "installed (pip install 'simroute[text]')")


def test_text_router_reads_the_prompt_when_installed(tmp_path):
    pytest.importorskip("sklearn")
    _eval_frame().write_csv(tmp_path / "eval.csv")
    sc = scenario_from_dict(_scenario(tmp_path / "eval.csv", router="text"))
    src = simroute.engine.World(sc, Streams(0)).source
    assert src.router_kind.value == "text"
    rec = src.recorded
    p = src.classifier.score(src.feature[:, None])
    hard, easy = rec.categories.index("hard"), rec.categories.index("easy")
    assert p[rec.category == easy].min() > p[rec.category == hard].max()


# Bad input: one located error line, exit 2, nothing written.

def _write(tmp_path, raw: dict):
    import yaml
    path = tmp_path / "replay.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.mark.parametrize(("change", "where", "what"), [
    (lambda r: r["traffic"]["replay"].update(models={"capable": "gpt-5"}), "traffic.replay.models.capable",
     "no correctness column for model 'gpt-5'"),
    (lambda r: r["traffic"]["replay"].update(min_queries=500), "traffic.replay.min_queries",
     "fewer than min_queries 500"),
    (lambda r: r["traffic"]["replay"].update(drift=[{"category": "poetry", "start_day": 1, "to": 0.5}]),
     "traffic.replay.drift[0].category", "has no category 'poetry'"),
    (lambda r: r["traffic"]["replay"].update(launch={"categories": ["poetry"], "day": 1}),
     "traffic.replay.launch.categories[0]", "has no category 'poetry'"),
    (lambda r: r["traffic"]["replay"].update(eval="no/such/eval.csv"), "traffic.replay.eval", "not found"),
    (lambda r: r.update(drift=[{"kind": "model_skill", "target": "cheap", "start_day": 1, "to": -1.0}]),
     "drift[0].kind", "cannot apply to recorded outcomes"),
])
def test_bad_replay_input_is_one_located_line(tmp_path, change, where, what):
    csv = tmp_path / "eval.csv"
    _eval_frame().write_csv(csv)
    raw = _scenario(csv)
    change(raw)
    path = _write(tmp_path, raw)
    out = tmp_path / "results"
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--quiet"])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}:") and f": {where}: " in lines[0] and what in lines[0], lines[0]
    if where.startswith("traffic.replay") and "eval" not in where:
        assert str(csv) in lines[0]
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    with pytest.raises(ScenarioError):
        simroute.api.resolve(path)


def test_replay_pool_size_counts_the_training_split(tmp_path):
    """min_queries is checked against the recorded queries left after the training split (120 - 30 = 90)."""
    csv = tmp_path / "eval.csv"
    _eval_frame().write_csv(csv)
    raw = _scenario(csv, min_queries=90)
    sc = scenario_from_dict(raw)
    rec = load_recorded(sc)
    _, pool = split(rec, sc.traffic.replay, Streams(sc.seed))
    assert len(pool) == 90
    with pytest.raises(ScenarioError, match="90 left to replay"):
        scenario_from_dict(_scenario(csv, min_queries=91))


def test_reaction_draws_are_the_engines():
    assert REACTION_DRAWS >= 1


def test_cli_run_says_which_router_and_confidence(tmp_path, monkeypatch):
    import simroute.world.text_router as tr
    monkeypatch.setattr(tr, "text_available", lambda: False)
    csv = tmp_path / "eval.csv"
    _eval_frame().drop("confidence:cheap", "confidence:capable").write_csv(csv)
    path = _write(tmp_path, _scenario(csv, router="text"))
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out"), "--quiet", "--no-report"])
    assert res.exit_code == 0, res.output
    notes = [line for line in res.stderr.splitlines() if line.startswith("note: ")]
    assert notes == ["note: replay: pre-routing on categories: scikit-learn is not installed "
                     "(pip install 'simroute[text]')",
                     "note: replay: confidence drawn from each model's confidence model conditioned on the "
                     "recorded correctness (the eval records none)"]


def test_monitors_and_rollback_run_on_a_replay(tmp_path):
    """Monitors (human review, routing-confidence drift), their calibration pass and a rollback on alarm work
    unchanged on replayed queries; a launch of the category the router never saw is what they watch."""
    csv = tmp_path / "eval.csv"
    _eval_frame().write_csv(csv)
    raw = _scenario(csv, launch={"categories": ["hard"], "day": 10, "share": 0.6})
    raw["horizon_days"] = 30
    raw["monitors"] = [
        {"name": "review", "kind": "human_review", "policy": "pre_route", "reviews_per_day": 40, "scope": "pooled",
         "alarm": {"reference_days": 7}},  # the onset is measured after the reference period, so it ends before day 10
        {"name": "confidence_psi", "kind": "confidence_drift", "policy": "pre_route"}]
    raw["policies"][4]["rollback_on"] = {"monitor": "review", "to_share": 0.0}
    res = simroute.run(scenario_from_dict(raw))
    review = res.monitors["review"]
    assert review.onset_day == 10 and review.false_alarms == 0 and review.first_alarm_day is not None
    assert review.onset_drifts == ["launch:hard"]
    assert res.output.rollbacks_on_alarm["pre_route"]["alarm_day"] == review.first_alarm_day
    assert (10, "launch:hard") in res.output.drift_onsets
    # the router never saw `hard`, so it sends it cheap: the trap, on recorded answers
    assert res.policies["pre_route~without_review"].quality["overall"] == pytest.approx(
        res.policies["single_cheap"].quality["overall"])
    assert res.policies["pre_route"].quality["overall"] > res.policies["pre_route~without_review"].quality["overall"]
