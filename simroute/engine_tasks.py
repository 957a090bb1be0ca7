"""One run as independent tasks: the policies of a scenario split into the smallest groups that do not steer
each other, each group simulated on its own (with its share of the calibration pass), and the groups' outputs
merged into the SimulationOutput the serial run gives.

Every task draws the same world: streams are keyed by name and day, every task walks every day, and what a
policy does never feeds back into the shared draws. The couplings: a policy that rolls back on an alarm reacts
to the monitor watching another policy, so the two share a group; monitors and surveys read each policy on its
own, and the calibration pass gives each monitor its thresholds from its own policy's in-control run, so
neither couples policies. A policy that would serve exactly as another (policies.same_service) joins its group
too: steering nothing, it costs a task nothing but its monitors where that policy is served.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace

import polars as pl

from .engine import Engine, SimulationOutput, calibrate
from .monitors.board import MonitorReport
from .monitors.plan import twins
from .policies import same_service
from .scenario.schema import Scenario

EventKey = tuple  # where a calendar event falls in the serial run's (time, priority, sequence) order


def policy_names(scenario: Scenario) -> list[str]:
    """Every simulated policy, twins included, in the serial run's order."""
    return [p.name for p in (*scenario.policies, *twins(scenario))]


def served_as(scenario: Scenario) -> dict[str, str]:
    """Each simulated policy that is served as an earlier one: name -> that one's (policies.same_service)."""
    return same_service((*scenario.policies, *twins(scenario)))


def groups(scenario: Scenario) -> list[tuple[str, ...]]:
    """The smallest sets of policies that can be simulated apart, in the order of their first policy."""
    names = policy_names(scenario)
    parent = {n: n for n in names}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n
    watched = {m.name: m.policy for m in scenario.monitors}
    for p in scenario.policies:
        if p.rollback_on is not None:
            parent[root(p.name)] = root(watched[p.rollback_on.monitor])
    for name, lead in served_as(scenario).items():
        parent[root(name)] = root(lead)
    found: dict[str, list[str]] = {}
    for n in names:
        found.setdefault(root(n), []).append(n)
    return [tuple(g) for g in found.values()]


def cost(scenario: Scenario, group: tuple[str, ...]) -> float:
    """A rough relative cost of a group's own work, for packing groups into tasks: a policy's pass over the days
    = 1, each monitor adds a tenth, a calibration pass repeats it (fitted to case 1's measured tasks,
    benchmarks/cluster.py); the world's draws are a fixed cost of every task and pass (`pack`)."""
    total, same = 0.0, served_as(scenario)
    for name in group:
        mons = [m for m in scenario.monitors if m.policy == name]
        own = 0.0 if same.get(name) in group else 1.0  # served as a policy of its group: only its monitors
        total += (own + 0.1 * len(mons)) * (2.0 if any(m.alarm.threshold is None for m in mons) else 1.0)
    return total


def _load(scenario: Scenario, task: list[tuple[str, ...]], draw_cost: float) -> float:
    """A task's estimated cost: its groups' own work plus the world's draws once per pass it runs."""
    if not task:
        return 0.0
    names = {n for g in task for n in g}
    calibrates = any(m.alarm.threshold is None and m.policy in names for m in scenario.monitors)
    return sum(cost(scenario, g) for g in task) + draw_cost * (2.0 if calibrates else 1.0)


def pack(scenario: Scenario, slots: int, draw_cost: float = 1.2) -> list[tuple[str, ...]]:
    """Groups packed into at most `slots` tasks (each task pays the world's draws once per pass, so fewer tasks
    than groups waste less): longest first onto the task it costs least, then single moves while they shorten
    the longest task."""
    gs = sorted(groups(scenario), key=lambda g: -cost(scenario, g))
    tasks: list[list[tuple[str, ...]]] = [[] for _ in range(max(1, min(slots, len(gs))))]

    def longest(ts: list[list[tuple[str, ...]]]) -> float:
        return max(_load(scenario, t, draw_cost) for t in ts)
    for g in gs:
        i = min(range(len(tasks)), key=lambda i: (_load(scenario, [*tasks[i], g], draw_cost), i))
        tasks[i].append(g)
    improved = True
    while improved:
        improved = False
        for i, j in ((i, j) for i in range(len(tasks)) for j in range(len(tasks)) if i != j):
            for g in list(tasks[i]):
                moved = [[x for x in t if x != g] if k == i else [*t, g] if k == j else t for k, t in enumerate(tasks)]
                if all(moved) and longest(moved) < longest(tasks) - 1e-9:
                    tasks, improved = moved, True
                    break
    order = {n: k for k, n in enumerate(policy_names(scenario))}
    return [tuple(sorted((n for g in t for n in g), key=order.__getitem__)) for t in tasks if t]


@dataclass(frozen=True)
class Part:
    """One task's output and where each of its calendar events falls in the serial order."""

    output: SimulationOutput
    event_keys: list[EventKey]


def simulate_part(scenario: Scenario, only: tuple[str, ...], replicate: int | None = None) -> Part:
    """Simulate the policies `only` (a union of groups) with their calibration pass."""
    engine = Engine(scenario, None, calibrate(scenario, None, replicate, only), replicate, only=only)
    output = engine.run()
    return Part(output, _event_keys(engine, scenario))


def _event_keys(engine: Engine, scenario: Scenario) -> list[EventKey]:
    """Sort keys that put the events of several tasks in the serial run's order: a policy's own scheduled events
    by policy; the shared ones (drift, billing, surveys) after them; rollbacks on alarm last, in the order the
    alarms were raised."""
    order = {n: k for k, n in enumerate(policy_names(scenario))}
    monitors = {m.name: k for k, m in enumerate(scenario.monitors)}
    ends = [end for end, _ in engine.event_owners]
    owned = ends[-1] if ends else 0
    on_alarm = {f"rollback_on_alarm:{n}": n for n in engine.rollbacks_on_alarm}
    keys: list[EventKey] = []
    for (time, label), (priority, seq) in zip(engine.calendar.trace, engine.calendar.fired, strict=True):
        if seq < owned:
            policy = engine.event_owners[bisect_right(ends, seq)][1]
            keys.append((time, priority, 0, order[policy], seq))
        elif seq < engine.static_events:
            keys.append((time, priority, 1, seq - owned))
        else:
            name = on_alarm[label]
            fired = engine.rollbacks_on_alarm[name]
            keys.append((time, priority, 2, fired["alarm_day"], monitors[fired["monitor"]], order[name]))
    return keys


def merge(scenario: Scenario, parts: list[Part]) -> SimulationOutput:
    """The serial run's output from the parts' (the world's own records are the same in every part)."""
    order = policy_names(scenario)
    first = parts[0].output
    outs = [p.output for p in parts]
    days = {k: v for o in outs for k, v in o.days.items()}
    configs = {k: v for o in outs for k, v in o.configs.items()}
    parity = {k: v for o in outs for k, v in o.holdout_parity.items()}
    events = [(key, e) for i, p in enumerate(parts) for key, e in zip(p.event_keys, p.output.events, strict=True)
              if i == 0 or key[2] != 1]
    monitor_index = {m.name: k for k, m in enumerate(scenario.monitors)}
    rollbacks = sorted(((n, r) for o in outs for n, r in o.rollbacks_on_alarm.items()),
                       key=lambda nr: (nr[1]["alarm_day"], monitor_index[nr[1]["monitor"]], order.index(nr[0])))
    surveys = {}
    for sv in first.surveys:
        found = {n: r for o in outs for n, r in o.surveys.get(sv, {}).items()}
        surveys[sv] = {n: found[n] for n in order if n in found}
    return replace(first, scenario=scenario, days={n: days[n] for n in order},
                   holdout_parity={n: parity[n] for n in order if n in parity},
                   surveys=surveys, events=[e for _, e in sorted(events, key=lambda ke: ke[0])],
                   configs={n: configs[n] for n in order},
                   monitors=_merge_monitors(scenario, [o.monitors for o in outs if o.monitors is not None]),
                   rollbacks_on_alarm=dict(rollbacks))


def _merge_monitors(scenario: Scenario, reports: list[MonitorReport]) -> MonitorReport | None:
    """One board's report from several: every per-monitor record in the scenario's monitor order."""
    if not reports:
        return None
    names = [m.name for m in scenario.monitors]
    rank = {n: k for k, n in enumerate(names)}

    def union(field: str) -> dict:
        found = {k: v for r in reports for k, v in getattr(r, field).items()}
        return {n: found[n] for n in names if n in found}
    series = pl.concat([r.series for r in reports]).sort(["monitor", "stratum", "day"])
    truths = [r.truth for r in reports if r.truth is not None]
    truth = None
    if truths:
        both = pl.concat(truths).with_columns(rank=pl.col("monitor").replace_strict(rank, return_dtype=pl.Int64))
        truth = both.sort(["day", "rank"], maintain_order=True).drop("rank")
    reviews = sorted((r for rep in reports for r in rep.reviews), key=lambda r: rank[r.monitor])
    return MonitorReport(series, union("alarms"), union("thresholds"), union("windows"), union("detectors"),
                         reviews, truth)
