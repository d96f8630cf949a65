"""The aggregate of a posterior ensemble sweep: effects paired by (parameter set, seed), parametric and stochastic
uncertainty apart (the statistics: experiments.ensemble_stats; the files: docs/SWEEPS.md, "Posterior ensembles").

``effects.csv`` keeps its columns; in an ensemble its interval is the 90 % prediction interval over parameter
sets and ``distinguishable`` means that interval excludes 0.  Three more files:

- ``ensemble_effects.csv``: per scenario and headline quantity, the distribution of the effect over the sets
  (mean, sd, 5th and 95th percentiles, prediction interval), the variance decomposition and the probability of
  improvement;
- ``ensemble_sets.csv``: the paired effect under each parameter set (mean over its seeds), and each set's
  cost per unit of benefit;
- ``ensemble_best.csv``: per cumulative benefit, the probability that each scenario is the most cost-effective.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from experiments import horizon
from experiments.ensemble_stats import decompose, most_cost_effective, ratio_over_sets, ratios_by_set
from experiments.report.numbers import DESIRABLE

#: the quantities with ensemble detail: the headline indicators, what adds up over the period, the costs
DETAIL = tuple(dict.fromkeys([*horizon.HEADLINE, *horizon.CUMULATIVE, *horizon.COST_MEASURES]))
ENSEMBLE_EFFECT_COLUMNS = ["scenario", "indicator", "statistic", "n_sets", "n_pairs", "mean", "sd_sets", "q05", "q95",
                           "pi_low", "pi_high", "var_between", "var_within", "parametric_share", "p_improve"]
SET_COLUMNS = ["scenario", "indicator", "statistic", "set", "particle", "n_pairs", "diff_mean"]
BEST_COLUMNS = ["ratio", "scenario", "n_sets", "p_best"]
INDEX = ["set", "seed"]


def tables(values: pd.DataFrame, order: list[str], baseline: str, particles: dict[int, int]) -> dict[str, pd.DataFrame]:
    """``effects`` (the columns of effects.csv) and the three ensemble tables, from the runs' tidy values
    (statistic, indicator, value, scenario, set, seed)."""
    from experiments.aggregate import EFFECT_COLUMNS, _paired_frame

    keys = list(dict.fromkeys(zip(values["statistic"], values["indicator"])))
    rows, detail, per_set, ratios = [], [], [], {name: {} for name in horizon.CE_RATIOS}
    for sc in order:
        if sc == baseline:
            continue
        pf = _paired_frame(values, sc, baseline, INDEX)
        sets = pf.index.get_level_values("set").to_numpy() if len(pf) else np.array([])
        for st, ind in keys:
            a, b = (pf[c].to_numpy(dtype=float) if c in pf else np.full(len(pf), math.nan)
                    for c in ((st, ind), (st, f"{ind}@base")))
            d = decompose(a - b, sets)
            rows.append({"scenario": sc, "indicator": ind, "statistic": st, "n_pairs": d.n, "diff_mean": d.mean,
                         "diff_sd": d.sd, "ci_low": d.low, "ci_high": d.high,
                         "distinguishable": bool(d.low > 0 or d.high < 0)})
            if ind in DETAIL:
                detail.append({"scenario": sc, "indicator": ind, "statistic": st, "n_sets": d.n_sets, "n_pairs": d.n,
                               "mean": d.mean, "sd_sets": d.sd, "q05": d.q05, "q95": d.q95, "pi_low": d.low,
                               "pi_high": d.high, "var_between": d.var_between, "var_within": d.var_within,
                               "parametric_share": d.parametric_share, "p_improve": d.p_improve(DESIRABLE.get(ind, 0))})
                per_set += [{"scenario": sc, "indicator": ind, "statistic": st, "set": int(k),
                             "particle": particles.get(int(k)), "n_pairs": int(d.set_counts[k]), "diff_mean": m}
                            for k, m in d.set_means.items()]
        for name in horizon.CE_RATIOS:
            row, by_set, contender = ce_row(sc, name, pf, sets)
            rows.append(row)
            ratios[name][sc] = by_set.where(contender)  # competes only where its benefit stands out from noise
            per_set += [{"scenario": sc, "indicator": name, "statistic": horizon.PERIOD, "set": int(k),
                         "particle": particles.get(int(k)), "n_pairs": None, "diff_mean": r} for k, r in by_set.items()]
    best = []
    for name, by_scenario in ratios.items():
        frame = pd.DataFrame(by_scenario)
        shares = most_cost_effective(frame)
        best += [{"ratio": name, "scenario": sc, "n_sets": len(frame), "p_best": float(p)} for sc, p in shares.items()]
    return {"effects": pd.DataFrame(rows, columns=EFFECT_COLUMNS),
            "ensemble_effects": pd.DataFrame(detail, columns=ENSEMBLE_EFFECT_COLUMNS),
            "ensemble_sets": pd.DataFrame(per_set, columns=SET_COLUMNS).astype({"particle": "Int64", "n_pairs": "Int64"}),
            "ensemble_best": pd.DataFrame(best, columns=BEST_COLUMNS)}


def ce_row(scenario: str, name: str, pf: pd.DataFrame, sets: np.ndarray) -> tuple[dict, pd.Series, pd.Series]:
    """Extra net present cost over extra cumulative benefit in an ensemble: the ratio of the means over sets,
    defined when the benefit's 90 % prediction interval lies above 0; its interval the 5th-95th percentile over
    sets of each set's ratio (open above when more than 5 % of the sets have no positive benefit).  Also each
    set's ratio, and whether the set's benefit stands out from seed noise (where the scenario competes for
    the most cost-effective: :meth:`experiments.ensemble_stats.Decomposition.beyond_noise`)."""
    from experiments.aggregate import ce_pairs, ce_result

    cost, benefit, keep = ce_pairs(name, pf)
    gain = decompose(benefit[keep], sets[keep])
    defined = bool(gain.low > 0)
    est, lo, hi = ratio_over_sets(cost, benefit, sets) if defined else (math.nan,) * 3
    row = ce_result(scenario, name, int(keep.sum()), est, lo, hi, defined)
    by_set = ratios_by_set(cost[keep], benefit[keep], sets[keep])
    return row, by_set, gain.beyond_noise().reindex(by_set.index, fill_value=False)


def particles_of(sweep_dir) -> dict[int, int]:
    """set -> the posterior particle it was drawn from (ensemble/draws.csv)."""
    from pathlib import Path

    from experiments.ensemble import DIR, DRAWS

    path = Path(sweep_dir) / DIR / DRAWS
    if not path.is_file():
        return {}
    d = pd.read_csv(path, usecols=["set", "particle"])
    return dict(zip(d["set"].astype(int), d["particle"].astype(int)))
