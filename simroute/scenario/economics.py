"""Scenario nodes for user reactions and the cost centers that price them."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Frozen, FrustrationUnits, Probability, bounds, usd


class Reaction(Frozen):
    """What a user does after one kind of answer."""

    contact_probability: Probability = Field(
        description="Chance the user disengages and contacts human support (fraction).")
    repeat_contact_probability: Probability = Field(
        0.0, description="Chance a support contact needs a second contact (fraction).")
    thumbs_down_probability: Probability = Field(
        description="Chance of a thumbs-down for a user with no frustration (fraction).")
    csat: Annotated[float, *bounds(1.0, 5.0)] = Field(description="Satisfaction with the interaction (1-5 scale).")
    frustration: FrustrationUnits = Field(description="Frustration added to the user's score (units).")


class Reactions(Frozen):
    """Reactions per answer outcome; thumbs-down skewed to already-frustrated users."""

    correct: Reaction
    wrong_hedged: Reaction
    wrong_confident: Reaction
    thumbs_down_frustration_skew: Annotated[float, *bounds(0.0, 100.0)] = Field(
        2.0, description="Relative rise of thumbs-down probability per unit of user frustration (per unit).")
    thumbs_down_daily_sd: Annotated[float, *bounds(0.0, 3.0)] = Field(
        0.0, description="Log-sd of a day-to-day factor on every thumbs-down probability, shared by all users "
                         "(frustration with something else entirely: incidents, billing runs) (log units).")
    compliance_frustration: FrustrationUnits = Field(
        0.0, description="Extra frustration from a compliance-relevant error (units).")


class Support(Frozen):
    """Support operations: human-handled contacts."""

    usd_per_contact: Annotated[float, *usd(1e5, "a human contact costs tens of dollars; $100k allows any "
                                           "specialist escalation")] = Field(
        description="Fully loaded cost of one human-handled contact (USD).")


class Compliance(Frozen):
    """Compliance: events are confident wrong answers on regulatory-weight queries."""

    audit_catch_rate: Probability = Field(
        0.0, description="Share of compliance events the manual audit catches before they become violations "
                         "(fraction).")
    usd_per_caught_event: Annotated[float, *usd(1e8, "remediating one caught event")] = Field(
        0.0, description="Remediation cost of a caught event (USD).")
    violation_probability_if_missed: Probability = Field(
        0.0, description="Chance a missed event becomes a regulatory violation (fraction).")
    usd_per_violation: Annotated[float, *usd(1e11, "above the largest regulatory fines on record (~$5e9)")] = Field(
        0.0, description="Expected cost of one violation (USD).")
    audit_usd_per_month: Annotated[float, *usd(1e9, "a compliance programme's monthly budget")] = Field(
        0.0, description="Fixed cost of the audit programme (USD/month).")
    hedged_counts: bool = Field(
        False, description="Whether a hedged wrong answer on a regulatory query also counts as an event.")


class Economics(Frozen):
    """Prices of the non-inference cost centers."""

    support: Support
    compliance: Compliance = Compliance()
