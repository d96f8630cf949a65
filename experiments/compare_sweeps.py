"""Lever effects of two sweeps side by side (e.g. two versions of the model), each paired by seed.

    python -m experiments.compare_sweeps OLD_SWEEP NEW_SWEEP OUT.csv [--first 105 --last 156] > table.md

For every scenario ``policy=<name>,...`` of both sweeps, each run's indicators are averaged over weeks
``first``-``last``; the effect is the mean over seeds of (scenario - baseline, same seed), with a 95 % t
interval.  Writes the long table (version, policy, indicator, mean, lo, hi, n) to OUT.csv and prints the
markdown table of docs/ODD.md's appendix ("old -> new", * where the interval excludes 0).  A sweep made
before the composite indices without participation existed gets them from their components
(abm.indicators: cohesion without participation = mean of 1 - isolated_share, trust_mean, satisfaction_mean;
neomutualism without participation = mean of needs_met_neighbours_share, reciprocity, volunteers_share).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.stats import paired, t_interval

INDICATORS = ("cohesion_index", "cohesion_index_excl_participation", "neomutualism_index",
              "neomutualism_index_excl_participation", "isolated_share", "isolated_elderly_alone_share",
              "needs_met_neighbours_share", "needs_unmet_share", "conflicts_open", "turnover_per_year",
              "participation_share", "volunteers_share", "cost_year_total")
ORDER = ("portierato", "mediation", "shared_services", "timebank", "community_coop", "coop_governance",
         "regeneration", "ers_fund", "allocation_need", "full_package")


def run_means(sweep: Path, first: int, last: int) -> pd.DataFrame:
    """One row per (policy, seed): the indicators averaged over weeks ``first``-``last``."""
    rows = []
    for f in sorted(sweep.glob("policy=*/seed*/timeseries.parquet")):
        policy = re.search(r"policy=([a-z_]+)", f.parent.parent.name).group(1)
        ts = pd.read_parquet(f)
        r = ts[(ts.step >= first) & (ts.step <= last)].mean(numeric_only=True)
        if "cohesion_index_excl_participation" not in r:
            r["cohesion_index_excl_participation"] = np.nanmean([1 - r.isolated_share, r.trust_mean,
                                                                 r.satisfaction_mean])
            r["neomutualism_index_excl_participation"] = np.nanmean([r.needs_met_neighbours_share, r.reciprocity,
                                                                     r.volunteers_share])
        rows.append({"policy": policy, "seed": int(f.parent.name.removeprefix("seed")),
                     **{k: r[k] for k in INDICATORS}})
    if not rows:
        raise SystemExit(f"{sweep}: no policy=*/seed*/timeseries.parquet")
    return pd.DataFrame(rows).set_index(["policy", "seed"]).sort_index()


def paired_effects(means: pd.DataFrame) -> tuple[pd.Series, dict[str, pd.DataFrame]]:
    """Baseline levels (mean over seeds) and, per scenario, the paired effect with its 95 % t interval (the
    aggregation's own, experiments.stats)."""
    base = means.loc["baseline"]
    out = {}
    for policy in means.index.get_level_values(0).unique().drop("baseline"):
        scenario = means.loc[policy].reindex(base.index)
        ci = {k: t_interval(paired(scenario[k], base[k])) for k in base.columns}
        out[policy] = pd.DataFrame({"mean": {k: c.mean for k, c in ci.items()}, "lo": {k: c.low for k, c in ci.items()},
                                    "hi": {k: c.high for k, c in ci.items()}, "n": {k: c.n for k, c in ci.items()}})
    return base.mean(), out


def _fmt(v: float, k: str) -> str:
    if k == "cost_year_total":
        return f"{v:,.0f}"
    return f"{v:+.1f}" if k in ("conflicts_open", "turnover_per_year") else f"{v:+.3f}"


def _cell(e: pd.DataFrame, k: str) -> str:
    distinct = k != "cost_year_total" and (e.loc[k, "lo"] > 0 or e.loc[k, "hi"] < 0)  # Interval.excludes_zero
    return _fmt(e.loc[k, "mean"], k) + ("*" if distinct else "")


def markdown(old: tuple, new: tuple) -> str:
    (old_base, old_eff), (new_base, new_eff) = old, new
    policies = [p for p in ORDER if p in old_eff and p in new_eff]
    lines = ["| indicator | baseline level | " + " | ".join(policies) + " |", "|---|---|" + "---|" * len(policies)]
    for k in INDICATORS:
        level = f"{_fmt(old_base[k], k).lstrip('+')} → {_fmt(new_base[k], k).lstrip('+')}"
        cells = [f"{_cell(old_eff[p], k)} → {_cell(new_eff[p], k)}" for p in policies]
        lines.append(f"| `{k}` | {level} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--first", type=int, default=105)
    ap.add_argument("--last", type=int, default=156)
    a = ap.parse_args(argv)
    results = {v: paired_effects(run_means(d, a.first, a.last)) for v, d in (("old", a.old), ("new", a.new))}
    long = pd.concat({(v, p): e for v, (_, eff) in results.items() for p, e in eff.items()},
                     names=["version", "policy", "indicator"])
    long.to_csv(a.out, float_format="%.10g")
    print(markdown(results["old"], results["new"]))


if __name__ == "__main__":
    main()
