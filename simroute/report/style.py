"""Consistent colours: one per policy (in simulation order), one per cost center, one per tier."""
from __future__ import annotations

POLICY_PALETTE = ("#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                  "#bcbd22", "#7f7f7f")
BASELINE_COLOR = "#222222"
COST_CENTER_COLORS = {"ai_platform": "#2ca02c", "support": "#ff7f0e", "retention": "#d62728",
                      "compliance": "#9467bd"}
COST_CENTER_LABELS = {"ai_platform": "AI platform (inference)", "support": "Support (human contacts)",
                      "retention": "Retention (churned revenue)", "compliance": "Compliance"}
TIER_PALETTE = ("#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f")
POOLED_COLOR = "#222222"


def policy_colors(order: list[str], baseline: str) -> dict[str, str]:
    """Baseline in near-black; every other policy a palette colour by its position in `order`."""
    others = [p for p in order if p != baseline]
    colors = {p: POLICY_PALETTE[i % len(POLICY_PALETTE)] for i, p in enumerate(others)}
    colors[baseline] = BASELINE_COLOR
    return colors


def tier_colors(tiers: list[str]) -> dict[str, str]:
    return {t: TIER_PALETTE[i % len(TIER_PALETTE)] for i, t in enumerate(tiers)}
