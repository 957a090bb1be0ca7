"""The catalogue of headline figures: each figure once, with its name (the key in summaries, replicates and
baselines), labels, unit, direction and where it is read from a policy or monitor summary.

Figures that exist once per cost center, per tier (model) or per curve come from a `Family` expanded for the
scenario at hand: the cost centers from the ledger (`ledger.CostCenter`, `ledger.INVISIBLE`), the tiers from the
scenario's models. Terminal tables, report tables, the spreadsheet's Summary, replicate intervals and the
regression gate all read this module, so a new cost center in the ledger reaches all of them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from .ledger import INVISIBLE, CostCenter
from .units import Unit, show


class Direction(int, Enum):
    """Which way a figure gets better: the regression gate flags a move the wrong way beyond noise."""

    higher = 1
    lower = -1
    neither = 0


class Subject(str, Enum):
    """What a figure describes: a policy's summary, a monitor's detection record, a policy's threshold curve."""

    policy = "policy"
    monitor = "monitor"
    curve = "curve"


class _Missing:
    """A figure that does not exist for this subject (a tier the policy never served), unlike an undefined one."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _step(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key, MISSING)
    return getattr(obj, key, MISSING)


@dataclass(frozen=True)
class Figure:
    """One headline figure. `path` reads it from a summary (a dataclass or its JSON dict): attribute or key,
    then keys; None when the figure is computed elsewhere (the curve metrics). `key` is the cost center or
    tier a family member belongs to."""

    name: str
    label: str
    short: str
    unit: Unit
    direction: Direction
    path: tuple[str, ...] | None
    subject: Subject = Subject.policy
    key: str | None = None
    absent: Any = MISSING  # the value when the summary has no entry (a tier never served has a share of 0)

    def read(self, summary: Any) -> Any:
        """The raw value (None when undefined, `absent` when the summary has no such figure)."""
        if self.path is None:
            return self.absent
        value = summary
        for k in self.path:
            value = _step(value, k)
            if value is MISSING:
                return self.absent
        return value

    def show(self, value: Any, digits: int | None = None) -> str:
        return show(self.unit, None if value is MISSING else value, digits)


@dataclass(frozen=True)
class Family:
    """Figures that exist once per key (cost center, tier): `{}` in the name, labels and path is the key;
    `{title}` in the label is the key's reader-facing title."""

    template: str
    label: str
    short: str
    unit: Unit
    direction: Direction
    path: tuple[str, ...]
    absent: Any = MISSING

    def expand(self, key: str, title: str | None = None) -> Figure:
        return Figure(self.template.format(key), self.label.format(key, title=title or _title(key)),
                      self.short.format(key), self.unit, self.direction, tuple(p.format(key) for p in self.path),
                      key=key, absent=self.absent)

    def matches(self, name: str) -> bool:
        head, tail = self.template.split("{}")
        return len(name) > len(head) + len(tail) and name.startswith(head) and name.endswith(tail)


def _title(key: str) -> str:
    return key.replace("_", " ").capitalize()


U, H, L, N = Unit, Direction.higher, Direction.lower, Direction.neither
F = Figure

BILL = F("bill_pct_of_baseline", "AI-platform bill, % of baseline", "bill %", U.pct, L, ("bill_pct_of_baseline",))
AI_PLATFORM = F("ai_platform_usd_per_month", "AI-platform cost per month", "AI/mo", U.usd, L,
                ("ai_platform_usd_per_month",))
SAVINGS = F("savings_usd_per_month", "Inference saved per month", "saved/mo", U.usd, H, ("savings_usd_per_month",))
LOSS = Family("loss_{}_usd_per_month", "{title} loss per month", "{}/mo", U.usd, L,
              ("invisible_loss_usd_per_month", "{}"))
INVISIBLE_LOSS = F("invisible_loss_usd_per_month", "Invisible loss per month", "loss/mo", U.usd, L,
                   ("invisible_loss_usd_per_month", "total"))
NET = F("net_value_usd_per_month", "Net value per month", "net/mo", U.usd, H, ("net_value_usd_per_month",))
TRAP = F("trap_ratio", "Trap ratio", "trap", U.ratio, L, ("trap_ratio",))
QUALITY = F("quality", "Quality (share correct)", "quality", U.share, H, ("quality", "overall"))
TIER_QUALITY = Family("quality_{}", "Quality of {} (share correct)", "q:{}", U.share, H, ("quality", "{}"))
ESCALATION = F("escalation_share", "Escalation share", "escalated", U.share, N, ("escalation_share",))
CONTACTS = F("contacts_per_1k", "Support contacts per 1,000 queries", "contacts/1k", U.per_1k, L,
             ("contacts_per_1k",))
CHURNED = F("churned_users", "Churned users", "churned", U.integer, L, ("churned_users",))
NET_HORIZON = F("net_value_usd_over_horizon", "Net value over the horizon", "net/horizon", U.usd, H,
                ("net_value_usd_over_horizon",))
# shown in tables, not carried by replicates or baselines
TIER_SHARE = Family("tier_share_{}", "Share of queries answered by {}", "%{}", U.share, N, ("tier_share", "{}"),
                    absent=0.0)
LATENCY_P50 = F("latency_p50_s", "Latency, median (s)", "p50 s", U.seconds, L, ("latency_p50_s",))
LATENCY_P95 = F("latency_p95_s", "Latency, 95th percentile (s)", "p95 s", U.seconds, L, ("latency_p95_s",))

DETECTION_DAY = F("detection_day", "First alarm day", "first alarm", U.day, L, ("first_alarm_day",), Subject.monitor)
FALSE_ALARMS = F("false_alarms", "False alarms", "false alarms", U.integer, L, ("false_alarms",), Subject.monitor)
ONSET_DAY = F("onset_day", "True onset day", "onset", U.day, N, ("onset_day",), Subject.monitor)
DELAY = F("delay_days", "Detection delay (days)", "delay", U.day, L, ("delay_days",), Subject.monitor)

APGR = F("apgr", "Average performance gap recovered (APGR)", "APGR", U.ratio, H, None, Subject.curve)
CPT50 = F("cpt50", "Capable-model calls to recover 50% of the gap (CPT 50%)", "CPT(50%)", U.share, L, None,
          Subject.curve)
CPT80 = F("cpt80", "Capable-model calls to recover 80% of the gap (CPT 80%)", "CPT(80%)", U.share, L, None,
          Subject.curve)
AIQ = F("aiq", "Average quality over the shared cost range (AIQ)", "AIQ", U.ratio, H, None, Subject.curve)

FAMILIES = (LOSS, TIER_QUALITY, TIER_SHARE)
MONITOR_FIGURES = (DETECTION_DAY, FALSE_ALARMS, ONSET_DAY, DELAY)
CURVE_FIGURES = (APGR, CPT50, CPT80, AIQ)
DISPLAY_ONLY = (LATENCY_P50, LATENCY_P95)
_FIXED = {f.name: f for f in (BILL, AI_PLATFORM, SAVINGS, INVISIBLE_LOSS, NET, TRAP, QUALITY, ESCALATION, CONTACTS,
                              CHURNED, NET_HORIZON, *DISPLAY_ONLY, *MONITOR_FIGURES, *CURVE_FIGURES)}


# ---- cost centers ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CenterStyle:
    """How a cost center is named and drawn: `title` in labels, `covers` in the definitions, `legend` in plots."""

    title: str
    covers: str
    legend: str
    color: str


CENTER_STYLES = {
    CostCenter.ai_platform.value: CenterStyle("AI platform", "inference, classifier, verifier, shadow scoring",
                                              "AI platform (inference)", "#2ca02c"),
    CostCenter.support.value: CenterStyle("Support", "human contacts", "Support (human contacts)", "#ff7f0e"),
    CostCenter.retention.value: CenterStyle("Retention", "revenue of churned users", "Retention (churned revenue)",
                                            "#d62728"),
    CostCenter.compliance.value: CenterStyle("Compliance", "audit, remediation, expected violations", "Compliance",
                                             "#9467bd"),
}
SPARE_COLORS = ("#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f")


def center_style(cc: str | CostCenter) -> CenterStyle:
    """A cost center's title, definition, plot legend and colour; one derived from its name when it has none
    here (a new cost center in the ledger is drawn and labelled without an edit in this module)."""
    key = cc.value if isinstance(cc, CostCenter) else cc
    if key in CENTER_STYLES:
        return CENTER_STYLES[key]
    order = [c.value for c in CostCenter if c.value not in CENTER_STYLES]
    spare = SPARE_COLORS[(order.index(key) if key in order else 0) % len(SPARE_COLORS)]
    return CenterStyle(_title(key), "", _title(key), spare)


def centers() -> tuple[str, ...]:
    """Every cost center, in ledger order."""
    return tuple(cc.value for cc in CostCenter)


def invisible_centers() -> tuple[str, ...]:
    """The cost centers downstream of the router, whose extra cost is the invisible loss."""
    return tuple(cc.value for cc in INVISIBLE)


# ---- the catalogue, expanded for a scenario ----------------------------------------------------------------------

def losses() -> list[Figure]:
    """Invisible loss per month of each downstream cost center."""
    return [LOSS.expand(cc, center_style(cc).title) for cc in invisible_centers()]


def tier_qualities(tiers: Iterable[str]) -> list[Figure]:
    return [TIER_QUALITY.expand(t) for t in tiers]


def tier_shares(tiers: Iterable[str]) -> list[Figure]:
    return [TIER_SHARE.expand(t) for t in tiers]


def policy_figures(tiers: Sequence[str]) -> list[Figure]:
    """The per-policy headline figures that replicates and baselines carry, in their order, for a scenario whose
    models (tiers) are `tiers`."""
    return [BILL, AI_PLATFORM, SAVINGS, *losses(), INVISIBLE_LOSS, NET, TRAP, QUALITY, *tier_qualities(tiers),
            ESCALATION, CONTACTS, CHURNED, NET_HORIZON]


def economics_figures() -> list[Figure]:
    """The money of a policy per month: savings, the loss in each downstream cost center, net value, trap ratio."""
    return [SAVINGS, *losses(), NET, TRAP]


def catalogue(scenario: Any) -> list[Figure]:
    """Every figure a run of `scenario` can produce: policy headline and table figures, monitors', curves'."""
    tiers = [m.name for m in scenario.models]
    return [*policy_figures(tiers), *tier_shares(tiers), *DISPLAY_ONLY, *MONITOR_FIGURES, *CURVE_FIGURES]


def figure(name: str) -> Figure | None:
    """The figure called `name` (a family member expanded from its name), None when the catalogue lacks it."""
    if name in _FIXED:
        return _FIXED[name]
    for fam in FAMILIES:
        if fam.matches(name):
            head, tail = fam.template.split("{}")
            key = name[len(head):len(name) - len(tail)]
            return fam.expand(key, center_style(key).title if fam is LOSS else None)
    return None


def direction(name: str) -> int:
    """+1 when higher is better, -1 when lower is better, 0 when a change is neither good nor bad (escalation
    share) or the figure is not in the catalogue."""
    f = figure(name)
    return 0 if f is None else int(f.direction)


def relabel(f: Figure, short: str) -> Figure:
    """The same figure under another column header (a table whose title already says what the column is)."""
    return replace(f, short=short)


# ---- the headline ------------------------------------------------------------------------------------------------

REFERENCE_KINDS = ("oracle", "random")  # yardsticks a team would not deploy: never the subject of a headline


def headline_candidates(policies: Mapping[str, Any], baseline: str) -> list[str]:
    """The policies a headline may speak of: not the baseline, not a reference yardstick (unless only those ran)."""
    others = [n for n in policies if n != baseline]
    real = [n for n in others if _step(policies[n], "kind") not in REFERENCE_KINDS]
    return real or others


def headline_policy(policies: Mapping[str, Any], baseline: str) -> str | None:
    """The policy a headline leads with: the worst trap ratio, else the largest downstream loss (None: only the
    baseline was run)."""
    others = headline_candidates(policies, baseline)

    def badness(n: str) -> tuple[float, float]:
        t = TRAP.read(policies[n])
        return (t if isinstance(t, (int, float)) and t == t else -1.0, INVISIBLE_LOSS.read(policies[n]) or 0.0)

    return max(others, key=badness) if others else None
