"""From a sweep spec to parameter points and tasks (points x replicates)."""
from __future__ import annotations

import itertools
import zlib
from typing import Any

import numpy as np

from ..errors import SimrouteError
from ..scenario.schema import Scenario
from ..tasks import Job
from ..uncertainty import figure_names
from .spec import Mode, Parameter, SweepSpec


def _span(p: Parameter) -> tuple[int | float, int | float]:
    """A range parameter's low and high (the spec requires both where there are no values)."""
    assert p.low is not None and p.high is not None, f"{p.path}: the sweep spec checks a range has low and high"
    return p.low, p.high


def grid_values(p: Parameter) -> list[Any]:
    """The values a grid tries: explicit values, or `steps` points from low to high (log-spaced with log)."""
    if p.values is not None:
        return list(p.values)
    space = np.geomspace if p.log else np.linspace
    points = space(*_span(p), p.steps)
    if p.whole:
        return sorted({int(v) for v in np.round(points)})
    return [float(v) for v in points]


def _random_points(spec: SweepSpec) -> list[dict[str, Any]]:
    seq = np.random.SeedSequence(spec.seed, spawn_key=(zlib.crc32(b"sweep-sample"),))
    rng = np.random.Generator(np.random.PCG64(seq))
    n = spec.samples
    assert n is not None, "the sweep spec checks random mode has samples"
    columns: dict[str, list[Any]] = {}
    for p in spec.parameters:
        if p.values is not None:
            columns[p.path] = [p.values[i] for i in rng.integers(0, len(p.values), n)]
            continue
        lo, hi = _span(p)
        if p.log:
            draws = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
            columns[p.path] = [int(v) for v in np.round(draws)] if p.whole else draws.tolist()
        elif p.whole:
            columns[p.path] = [int(v) for v in rng.integers(int(lo), int(hi) + 1, n)]
        else:
            columns[p.path] = rng.uniform(lo, hi, n).tolist()
    return [{k: v[i] for k, v in columns.items()} for i in range(n)]


def _extremes(p: Parameter) -> tuple[Any, Any]:
    vals = grid_values(p)
    return (min(vals), max(vals)) if all(isinstance(v, (int, float)) for v in vals) else (vals[0], vals[-1])


def points(spec: SweepSpec) -> list[dict[str, Any]]:
    """The parameter points, in a fixed order (each a mapping path -> value; {} is the scenario as is)."""
    if spec.mode is Mode.grid:
        paths = [p.path for p in spec.parameters]
        combos = itertools.product(*(grid_values(p) for p in spec.parameters))
        pts = [dict(zip(paths, combo, strict=True)) for combo in combos]
    elif spec.mode is Mode.random:
        pts = _random_points(spec)
    else:
        pts = [{}]
        for p in spec.parameters:
            pts += [{p.path: v} for v in _extremes(p)]
    return [{**spec.fixed, **pt} for pt in pts]


def job(scenario: Scenario, spec: SweepSpec, source: str = "sweep") -> Job:
    """What every task of the sweep shares; unknown policy or figure names are an error here, before any
    task runs, not a silently missing chart afterwards."""
    known = [p.name for p in scenario.policies]
    for field, names in (("policies", spec.policies), ("tornado.policies", spec.tornado.policies)):
        unknown = [p for p in names or () if p not in known]
        if unknown:
            raise SimrouteError(f"{source}: {field}: {', '.join(unknown)} not in the scenario (it has "
                                f"{', '.join(known)})")
    figures = figure_names(scenario)
    for field, metric in (("break_even.metric", spec.break_even.metric if spec.break_even else None),
                          ("tornado.metric", spec.tornado.metric)):
        if metric is not None and metric not in figures:
            raise SimrouteError(f"{source}: {field}: unknown figure {metric!r}; expected one of {', '.join(figures)}")
    return Job(scenario.model_dump(mode="json"), spec.policies, spec.monitors)


def validate_points(j: Job, pts: list[dict[str, Any]], source: str) -> list[Scenario]:
    """Every point must give a valid scenario before anything runs: errors name the point and the path."""
    return [j.build(params, source=f"{source}: point {i} {params}") for i, params in enumerate(pts)]
