"""Consistent colours: one per policy (in simulation order), one per cost center (kept with its labels in
figures.CENTER_STYLES), one per tier."""
from __future__ import annotations

from ..figures import center_style

POLICY_PALETTE = ("#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                  "#bcbd22", "#7f7f7f")
BASELINE_COLOR = "#222222"
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


def cost_center_color(cc: str) -> str:
    """The cost center's colour (figures.CENTER_STYLES, or a spare colour for one defined only in the ledger)."""
    return center_style(cc).color


def cost_center_label(cc: str) -> str:
    """The cost center's legend in plots, e.g. "Support (human contacts)"; its title when it has no entry."""
    return center_style(cc).legend
