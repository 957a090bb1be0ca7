"""The day loop's faster forms give exactly what the plain forms they replace gave (issue 17)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simroute.metrics import TIER_FIELDS, PolicyDays
from simroute.monitors.long_tail_sampling import LongTailSampling, _largest
from simroute.policies.base import Routing
from simroute.reactions import Reacted
from simroute.world.outcomes import Outcomes
from simroute.world.traffic import gather
from simroute.world.users import PolicyUsers

_FLAG_COUNTER = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11])  # the flags -> counters of the old form


def _tier_counts_by_flags(m: int, r: Routing, x: Reacted, hidden: np.ndarray, regulatory: np.ndarray) -> np.ndarray:
    """The tier counters as the engine counted them before: one (counter, tier) code per raised flag."""
    f, wrong = r.final, x.outcome != 0
    flags = (np.ones_like(wrong), x.outcome == 0, x.outcome == 1, x.outcome == 2, hidden, hidden & wrong,
             regulatory, x.compliance, x.caught, x.thumbs_down, x.contacts >= 1, x.contacts >= 2, r.escalated)
    codes = (_FLAG_COUNTER[:, None] * m + f[None, :])[np.stack(flags)]
    return np.bincount(codes, minlength=len(TIER_FIELDS) * m).reshape(-1, m).T


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(0, 300), st.integers(0, 2**32 - 1))
def test_tier_counters_from_event_combinations_equal_the_flag_counts(m, n, seed):
    rng = np.random.default_rng(seed)
    b = lambda p=0.5: rng.random(n) < p  # noqa: E731
    regulatory, compliance = b(), b()
    compliance &= regulatory
    x = Reacted(rng.integers(0, 3, n).astype(np.int8), b(), rng.integers(0, 3, n).astype(np.int8), compliance,
                compliance & b(), rng.random(n))
    r = Routing(final=rng.integers(0, m, n).astype(np.int8), ran=rng.random((m, n)) < 0.5,
                latency_s=rng.random(n).astype(np.float32), escalated=b(), shadow=rng.random((m, n)) < 0.1)
    o = Outcomes(rng.random((m, n)) < 0.5, rng.random((m, n)) < 0.5, rng.random((m, n)).astype(np.float32),
                 rng.random((m, n)).astype(np.float32), rng.integers(0, 10**6, (m, n)))
    acc = PolicyDays(2, m, 1)
    hidden = b()
    acc.add(1, r, x, hidden, regulatory, o)
    assert (acc.tier[1] == _tier_counts_by_flags(m, r, x, hidden, regulatory)).all()
    assert (acc.inference_nano[1] == (o.cost_nano * r.ran).sum(axis=1)).all()
    assert r.shadow is not None and (acc.shadow_nano[1] == (o.cost_nano * r.shadow).sum(axis=1)).all()
    assert not acc.tier[0].any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, -3.0, np.nan]), min_size=1, max_size=60),
       st.integers(1, 60))
def test_largest_is_the_head_of_a_stable_descending_sort(values, k):
    x = np.array(values, dtype=np.float32)
    k = min(k, len(x))
    assert (_largest(x, k) == np.argsort(-x, kind="stable")[:k]).all()


def test_largest_on_a_day_of_continuous_scores():
    x = np.random.default_rng(3).random(5000).astype(np.float32)
    assert (_largest(x, 500) == np.argsort(-x, kind="stable")[:500]).all()


def test_gather_equals_indexing_for_positions_slices_and_masks():
    a = np.arange(24).reshape(3, 8)
    for idx in (np.array([0, 3, 3, 7]), slice(2, 5), np.arange(8) % 3 == 0, np.array([], dtype=np.int64)):
        assert (gather(a, idx, axis=1) == a[:, idx]).all()
        assert (gather(a[0], idx) == a[0][idx]).all()
    assert np.shares_memory(gather(a, slice(1, 4), axis=1), a)


def test_long_tail_sampling_keeps_its_truth_series():
    assert "truth" in LongTailSampling.__dict__ and "_tail" in LongTailSampling.__dict__


def _old_billing(pop, pu, frustration: np.ndarray, updated: np.ndarray, active: np.ndarray, day: int,
                 u: np.ndarray) -> np.ndarray:
    """Churn at billing as decided before the billing-order layout: every billed user, by user id."""
    ids = np.flatnonzero((pop.billing_offset == day % pop.cycle) & (pop.join_day < day))
    live = active[ids]
    ids, u = ids[live], u[live]
    seg = pop.segment[ids]
    level = frustration[ids].astype(np.float64) * np.exp(-(day - updated[ids]) / pu.tau)
    p = 1.0 - (1.0 - pu.base_per_cycle[seg]) * np.exp(-pu.hazard * pu.sensitivity[seg] * level)
    return ids[u < p]


def test_billing_by_slot_churns_exactly_whom_the_per_user_rule_churned():
    from test_world import _population

    pop, s = _population(mau=5000)
    pu = PolicyUsers(pop, s)
    rng = np.random.default_rng(5)
    frustration, updated = np.zeros(pop.size, np.float32), np.zeros(pop.size, np.float32)
    active = np.ones(pop.size, dtype=bool)
    for day in range(1, 50):
        who = rng.integers(0, pop.joined(day), 400)
        w = np.where(rng.random(400) < 0.3, rng.random(400), 0.0)
        pu.add_frustration(who, w, float(day))
        keep = w > 0
        ids, inv = np.unique(who[keep], return_inverse=True)
        level = frustration[ids].astype(np.float64) * np.exp(-(day - updated[ids]) / pu.tau)
        frustration[ids], updated[ids] = level + np.bincount(inv, weights=w[keep]), day
        assert (pu.frustration[pop.slot_of] == frustration).all()
        ids = pop.billed_on(day)
        assert (ids == np.flatnonzero((pop.billing_offset == day % pop.cycle) & (pop.join_day < day))).all()
        u = rng.random(len(ids)) * 0.2  # enough churn to matter
        want = _old_billing(pop, pu, frustration, updated, active, day, u)
        active[want] = False
        assert (pu.bill(day, u, ids) == want).all()
        assert (pu.active == active).all() and (pu.live == active[pop.order]).all()


def _old_linear(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    out = np.full(len(x), b, dtype=np.float64)
    for j in range(x.shape[1]):
        out += x[:, j].astype(np.float64) * w[j]
    return out


def test_classifier_sums_by_contiguous_columns_equal_the_strided_ones():
    from simroute import classifier as c

    rng = np.random.default_rng(8)
    x = rng.standard_normal((999, 8)).astype(np.float32)
    w, p = rng.standard_normal(8), rng.standard_normal((8, 8))
    assert (c._linear(x, w, 0.3) == _old_linear(x, w, 0.3)).all()
    sq = np.zeros(len(x))
    for j in range(8):
        sq += x[:, j].astype(np.float64) ** 2
    unit = x.astype(np.float64) / np.maximum(np.sqrt(sq), 1e-12)[:, None]
    assert (c._unit_rows(x) == unit).all() and c._unit_rows(x).flags.c_contiguous
    mean = rng.standard_normal(8)
    clf = c.TrainedClassifier(c.ClassifierMethod.encoder, w, 0.1, None, mean, p, np.empty(0))
    d = x.astype(np.float64) - mean
    ood = np.zeros(len(x))
    for j in range(8):
        ood += d[:, j] * _old_linear(d, p[j], 0.0)
    assert (clf.ood(x) == ood.astype(np.float32)).all()


def test_reaction_outcome_codes():
    from simroute.reactions import CORRECT, WRONG_CONFIDENT, WRONG_HEDGED, ReactionModel

    rng = np.random.default_rng(4)
    correct, confident = rng.random((2, 500)) < 0.5, rng.random((2, 500)) < 0.5
    final = rng.integers(0, 2, 500).astype(np.int8)
    o = Outcomes(correct, confident & ~correct, rng.random((2, 500)).astype(np.float32),
                 rng.random((2, 500)).astype(np.float32), rng.integers(0, 10, (2, 500)))
    model = ReactionModel.__new__(ReactionModel)
    model.thumb = model.contact = model.repeat = model.frustration = np.array([0.1, 0.2, 0.3])
    model.skew, model.compliance_frustration, model.catch, model.hedged_counts = 0.0, 1.0, 0.5, True
    model.tabulate()
    x = model.react(final, o, rng.random(500) < 0.5, np.zeros(500), rng.random((4, 500)))
    c, k = correct[final, np.arange(500)], (confident & ~correct)[final, np.arange(500)]
    want = np.where(c, CORRECT, np.where(k, WRONG_CONFIDENT, WRONG_HEDGED)).astype(np.int8)
    assert x.outcome.dtype == np.int8 and (x.outcome == want).all()


def test_pick_on_blocks_and_views():
    from simroute.policies.base import pick

    rng = np.random.default_rng(9)
    for values in (rng.random((3, 50)).astype(np.float32), rng.random((2, 50)) < 0.5,
                   rng.integers(0, 9, (3, 80))[:, 10:60]):
        rows = rng.integers(0, len(values), values.shape[1]).astype(np.int8)
        want = np.take_along_axis(values, rows[None, :].astype(np.intp), axis=0)[0]
        got = pick(values, rows)
        assert got.dtype == want.dtype and (got == want).all()
    assert len(pick(np.zeros((2, 0)), np.zeros(0, dtype=np.int8))) == 0


def _old_react(model, final: np.ndarray, o: Outcomes, regulatory: np.ndarray, frus: np.ndarray, u: np.ndarray,
               day_factor: float):
    """Reactions as computed before the per-outcome tables (fancy indexing by outcome, per-query sums)."""
    from simroute.policies.base import pick
    from simroute.reactions import CORRECT, WRONG_CONFIDENT, WRONG_HEDGED

    outcome = np.where(pick(o.confident, final), np.int8(WRONG_CONFIDENT), np.int8(WRONG_HEDGED))
    outcome[pick(o.correct, final)] = CORRECT
    thumbs = u[0] < np.minimum(1.0, day_factor * model.thumb[outcome] * (1.0 + model.skew * frus))
    contact = u[1] < model.contact[outcome]
    repeat = contact & (u[2] < model.repeat[outcome])
    wrong_counts = (outcome == WRONG_CONFIDENT) | (model.hedged_counts & (outcome == WRONG_HEDGED))
    compliance = regulatory & wrong_counts
    caught = compliance & (u[3] < model.catch)
    frustration = model.frustration[outcome] + model.compliance_frustration * compliance
    return outcome, thumbs, contact.astype(np.int8) + repeat, compliance, caught, frustration


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 3), st.integers(0, 400), st.integers(0, 2**32 - 1), st.booleans())
def test_reactions_from_outcome_tables_equal_the_per_query_form(m, n, seed, hedged_counts):
    from simroute.reactions import ReactionModel

    rng = np.random.default_rng(seed)
    correct = rng.random((m, n)) < 0.6
    o = Outcomes(correct, (rng.random((m, n)) < 0.5) & ~correct, rng.random((m, n)).astype(np.float32),
                 rng.random((m, n)).astype(np.float32), rng.integers(0, 10, (m, n)))
    model = ReactionModel.__new__(ReactionModel)
    model.thumb, model.contact, model.repeat = rng.random(3) * 0.5, rng.random(3), rng.random(3)
    model.frustration = np.array([0.0, rng.random(), 1.0 + rng.random()])
    model.skew, model.compliance_frustration = float(rng.random() * 3), float(rng.random() * 2)
    model.catch, model.hedged_counts = float(rng.random()), hedged_counts
    model.tabulate()
    frus = np.where(rng.random(n) < 0.5, 0.0, rng.random(n) * 4)
    final, regulatory = rng.integers(0, m, n).astype(np.int8), rng.random(n) < 0.4
    u, factor = rng.random((4, n)), float(np.exp(rng.standard_normal() * 0.3))
    x = model.react(final, o, regulatory, frus, u, factor)
    for got, want in zip((x.outcome, x.thumbs_down, x.contacts, x.compliance, x.caught, x.frustration),
                         _old_react(model, final, o, regulatory, frus, u, factor), strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_latency_bins_on_special_values():
    from simroute.metrics import LATENCY_EDGES, latency_bins

    v = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, 1e-9, 1e9, 1e-3, 1e3, 0.5], dtype=np.float64)
    want = np.clip(np.searchsorted(LATENCY_EDGES, np.nan_to_num(v, nan=0.0)), 0, len(LATENCY_EDGES))
    assert (latency_bins(v) == want).all()
    assert (latency_bins(v.astype(np.float32)) == latency_bins(v.astype(np.float32).astype(np.float64))).all()


def _old_curve(curve: np.ndarray, rule, day: int, decision: np.ndarray, o: Outcomes) -> None:
    """Threshold-curve counts as accumulated before the one-bincount form (a bincount per count)."""
    from simroute.metrics import CURVE_BINS

    b = np.clip((decision * CURVE_BINS).astype(np.int64), 0, CURVE_BINS - 1)
    curve[day, :, 0] += np.bincount(b, minlength=CURVE_BINS)
    for j, right in ((1, o.correct[rule.cheap]), (2, o.correct[rule.capable])):
        curve[day, :, j] += np.bincount(b[right], minlength=CURVE_BINS)
    for j, c in ((3, o.cost_nano[rule.cheap]), (4, o.cost_nano[rule.capable])):
        curve[day, :, j] += np.rint(np.bincount(b, weights=c.astype(np.float64), minlength=CURVE_BINS)).astype(
            np.int64)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 500), st.integers(0, 2**32 - 1), st.booleans())
def test_threshold_curve_from_one_bincount_equals_three(n, seed, view):
    from simroute.metrics import CURVE_BINS, CURVE_FIELDS
    from simroute.policies.base import ThresholdRule

    rng = np.random.default_rng(seed)
    o = Outcomes(rng.random((3, n + 7)) < 0.5, rng.random((3, n + 7)) < 0.5,
                 rng.random((3, n + 7)).astype(np.float32), rng.random((3, n + 7)).astype(np.float32),
                 rng.integers(0, 10**7, (3, n + 7)))
    o = o.take(slice(3, 3 + n) if view else np.arange(3, 3 + n))
    decision = rng.random(n).astype(np.float32) * 1.2 - 0.1
    decision[rng.random(n) < 0.05] = np.nan
    rule = ThresholdRule(2, 0, cheap_always_runs=True)
    got, want = (np.zeros((2, CURVE_BINS, len(CURVE_FIELDS)), dtype=np.int64) for _ in range(2))
    with np.errstate(invalid="ignore"):  # NaN decisions cast to some integer, clipped into a bin
        PolicyDays._add_curve(got, rule, 1, decision, o)
        _old_curve(want, rule, 1, decision, o)
    assert (got == want).all()


def test_decayed_by_take_equals_the_indexed_form():
    from test_world import _population

    pop, s = _population(mau=3000)
    pu = PolicyUsers(pop, s)
    rng = np.random.default_rng(11)
    for day in range(1, 20):
        who = rng.integers(0, pop.joined(day), 300)
        pu.add_frustration(who, np.where(rng.random(300) < 0.3, rng.random(300), 0.0), float(day))
        slots = pop.slot_of[rng.integers(0, pop.joined(day), 500)]
        f = pu.frustration[slots]
        nz = np.flatnonzero(f)
        want = np.zeros(len(f))
        want[nz] = f[nz].astype(np.float64) * np.exp(-(day + 0.5 - pu.updated[slots[nz]]) / pu.tau)
        assert np.array_equal(pu.decayed(slots, day + 0.5), want)
    assert len(pu.decayed(np.zeros(0, dtype=np.int32), 3.0)) == 0


def test_day_scores_shared_by_routers_equal_scoring_each_batch():
    from simroute import classifier as c
    from simroute.policies.base import DayScores

    rng = np.random.default_rng(12)
    surface = rng.standard_normal((3000, 8)).astype(np.float32)
    for method in (c.ClassifierMethod.encoder, c.ClassifierMethod.embedding):
        centroids = rng.standard_normal((2, 8)) if method is c.ClassifierMethod.embedding else None
        w = rng.standard_normal(8 if centroids is None else 1)
        clf = c.TrainedClassifier(method, w, 0.2, centroids, np.zeros(8), np.eye(8), np.empty(0))
        day = DayScores(4, len(surface))
        for keep in (0.97, 0.9, 1.0, 0.5):  # each router sees its own active users' rows
            pos = np.flatnonzero(rng.random(len(surface)) < keep)
            got = day.score(clf, np.take(surface, pos, axis=0), pos)
            assert got.dtype == np.float32 and np.array_equal(got, clf.score(surface[pos]))


def test_lazy_query_rows_equal_the_eager_copy():
    import dataclasses
    import pickle

    from simroute.world.traffic import Queries

    rng = np.random.default_rng(13)
    n = 60
    q = Queries(rng.integers(0, 5, n).astype(np.int16), rng.random(n), rng.random(n), rng.random(n) < 0.5,
                rng.random(n) < 0.5, rng.random(n), rng.random(n), rng.random((n, 8)).astype(np.float32))
    for idx in (np.array([1, 5, 5, 9]), slice(3, 20), rng.random(n) < 0.3, np.array([], dtype=np.int64)):
        eager = {f.name: getattr(q, f.name)[idx] for f in dataclasses.fields(q)}
        for rows in (q.take(idx), pickle.loads(pickle.dumps(q.take(idx)))):
            assert "surface" not in vars(rows)  # nothing gathered before a column is read
            assert len(rows) == len(eager["intent"]) and not hasattr(rows, "row")
            for name, want in eager.items():
                got = getattr(rows, name)
                assert got.dtype == want.dtype and np.array_equal(got, want)
    assert np.shares_memory(q.take(slice(2, 9)).surface, q.surface)


def test_classifier_by_blocks_equals_one_whole_batch():
    from simroute import classifier as c

    rng = np.random.default_rng(9)
    x = rng.standard_normal((2 * c.ROW_BLOCK + 11, 8)).astype(np.float32)
    w, p, mean = rng.standard_normal(8), rng.standard_normal((8, 8)), rng.standard_normal(8)
    centroids = rng.standard_normal((2, 8))
    for method, cents in ((c.ClassifierMethod.encoder, None), (c.ClassifierMethod.embedding, centroids)):
        clf = c.TrainedClassifier(method, w[:8 if cents is None else 1], 0.1, cents, mean, p, np.empty(0))
        assert np.array_equal(clf.score(x), clf._score(x)) and np.array_equal(clf.ood(x), clf._ood(x))


def test_bitsets_follow_live_and_frustration():
    from test_world import _population

    from simroute.world.users import bits_at, bits_in, set_bits

    rng = np.random.default_rng(17)
    flags = rng.random(1003) < 0.3
    bits = np.zeros((len(flags) + 7) // 8, dtype=np.uint8)
    set_bits(bits, np.flatnonzero(flags).repeat(2))  # repeats and shared bytes
    assert (bits == np.packbits(flags, bitorder="little")).all()
    idx = rng.integers(0, len(flags), 5000).astype(np.int32)
    assert (bits_at(bits, idx) == flags[idx]).all()
    for lo, hi in ((0, 1003), (0, 0), (5, 6), (7, 9), (8, 16), (3, 1001), (1000, 1003)):
        assert (bits_in(bits, lo, hi) == flags[lo:hi]).all(), (lo, hi)
    pop, s = _population(mau=4000)
    pu = PolicyUsers(pop, s)
    for day in range(1, 40):
        who = rng.integers(0, pop.joined(day), 300)
        pu.add_frustration(who, np.where(rng.random(300) < 0.3, rng.random(300), 0.0), float(day))
        ids = pop.billed_on(day)
        pu.bill(day, rng.random(len(ids)) * 0.3, ids)
        every = np.arange(pop.size)
        assert (pu.is_live(every) == pu.live).all()
        assert (bits_at(pu.frustrated_bits, every) == (pu.frustration != 0)).all()


def test_model_draw_with_shared_logit_terms_equals_the_two_logit_form():
    from scipy.special import expit, ndtr

    from simroute.scenario import load_scenario
    from simroute.scenario.measurable import quality_curve
    from simroute.world.drift import DriftSchedule
    from simroute.world.outcomes import ModelBank, to_nano
    from simroute.world.traffic import SurfaceGeometry, TrafficModel

    s = load_scenario("scenarios/case1_saas_support.yaml")
    params = DriftSchedule(s).at(120.5)
    q = TrafficModel(s, SurfaceGeometry(s, np.random.default_rng(1))).draw(np.random.default_rng(2), 5000, params)
    mb = ModelBank(s)
    got = mb.draw(np.random.default_rng(3), q, params)
    rng, (m, n) = np.random.default_rng(3), (len(mb), len(q))

    def logit(hp: np.ndarray) -> np.ndarray:
        return (mb.skill + params.skill_delta[:, None] - q.difficulty[None, :]
                - hp * q.hidden[None, :] - mb.reg_penalty * q.regulatory[None, :])

    z = rng.standard_normal((m + 1, n))
    u_correct = ndtr(mb.rho * z[0][None, :] + np.sqrt(1.0 - mb.rho ** 2) * z[1:])
    correct = u_correct < quality_curve(logit(mb.hidden_penalty), mb.floor, mb.ceiling)
    share = np.where(q.hidden[None, :], mb.conf_share_hidden, mb.conf_share)
    confident = ~correct & (rng.random(n)[None, :] < share)
    aware = np.where(q.hidden[None, :], mb.error_awareness * mb.awareness, mb.error_awareness)
    conf_logit = (mb.slope * logit(mb.hidden_penalty * mb.awareness) + mb.bias + mb.noise * rng.standard_normal((m, n))
                  - aware * ~correct - mb.hedge_drop * (~correct & ~confident))
    latency = (mb.lat_median * np.exp(mb.lat_sigma * rng.standard_normal((m, n)))).astype(np.float32)
    usd = (q.tokens_in[None, :] * mb.price_in + q.tokens_out[None, :] * mb.out_mult * mb.price_out) / 1000.0
    want = Outcomes(correct, confident, expit(conf_logit).astype(np.float32), latency, to_nano(usd))
    for f in ("correct", "confident", "confidence", "latency_s", "cost_nano"):
        assert getattr(got, f).dtype == getattr(want, f).dtype and np.array_equal(getattr(got, f), getattr(want, f)), f
    assert np.array_equal(mb.p_correct(q, params.skill_delta), quality_curve(logit(mb.hidden_penalty), mb.floor,
                                                                            mb.ceiling))


def test_billing_with_the_shared_unfrustrated_draw_churns_the_same_users():
    from test_world import _population

    pop, s = _population(mau=4000)
    a, b = PolicyUsers(pop, s), PolicyUsers(pop, s)
    rng = np.random.default_rng(23)
    for day in range(1, 45):
        who = rng.integers(0, pop.joined(day), 300)
        w = np.where(rng.random(300) < 0.3, rng.random(300), 0.0)
        a.add_frustration(who, w, float(day))
        b.add_frustration(who, w, float(day))
        ids = pop.billed_on(day)
        u = rng.random(len(ids)) * 0.3
        shared = PolicyUsers(pop, s).unfrustrated_churn(day, u)  # another world's: the same for every world
        assert np.array_equal(a.bill(day, u, ids), b.bill(day, u, ids, shared))
        assert np.array_equal(a.live, b.live) and np.array_equal(a.live_bits, b.live_bits)


def test_query_draw_in_place_equals_the_written_expressions():
    from simroute.scenario import load_scenario
    from simroute.world.drift import DriftSchedule
    from simroute.world.traffic import SurfaceGeometry, TrafficModel

    for path, t in (("scenarios/case1_saas_support.yaml", 120.5), ("scenarios/case3_fintech.yaml", 3.5)):
        s = load_scenario(path)
        params, geo = DriftSchedule(s).at(t), SurfaceGeometry(s, np.random.default_rng(1))
        tm = TrafficModel(s, geo)
        for alpha in (tm.alpha, 1.0, 2.0, 0.5):
            tm.alpha = alpha
            got, rng, n = tm.draw(np.random.default_rng(2), 5000, params), np.random.default_rng(2), 5000
            ti = np.array([[i.tokens_in.median, i.tokens_in.sigma] for i in s.traffic.intents])
            to = np.array([[i.tokens_out.median, i.tokens_out.sigma] for i in s.traffic.intents])
            cdf = np.cumsum(params.intent_shares)
            cdf[-1] = 1.0
            intent = np.searchsorted(cdf, rng.random(n), side="right").astype(np.int16)
            tail = tm.scale * params.difficulty_scale * (rng.random(n) ** (-1.0 / alpha) - 1.0)
            hidden = rng.random(n) < params.hidden_rates[intent]
            regulatory = rng.random(n) < tm.reg_share[intent]
            z = rng.standard_normal((2, n))
            x = rng.standard_normal((n, geo.dimensions))
            x += geo.centroids[intent]
            x[:, 0] -= geo.difficulty_visibility * tail
            x[hidden] += geo.hidden_shift
            want = {"intent": intent, "tail": tail, "difficulty": tm.base_difficulty[intent] + tail,
                    "hidden": hidden, "regulatory": regulatory,
                    "tokens_in": ti[intent, 0] * np.exp(ti[intent, 1] * z[0]),
                    "tokens_out": to[intent, 0] * np.exp(to[intent, 1] * z[1]), "surface": x.astype(np.float32)}
            for name, value in want.items():
                assert getattr(got, name).dtype == value.dtype and np.array_equal(getattr(got, name), value), (
                    path, alpha, name)
