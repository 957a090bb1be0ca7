"""The harness's tables (benchmarks/run.py): the engine runs, every measured command, issue 17's targets each with
its figure and met or not, and the engine's agreement with the SimPy reference, from a latest.json document."""
from __future__ import annotations

import math
from collections.abc import Callable

YEAR = 365


def _qps(m: dict) -> float:
    return m["drawn"] / m["wall_s"]


def _mins(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min"


def _size(m: dict) -> str:
    return f"{m.get('queries', m['drawn']) / 1e6:g}M"


def _row(target: str, measured: str, met: bool | None) -> dict:
    return {"target": target, "measured": measured, "met": met}


def _vs(target: str, engine: dict | None, ref: dict | None, limit: float,
        figure: Callable[[dict, dict, float], str]) -> dict:
    """A target on the engine's queries per second over a reference's (met at `limit`); `figure` words the row."""
    if engine is None or ref is None:
        return _row(target, "not measured", None)
    x = _qps(engine) / _qps(ref)
    return _row(target, figure(engine, ref, x), x >= limit)


def _year_full(m: dict) -> float:
    return m["wall_s"] * YEAR / m["days"]


def target_rows(r: dict) -> list[dict]:
    """Every target of issue 17 (and the earlier ones the harness keeps): the figure and met (None: not measured)."""
    ms = r.get("measurements", {})
    rows = []

    if (s := ms.get("case1_cli")) is not None:
        text = f"serial **{_mins(s['wall_s'])}** ({s['cpu_s']:.0f} CPU-s, {s['rss_mib']:,.0f} MiB)"
        best = s["wall_s"]
        if "case1_cli_w2" in ms:
            w = ms["case1_cli_w2"]
            best = min(best, w["wall_s"])
            text += (f"; `--workers 2` **{_mins(w['wall_s'])}** ({w['cpu_s']:.0f} CPU-s of the tree, largest process "
                     f"{w['rss_mib']:,.0f} MiB, tree {w['tree_rss_mib']:,.0f} MiB)")
        rows.append(_row("case 1 as shipped (CLI, report included) ≤ 15 s wall", text, best <= 15))
    else:
        rows.append(_row("case 1 as shipped (CLI, report included) ≤ 15 s wall", "not measured", None))
    for name, target, limit in (("replicates20", "`--replicates 20` (with `-w 2`) ≤ 4 min", 240),
                                ("sweep_tornado", "tornado sweep (`-w 2`) ≤ 1.5 min", 90),
                                ("sweep_hidden_intent", "break-even sweep case1_hidden_intent (`-w 2`) ≤ 1.5 min", 90)):
        m = ms.get(name)
        rows.append(_row(target, "not measured" if m is None else
                         f"**{_mins(m['wall_s'])}** ({m['cpu_s']:.0f} CPU-s of the tree)",
                         None if m is None else m["wall_s"] <= limit))
    years = [(k, ms[k]) for k in ("year", "year_w2") if k in ms]
    if years:
        parts = [f"{'serial' if k == 'year' else '2 workers'} **{_mins(_year_full(m))}**"
                 + ("" if m["days"] == YEAR else f" ({m['days']} days measured: {_mins(m['wall_s'])}, extrapolated)")
                 for k, m in years]
        rows.append(_row("a year at 1M/day, 4 policies + monitors ≤ 5 min", "; ".join(parts),
                         min(_year_full(m) for _, m in years) <= 300))
    else:
        rows.append(_row("a year at 1M/day, 4 policies + monitors ≤ 5 min", "not measured", None))
    rows.append(_vs("engine on one core ≥ 40% of the random-draw floor", ms.get("engine_10m"), ms.get("floor"), 0.4,
                    lambda e, f, x: f"engine {_qps(e):,.0f} q/s ({_size(e)}, single + cascade, pinned to one core) vs "
                    f"floor {_qps(f):,.0f} q/s ({f['numbers'] / f['drawn']:.0f} numbers per query): "
                    f"**{100 * x:.0f}%**"))
    two = [m for m in (ms.get("engine_w2"), ms.get("engine_2t")) if m is not None]
    best = max(two, key=_qps) if two else None
    rows.append(_vs("engine on the machine's two cores ≥ 50× the SimPy reference", best, ms.get("simpy"), 50,
                    lambda e, s, x: f"engine {_qps(e):,.0f} q/s ({_size(e)}, single + cascade, "
                    + ("as 2 policy tasks on 2 local workers" if e.get("workers", 1) > 1 else
                       "serial, each next day drawn on a second thread" if e.get("prefetch") else
                       "serial (no second thread: one core?)")
                    + f"; the faster of the two ways) vs SimPy {_qps(s):,.0f} q/s (cascade only, one core): "
                    f"**{x:,.0f}×**"))
    m = ms.get("worker_memory")
    rows.append(_row("a replicate worker's peak RSS across many tasks ≤ 1.5× one run's", "not measured" if m is None
                     else f"{len(m['tasks'])} case-1 replicate tasks at {m['mau']:,} users in one process: peak "
                     f"{m['last_peak_mib']:,.0f} MiB vs {m['one_run_peak_mib']:,.0f} MiB after the first: "
                     f"**{m['ratio']:.2f}×**", None if m is None else m["ratio"] <= 1.5))
    m = ms.get("dask_cluster")
    rows.append(_row("one run across a cluster: case 1 on 2 Dask workers ≥ 1.7× one worker, byte-identical",
                     "not measured" if m is None else
                     f"1 worker {_mins(m['workers']['1']['wall_s'])}, 2 workers {_mins(m['workers']['2']['wall_s'])}: "
                     f"**{m['speedup']:.2f}×**; {m['files'] - len(m['differ'])} of {m['files']} files identical"
                     + ("" if "cluster_bound" not in ms else f" (bound from the CPU-s of the 2 tasks `pack` makes: "
                        f"{ms['cluster_bound']['speedup_bound']:.2f}×)"),
                     None if m is None else m["speedup"] >= 1.7 and not m["differ"]))
    w, d = ms.get("case1_cli_w2"), ms.get("dask_cluster")
    ident = [(f"`simroute run --workers 2` vs serial: {w['files'] - len(w['differ_from_serial'])} of {w['files']} "
              "files identical", not w["differ_from_serial"]) for w in [w] if w and "files" in w]
    ident += [(f"Dask 2 vs 1 worker: {d['files'] - len(d['differ'])} of {d['files']}", not d["differ"])
              for d in [d] if d]
    rows.append(_row("byte-identical results across executors and worker counts",
                     "; ".join(t for t, _ in ident) or "not measured", all(ok for _, ok in ident) if ident else None))
    checks = {k.removeprefix("check_"): v for k, v in ms.items() if k.startswith("check_")}
    rows.append(_row("`simroute check` passes on every shipped scenario against data/baselines/",
                     ", ".join(f"{k} {'pass' if v['passed'] else '**FAIL**'} ({_mins(v['wall_s'])})"
                               for k, v in checks.items()) or "not measured",
                     all(v["passed"] for v in checks.values()) if checks else None))
    rows.append(_row("scale on paper: a year at 10M and 100M a day on 8/32/128 Dask workers",
                     "a table in RESULTS.md from `benchmarks/scale_on_paper.py`, not a run.py measurement", None))
    if "engine_100m" in ms:
        m = ms["engine_100m"]
        rows.append(_row("(issue 2) 100M queries under 1 GiB RSS", f"{m['rss_mib']:,.0f} MiB", m["rss_mib"] < 1024))
    if "help_s" in r:
        rows.append(_row("(issue 2) `simroute --help` < 0.3 s", f"{r['help_s']:.2f} s (median of 5)",
                         r["help_s"] < 0.3))
    return rows


def agreement(engine: dict, ref: dict) -> list[tuple[str, float, float, float]]:
    """(figure, engine, SimPy, z) for escalation share, accuracy per tier and cost per query."""
    e, s = engine["cascade"], ref["stats"]
    rows = []

    def prop(name, a, n, b, m):
        p1, p2 = a / n, b / m
        se = math.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / m)
        rows.append((name, p1, p2, (p1 - p2) / se if se else 0.0))
    prop("escalation share", e["escalated"], e["queries"], s["escalated"], s["queries"])
    for k, tier in enumerate(("small", "large")):
        prop(f"accuracy on {tier}", e["tiers"][tier][1], e["tiers"][tier][0], s["correct"][k], s["answered"][k])
    mean = s["usd"] / s["queries"]
    sd = math.sqrt(max(s["usd_sq"] / s["queries"] - mean * mean, 0.0))
    eng = e["usd"] / e["queries"]
    se = sd * math.sqrt(1 / s["queries"] + 1 / e["queries"])
    rows.append(("cost per query (USD)", eng, mean, (eng - mean) / se))
    return rows


ENGINE_ROWS = {"engine_1m": "bench world, single + cascade, {size}, one core",
               "engine_10m": "bench world, single + cascade, {size}, one core",
               "engine_100m": "bench world, single + cascade, {size}, one core",
               "engine_w2": "bench world, single + cascade, {size}, 2 policy tasks on 2 workers",
               "engine_2t": "bench world, single + cascade, {size}, serial, next day drawn on a 2nd thread",
               "case1_api": "case 1 as shipped through the API (no report)",
               "year": "year at 1M/day, 4 policies + monitors", "year_w2": "year at 1M/day, over 2 workers"}


def box_line(r: dict) -> str:
    """The box probe at the start and the end of the run (ns per element, one core), if the run has it."""
    a, b = r.get("box_at_start"), r.get("box_at_end")
    if not a:
        return ""
    fmt = lambda p: ", ".join(f"{k[:-3]} {v:.2f}" for k, v in p.items())  # noqa: E731
    return (f" Box probe (ns per element on one core: random look-up in 128 MB, exp, normal draw): at the start "
            f"{fmt(a)}" + (f"; at the end {fmt(b)}" if b else "") + ".")


def markdown(r: dict) -> tuple[str, list[dict]]:
    """The Markdown of RESULTS.md's latest-run section, and the targets table as rows (for latest.json)."""
    ms = r.get("measurements", {})
    lines = [f"Machine: {r['machine']}. Date: {r['date']}. Command: `{r.get('command', 'python benchmarks/run.py')}`"
             f" ({r.get('mode', 'full')}; load average {r.get('load_average_at_start', float('nan')):.1f} at the "
             f"start; took {r.get('duration_s', 0) / 60:.0f} min"
             f"{'' if r.get('complete', True) else ', incomplete: stopped before the end of the plan'})."
             + (f" **Failed** (stderr above the tables): {', '.join(r['failed'])}." if r.get("failed") else "")
             + box_line(r), "",
             "| run | days | drawn queries | policy-queries served | wall | drawn queries/s | served/s | "
             "CPU-s (process tree, imports included) | peak RSS (largest process) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    names = [n for n in ENGINE_ROWS if n in ms] + [n for n in ms if n.startswith("policy_")]
    for n in names:
        m = ms[n]
        label = (ENGINE_ROWS.get(n) or f"bench world, single{'' if n == 'policy_single' else ' + ' + n[7:]}, "
                 "{size}, one core").format(size=_size(m))
        lines.append(f"| {label} | {m['days']} | {m['drawn']:,} | {m['served']:,} | {m['wall_s']:.1f} s | "
                     f"{_qps(m):,.0f} | {m['served'] / m['wall_s']:,.0f} | {m['cpu_s']:.1f} | "
                     f"{m['rss_mib']:,.0f} MiB |")
    cmds = [(n, m) for n, m in ms.items() if "command" in m or n in ("worker_memory", "dask_cluster", "cluster_bound")]
    if cmds:
        lines += ["", "Whole process trees (CPU-s: user + sys of every process; RSS: the largest process, exact, and "
                  "the tree's summed RSS, sampled every 0.25 s):", "",
                  "| measurement | command | wall | CPU-s | largest process | tree |", "|---|---|---:|---:|---:|---:|"]
        lines += [f"| {n} | {('`' + m['command'] + '`') if 'command' in m else 'benchmarks/children.py'} | "
                  f"{_mins(m['proc_wall_s'])} | {m['cpu_s']:.1f} | {m['rss_mib']:,.0f} MiB | "
                  f"{m['tree_rss_mib']:,.0f} MiB |" for n, m in cmds]
    table = target_rows(r)
    smoke = r.get("mode") == "smoke"
    lines += ["", "| target (issue 17) | measured | met |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['measured']} | "
              f"{'—' if t['met'] is None else '(smoke)' if smoke else 'yes' if t['met'] else '**no**'} |"
              for t in table]
    if "engine_1m" in ms and "simpy" in ms and "cascade" in ms["engine_1m"]:
        lines += ["", "Agreement of the engine (1M queries) with the SimPy reference (same model, cascade at 0.9):",
                  "", "| figure | engine | SimPy | z |", "|---|---:|---:|---:|"]
        lines += [f"| {name} | {a:.5g} | {b:.5g} | {z:+.2f} |" for name, a, b, z in agreement(ms["engine_1m"],
                                                                                           ms["simpy"])]
    return "\n".join(lines), table
