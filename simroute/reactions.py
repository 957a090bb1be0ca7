"""What users do with an answer: thumbs, human contacts, frustration, compliance events and audit catch."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .policies.base import pick_all
from .scenario.schema import Scenario
from .world.outcomes import Outcomes

CORRECT, WRONG_HEDGED, WRONG_CONFIDENT = 0, 1, 2
OUTCOME_NAMES = ("correct", "wrong_hedged", "wrong_confident")
REACTION_DRAWS = 4  # thumbs, contact, repeat contact, audit


@dataclass
class Reacted:
    """Per-query consequences of the answers a user got."""

    outcome: np.ndarray       # int8: CORRECT / WRONG_HEDGED / WRONG_CONFIDENT
    thumbs_down: np.ndarray   # bool
    contacts: np.ndarray      # int8: 0, 1 or 2 human contacts
    compliance: np.ndarray    # bool: compliance event
    caught: np.ndarray        # bool: caught by the audit
    frustration: np.ndarray   # float: frustration added to the user


class ReactionModel:
    """Vectorised user reactions, driven by the shared reaction uniforms (common random numbers)."""

    def __init__(self, scenario: Scenario):
        r = scenario.reactions
        rs = (r.correct, r.wrong_hedged, r.wrong_confident)
        self.thumb = np.array([x.thumbs_down_probability for x in rs])
        self.contact = np.array([x.contact_probability for x in rs])
        self.repeat = np.array([x.repeat_contact_probability for x in rs])
        self.frustration = np.array([x.frustration for x in rs])
        self.csat = np.array([x.csat for x in rs])
        self.skew = r.thumbs_down_frustration_skew
        self.daily_sd = r.thumbs_down_daily_sd
        self.compliance_frustration = r.compliance_frustration
        c = scenario.economics.compliance
        self.catch = c.audit_catch_rate
        self.hedged_counts = c.hedged_counts
        self.tabulate()

    def tabulate(self) -> None:
        """The constant per-outcome tables `react` looks up: whether an outcome is a compliance event if regulatory,
        and the frustration added per (compliance, outcome). Built from the model's parameters: call it again after
        changing any of them."""
        self.counts = np.array([False, self.hedged_counts, True])
        with_compliance = np.repeat(np.array([False, True]), 3)
        self.frustration_of = self.frustration[[0, 1, 2, 0, 1, 2]] + self.compliance_frustration * with_compliance

    def day_factor(self, rng: np.random.Generator) -> float:
        """Today's common multiplier on thumbs-down probabilities (mean 1)."""
        sd = self.daily_sd
        return float(np.exp(sd * rng.standard_normal() - sd * sd / 2)) if sd else 1.0

    def react(self, final: np.ndarray, o: Outcomes, regulatory: np.ndarray, user_frustration: np.ndarray,
              u: np.ndarray, day_factor: float = 1.0) -> Reacted:
        """Reactions to the answers of models `final`; `u` holds REACTION_DRAWS uniforms per query.

        Per-outcome quantities are looked up from small tables (the same values the per-query expressions
        gave), so each query costs one `np.take` per quantity instead of a fancy index and its temporaries."""
        correct, confident = pick_all(final, o.correct, o.confident)
        outcome = confident.view(np.int8) + np.int8(WRONG_HEDGED)  # WRONG_CONFIDENT where confident
        np.copyto(outcome, np.int8(CORRECT), where=correct)
        at = outcome.astype(np.intp)  # np.take converts int8 positions on every call: once here instead
        p = self.skew * user_frustration
        p += 1.0
        p *= np.take(day_factor * self.thumb, at)  # (day_factor * thumb)[o] == day_factor * thumb[o]
        thumbs = u[0] < np.minimum(p, 1.0, out=p)
        contact = u[1] < np.take(self.contact, at)
        repeat = contact & (u[2] < np.take(self.repeat, at))
        compliance = regulatory & np.take(self.counts, at)
        caught = compliance & (u[3] < self.catch)
        at += 3 * compliance  # the (compliance, outcome) row of frustration_of
        frustration = np.take(self.frustration_of, at)
        contacts = contact.view(np.int8) + repeat
        return Reacted(outcome, thumbs, contacts, compliance, caught, frustration)
