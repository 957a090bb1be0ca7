"""CI regression of policy economics: a baseline file (the headline figures at the scenario's seed, with
their replicate spread) and a check that reruns the scenario and flags figures that got worse by more than
Monte Carlo noise explains."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import polars as pl
from scipy.stats import t as student_t

from .curves import curve_metrics_table
from .errors import SimrouteError
from .figures import direction
from .needs import HEADLINE
from .replicates import run_replicates
from .results import scenario_hash
from .runner import run_resolved
from .scenario.diff import changes, summary_line
from .scenario.loader import dump_resolved
from .uncertainty import headline, interval
from .units import compact as _show
from .version import __version__

BASELINE_SCHEMA_VERSION = 1
FAMILY_ALPHA = 0.05


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def baseline_document(scenario, seed_rows: pl.DataFrame, reps) -> dict:
    """The baseline file: each figure's value at the scenario's seed, and its mean, sd and n over the seed
    run and the replicates together (all independent draws of the same figure; pooling the seed run keeps a
    discrete figure that happens to repeat across a few replicates from getting a zero spread)."""

    draws = {(s, m): v for s, m, v in reps.table.group_by(["subject", "metric"]).agg(pl.col("value"))
             .select("subject", "metric", "value").iter_rows()}
    figures: dict[str, dict[str, dict]] = {}
    for subject, kind, metric, value in seed_rows.iter_rows():
        iv = interval([value, *draws.get((subject, metric), [])])
        figures.setdefault(subject, {})[metric] = {
            "kind": kind, "value": _finite(value), "mean": _finite(iv.mean), "sd": _finite(iv.sd), "n": iv.n,
            "draws": iv.replicates}
    return {"schema_version": BASELINE_SCHEMA_VERSION, "simroute_version": __version__,
            "scenario": scenario.name, "scenario_sha256": scenario_hash(dump_resolved(scenario)),
            "seed": scenario.seed, "replicates": reps.n, "figures": figures,
            "scenario_resolved": scenario.model_dump(mode="json")}  # so a check can say what differs


def load_baseline(path: Path) -> dict:
    """Read a baseline file; a missing, damaged or foreign file is a one-line error."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise SimrouteError(f"{path}: cannot read the baseline ({e.strerror or e}); write one with "
                            "simroute baseline SCENARIO -o FILE") from None
    except json.JSONDecodeError as e:
        raise SimrouteError(f"{path}: not a JSON baseline file ({e.msg} at line {e.lineno})") from None
    if not isinstance(doc, dict) or doc.get("schema_version") != BASELINE_SCHEMA_VERSION \
            or not isinstance(doc.get("figures"), dict):
        raise SimrouteError(f"{path}: not a simroute baseline (schema {BASELINE_SCHEMA_VERSION} with figures "
                            "expected); rewrite it with simroute baseline")
    return doc


@dataclass(frozen=True)
class Comparison:
    """One figure of the check: baseline and new value, the allowed noise and the verdict."""

    subject: str
    metric: str
    baseline: float | None
    new: float | None
    tolerance: float
    status: str  # ok, regressed, improved, changed, new, missing

    @property
    def delta(self) -> float | None:
        return None if self.baseline is None or self.new is None else self.new - self.baseline


def _tolerance(fig: dict, k: int, new_n: int, alpha: float, single_reference: bool) -> float:
    """One-sided Bonferroni bound (family-wise `alpha` over `k` directional figures) on the difference between
    a new estimate (mean of `new_n` runs) and the reference: t·sd·√(1/new_n + 1/n) against the baseline mean
    of n draws, t·sd·√(1/new_n + 1) against the single run at the seed."""
    sd, n = fig.get("sd"), fig.get("n") or 0
    ref = fig.get("mean") if fig.get("mean") is not None else fig.get("value")
    floor = 1e-9 * max(1.0, abs(ref or 0.0))
    if sd is None or n < 2:
        return floor
    spread = math.sqrt(1.0 / new_n + (1.0 if single_reference else 1.0 / n))
    return max(floor, float(student_t.ppf(1 - alpha / max(k, 1), n - 1)) * sd * spread)


def compare(baseline: dict, new: dict[tuple[str, str], float], new_n: int, alpha: float = FAMILY_ALPHA,
            exact: bool = False) -> list[Comparison]:
    """Every figure of the baseline against `new` ((subject, metric) -> value, a single run when new_n is 1,
    else a mean over new_n replicates). `exact`: the new run used the baseline's own seed(s); then the
    reference is the baseline's seed value (or mean), else the baseline mean."""
    figs = baseline["figures"]
    k = sum(1 for s in figs.values() for m in s if direction(m) != 0)
    out = []
    for subject, metrics in figs.items():
        for metric, fig in metrics.items():
            single = exact and new_n == 1
            ref = fig.get("value") if single else fig.get("mean", fig.get("value"))
            ref = fig.get("value") if ref is None else ref
            got = new.get((subject, metric))
            got = _finite(got) if got is not None else None
            tol = _tolerance(fig, k, new_n, alpha, single)
            if (subject, metric) not in new:
                status = "missing"
            elif ref is None or got is None:
                status = "ok" if ref is None and got is None else _undefined(metric, fig, got)
            else:
                d = direction(metric) * (got - ref)
                status = "ok" if abs(got - ref) <= tol else ("changed" if direction(metric) == 0 else
                                                              "improved" if d > 0 else "regressed")
            out.append(Comparison(subject, metric, ref, got, tol, status))
    known = {(s, m) for s, ms in figs.items() for m in ms}
    out += [Comparison(s, m, None, _finite(v), 0.0, "new") for (s, m), v in new.items() if (s, m) not in known]
    return out


def _undefined(metric: str, fig: dict, got: float | None) -> str:
    """A figure defined on one side only. A monitor that no longer alarms regresses when the baseline's draws
    almost always alarmed (>= 90%); one that now alarms improves when they almost never did (<= 10%).
    Anything else is a change worth reading, not a failure."""
    if metric == "detection_day":
        rate = (fig.get("n") or 0) / max(fig.get("draws") or 1, 1)
        if got is None and rate >= 0.9:
            return "regressed"
        if got is not None and rate <= 0.1:
            return "improved"
    return "changed"


def regressions(rows: list[Comparison]) -> list[Comparison]:
    return [r for r in rows if r.status in ("regressed", "missing")]


def scenario_note(baseline: dict, scenario, source: Path | str = "baseline") -> str:
    """Refuse a baseline of another scenario; say when the same scenario has changed since (a changed
    scenario is still compared: that is how a parameter change that worsens the economics is caught)."""
    if baseline.get("scenario") != scenario.name:
        raise SimrouteError(f"{source}: a baseline of scenario {baseline.get('scenario')!r}, not {scenario.name!r}")
    if baseline.get("scenario_sha256") == scenario_hash(dump_resolved(scenario)):
        return ""
    before = baseline.get("scenario_resolved")
    if not isinstance(before, dict):
        return ("The scenario differs from the one the baseline was written for (this baseline does not record "
                "its scenario; rewrite it with simroute baseline to see what differs).")
    found = changes(before, scenario.model_dump(mode="json"))
    return ("The scenario differs from the one the baseline was written for" +
            (f": {summary_line(found)}." if found else " (in formatting only)."))


def junit_xml(rows: list[Comparison], suite: str) -> str:
    """JUnit XML: one test case per figure, a failure element on each regression."""
    bad = regressions(rows)
    suite = f"simroute check {suite}"
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites><testsuite name={quoteattr(suite)} tests="{len(rows)}" failures="{len(bad)}" errors="0">']
    for r in rows:
        name = quoteattr(f"{r.subject}.{r.metric}")
        lines.append(f'  <testcase classname={quoteattr(suite)} name={name}>')
        if r in bad:
            msg = (f"{r.metric} of {r.subject}: {_show(r.baseline)} -> {_show(r.new)} (allowed noise ±"
                   f"{_show(r.tolerance)}): {r.status}")
            lines.append(f"    <failure message={quoteattr(msg)} type=\"regression\"/>")
        lines.append("  </testcase>")
    lines.append("</testsuite></testsuites>")
    return "\n".join(lines) + "\n"


def markdown(rows: list[Comparison], suite: str, note: str = "") -> str:
    """A Markdown summary for a pull request: the verdict, then every figure that moved beyond noise."""
    bad, moved = regressions(rows), [r for r in rows if r.status != "ok"]
    verdict = f"**{len(bad)} regression(s)**" if bad else "**no regression**"
    lines = [f"## simroute check of {suite}", "", f"{verdict} in {len(rows)} figures; {len(moved)} moved beyond "
             "Monte Carlo noise." + (f" {note}" if note else ""), ""]
    if moved:
        lines += ["| status | policy / monitor | figure | baseline | now | change | allowed noise |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {r.status} | {r.subject} | {r.metric} | {_show(r.baseline)} | {_show(r.new)} | "
                  f"{_show(r.delta)} | ±{_show(r.tolerance)} |" for r in moved]
    return "\n".join(lines) + "\n"


def seed_figures(result) -> pl.DataFrame:
    """The figures a baseline holds for one run: headline rows plus its threshold-curve metrics."""
    return pl.concat([headline(result), curve_metrics_table(result.curves)])


def make_baseline(scenario, replicates: int, executor=None, progress=None) -> dict:
    """Run the scenario at its seed and under `replicates` child seeds; the baseline document."""
    reps = run_replicates(scenario, replicates, executor, progress)
    if reps.failures:
        raise SimrouteError(f"baseline: {len(reps.failures)} of {replicates} replicates failed (first: "
                            f"{reps.failures[0].error}); not writing a baseline from a partial set")
    return baseline_document(scenario, seed_figures(run_resolved(scenario, needs=HEADLINE)), reps)


def check_result(result, baseline: dict, alpha: float = FAMILY_ALPHA) -> list[Comparison]:
    """Compare one run at the scenario's seed with the baseline."""
    rows = seed_figures(result)
    new = {(s, m): v for s, _, m, v in rows.iter_rows()}
    return compare(baseline, new, 1, alpha, exact=result.output.scenario.seed == baseline.get("seed"))


def check_scenario(scenario, baseline: dict, replicates: int = 1, executor=None, progress=None,
                   alpha: float = FAMILY_ALPHA, phases=None) -> list[Comparison]:
    """Rerun the scenario (once at its seed, or as the mean of `replicates` child seeds) and compare;
    `progress` hears of each finished replicate, `phases` of a single run's phases (the engine's callback)."""
    if replicates == 1:
        return check_result(run_resolved(scenario, progress=phases, needs=HEADLINE), baseline, alpha)
    reps = run_replicates(scenario, replicates, executor, progress)
    new = {(s, m): iv.mean for s, ms in reps.intervals.items() for m, iv in ms.items()}
    return compare(baseline, new, replicates - len(reps.failures), alpha)
