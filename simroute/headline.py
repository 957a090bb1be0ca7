"""The run's headline in one sentence a finance lead reads in ten seconds: what the worst trap saves on inference
and costs downstream (its trap ratio), and what the best policy nets. Built from the figure catalogue and the
unit formatters only, so it reads a RunResult and a summary.json document alike."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import figures as F
from .scenario.policies import TWIN_MARK, PolicyKind
from .units import MINUS, usd_in, usd_scale

REFERENCES = frozenset({PolicyKind.oracle.value, PolicyKind.random.value})  # bounds to compare with, not options

NEGLIGIBLE_SHARE = 0.005  # a downstream loss below 0.5% of the inference saved "costs nothing"
NAMED_SHARE = 0.05  # cost centers carrying at least 5% of the loss are named in the sentence

TRAP_MEANING = "trap = invisible loss ÷ inference saved: above 1, a policy loses more downstream than it saves"


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _num(x: Any) -> float:
    return float(x) if isinstance(x, (int, float)) and x is not None and math.isfinite(x) else math.nan


def _money(x: float, scale: str) -> str:
    return usd_in(abs(x), scale).removeprefix(MINUS)


def _where(policy: Any, total: float) -> str:
    """The downstream cost centers that carry the loss, by title ("support and retention")."""
    named = [F.center_style(cc).title.lower() for cc in F.invisible_centers()
             if abs(_num(F.LOSS.expand(cc).read(policy))) >= NAMED_SHARE * abs(total)]
    return " and ".join(named) if named else "downstream"


def _clause(name: str, policy: Any, with_ratio: bool, scale: str) -> str:
    """"pre_route saves $102.3k/month on inference and costs $501.0k/month in support and retention"."""
    saved, loss = _num(F.SAVINGS.read(policy)), _num(F.INVISIBLE_LOSS.read(policy))
    head = (f"{name} saves {_money(saved, scale)}/month on inference" if saved >= 0 else
            f"{name} spends {_money(saved, scale)}/month more on inference")
    if math.isnan(loss) or abs(loss) <= max(1.0, NEGLIGIBLE_SHARE * abs(saved)):
        return f"{head} and costs nothing downstream"
    if loss < 0:
        return f"{head} and saves {_money(loss, scale)}/month in {_where(policy, loss)} too"
    trap = _num(F.TRAP.read(policy))
    ratio = f": a trap ratio of {trap:.1f}×" if with_ratio and trap > 1 else ""
    return f"{head} and costs {_money(loss, scale)}/month in {_where(policy, loss)}{ratio}"


def headline_sentence(summary: Any) -> str:
    """The headline of a run (a RunResult or a summary.json document): `sentence_for` its policies and baseline."""
    policies = _get(summary, "policies") or {}
    baseline = _get(summary, "baseline") or _get(summary, "baseline_policy")  # RunResult, summary.json
    return sentence_for(policies, baseline)


def sentence_for(policies: Mapping[str, Any], baseline: str) -> str:
    """The one headline sentence of the terminal, report and workbook: of the policies one could deploy (not the
    baseline, the oracle and random yardsticks or a rollback's twin), the one the figure catalogue leads with
    (`figures.headline_policy`: the worst trap ratio, else the largest downstream loss) with its trap ratio, then
    the one with the best net value, if another."""
    rivals = {n: p for n, p in policies.items() if TWIN_MARK not in n}
    lead = F.headline_policy(rivals, baseline)
    if lead is None:
        return f"No routing policy to compare with the baseline ({baseline})."
    rest = [n for n in F.headline_candidates(rivals, baseline) if n != lead]
    best = max(rest, key=lambda n: _num(F.NET.read(rivals[n])) if not math.isnan(_num(F.NET.read(rivals[n])))
               else -math.inf, default=None)
    shown = [lead, *([best] if best is not None and _num(F.NET.read(rivals[best])) > _num(F.NET.read(rivals[lead]))
                     else [])]
    scale = usd_scale(_num(f.read(rivals[n])) for n in shown for f in (F.SAVINGS, F.INVISIBLE_LOSS))
    text = "; ".join(_clause(n, rivals[n], with_ratio=n == lead, scale=scale) for n in shown)
    return f"{text} (against {baseline})."
