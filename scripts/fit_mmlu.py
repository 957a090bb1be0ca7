"""Fit the RouteLLM MMLU eval (Mixtral-8x7B cheap, GPT-4 capable; intents = subjects) on one half of the
queries and check the other half against the fitted world. Usage: python scripts/fit_mmlu.py [DATA_DIR] [FLOOR]"""
from __future__ import annotations

import sys
import time
import zlib
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import chi2

from simroute.fit import EvalSet, fit_eval
from simroute.fit.design import build_design, layout, world_parts
from simroute.fit.estimate import model_tables
from simroute.scenario.loader import scenario_from_dict

CHEAP, CAPABLE = "mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview"
SPLIT_SEED = 12


def read(folder: Path) -> pl.DataFrame:
    """One row per prompt: subject from the file name, both correctness columns."""
    frames = []
    for f in sorted(folder.glob("mmlu_*.csv")):
        df = pl.read_csv(f).select("prompt", CHEAP, CAPABLE)
        frames.append(df.with_columns(intent=pl.lit(f.stem.removeprefix("mmlu_"))))
    df = pl.concat(frames).with_row_index("row")
    return df.select(pl.format("q{}", "row").alias("query_id"), "intent", "prompt",
                     pl.col(CHEAP).cast(pl.Boolean).alias(f"correct:{CHEAP}"),
                     pl.col(CAPABLE).cast(pl.Boolean).alias(f"correct:{CAPABLE}"))


def base_scenario(subjects: list[str], floor: float):
    """A minimal world with the subjects as intents and both models at a stated floor."""
    model = lambda n: {"name": n, "price_in_usd_per_1k_tokens": 0.0, "price_out_usd_per_1k_tokens": 0.0,  # noqa
                       "latency": {"median_s": 1.0}, "quality": {"skill": 0.0, "floor": floor},
                       "failure": {"confident_share": 0.5}}
    share = 1.0 / len(subjects)
    return scenario_from_dict({
        "name": "mmlu", "horizon_days": 7,
        "users": {"mau": 1000, "queries_per_user_per_day": 1.0,
                  "segments": [{"name": "all", "share": 1.0, "arpu_usd_per_month": 1.0,
                                "baseline_churn_per_month": 0.01}]},
        "traffic": {"intents": [{"name": s, "share": share if i else 1 - share * (len(subjects) - 1),
                                 "surface_class": "simple"} for i, s in enumerate(subjects)]},
        "models": [model("mixtral"), model("gpt4")],
        "reactions": {k: {"contact_probability": 0.0, "thumbs_down_probability": 0.0, "csat": 4.0, "frustration": 0.0}
                      for k in ("correct", "wrong_hedged", "wrong_confident")},
        "economics": {"support": {"usd_per_contact": 1.0}},
        "policies": [{"name": "single", "kind": "single", "model": "gpt4"}]})


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/routellm-mmlu")
    floor = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    df = read(folder)
    held = pl.Series([zlib.crc32(f"{SPLIT_SEED}:{q}".encode()) % 2 == 1 for q in df["query_id"]])
    train, test = df.filter(~held), df.filter(held)
    names = {CHEAP: "mixtral", CAPABLE: "gpt4"}
    base = base_scenario(sorted(df["intent"].unique().to_list()), floor)
    t0 = time.time()
    fit = fit_eval(EvalSet(train, (CHEAP, CAPABLE), "routellm-mmlu (train half)"), base, CHEAP, CAPABLE, names=names)
    print(f"fit of {train.height} rows in {time.time() - t0:.1f}s; floor {floor}; -logL {fit.negloglik:.1f}")
    print("skill", {k: f"{v:.3f} (se {fit.skill_se[k]:.3f})" for k, v in fit.skill.items()})
    print(f"outcome_correlation {fit.outcome_correlation:.3f} (se {fit.outcome_correlation_se})")
    order = sorted(fit.base_difficulty, key=fit.base_difficulty.get)
    for s in order[:3] + order[len(order) // 2:len(order) // 2 + 1] + order[-3:]:
        print(f"  base_difficulty {s}: {fit.base_difficulty[s]:.3f} (se {fit.base_difficulty_se[s]:.3f})")
    # held-out: the fitted world's per-subject pattern probabilities against the other half
    ev_test = EvalSet(test, (CHEAP, CAPABLE), "routellm-mmlu (held-out half)")
    lay = layout(ev_test, fit.apply(base), CHEAP, CAPABLE, names)
    fitted = fit.apply(base)
    d = build_design(lay, world_parts(lay, fitted), fitted)
    from simroute.fit.estimate import Estimates
    est = Estimates(np.array([fitted.models[i].quality.skill for i in lay.model_index]), np.array(
        [next(x.base_difficulty for x in fitted.traffic.intents if x.name == s) for s in lay.fitted]),
        fitted.outcome_correlation, np.zeros(2), np.zeros(0), None, np.zeros((1, 1)), 0.0, 0.0, True)
    probs = model_tables(d, est)
    n = d.counts.sum(axis=1, keepdims=True)
    # the prediction of a subject rests on its own train half: the interval adds the train-half binomial variance
    n_train = fit.joint.sort("intent")["n"].to_numpy()[:, None]
    assert lay.cells["intent"].to_list() == fit.joint.sort("intent")["intent"].to_list()
    obs = d.counts / n
    se = np.sqrt(probs * (1 - probs) * (1 / n + 1 / n_train))
    acc_obs = np.stack([obs[:, 1] + obs[:, 3], obs[:, 2] + obs[:, 3]], axis=1)
    acc_exp = np.stack([probs[:, 1] + probs[:, 3], probs[:, 2] + probs[:, 3]], axis=1)
    acc_se = np.sqrt(acc_exp * (1 - acc_exp) * (1 / n + 1 / n_train))
    within_acc = np.abs(acc_obs - acc_exp) <= 1.96 * acc_se
    within_cells = np.abs(obs - probs) <= 1.96 * se
    stat = ((obs - probs) ** 2 / (probs * (1 / n + 1 / n_train))).sum(axis=1)
    chi_ok = chi2.sf(stat, 3) > 0.05
    print(f"held-out ({test.height} rows, split seed {SPLIT_SEED}, 50%): subjects with accuracy within 95% "
          f"interval: mixtral {within_acc[:, 0].mean():.0%}, gpt4 {within_acc[:, 1].mean():.0%}, both "
          f"{within_acc.all(axis=1).mean():.0%}; all four joint cells within: {within_cells.all(axis=1).mean():.0%}; "
          f"joint table chi-square p>0.05: {chi_ok.mean():.0%} of {len(n)} subjects")
    tot = d.counts.sum(axis=0) / d.counts.sum()
    exp = (probs * n).sum(axis=0) / n.sum()
    print("held-out joint table (both wrong, only cheap right, only capable right, both right):",
          np.round(tot, 4), "fitted:", np.round(exp, 4))
    print("held-out overall accuracy mixtral/gpt4:", np.round([tot[1] + tot[3], tot[2] + tot[3]], 4),
          "fitted:", np.round([exp[1] + exp[3], exp[2] + exp[3]], 4))
    for v in fit.values[:2] + fit.values[-1:]:
        print(f"  {v.path}: {v.value}  # {v.comment}")


if __name__ == "__main__":
    main()
