"""Is the baseline stationary?  The headline indicators over years 1-10 after the spin-up, over seeds.

    python -m experiments.stationarity [--neighbourhood acer_estate] [--seeds 10] [--years 10]
                                       [--out docs/img/baseline_stationarity.png] [override ...]

Runs the baseline (no lever) for each seed, takes each headline indicator's yearly means (weeks 1-52,
53-104, ...) and its OLS slope per year over years 1-10, and compares the mean slope over the seeds with the
tolerance of docs/ODD.md 3.2 (absolute for shares and indices, relative to the mean level for counts and
rates).  Writes the figure (mean and 10-90 % band of the seeds, week by week) and prints the table; the
slow test tests/test_stationarity.py uses the same functions.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from abm.indicators import HEADLINE, RANGES

#: the headline indicators whose slope is tested (the baseline has no lever, so no cost)
TESTED = tuple(i for i in HEADLINE if not i.startswith("cost_"))
#: tolerance on the mean slope per year over the seeds: absolute for indicators bounded in [0, 1] (shares,
#: indices), relative to the indicator's mean level for unbounded ones (open conflicts, turnover)
ABS_TOLERANCE = 0.005
REL_TOLERANCE = 0.03


@dataclass
class Slope:
    indicator: str
    mean: float          # mean level over the seeds and years
    slope: float         # mean over the seeds of the OLS slope of the yearly means, per year
    slope_sd: float      # its standard deviation over the seeds
    tolerance: float     # allowed |slope|
    relative: bool

    @property
    def ok(self) -> bool:
        return abs(self.slope) <= self.tolerance


def tolerance(indicator: str, level: float) -> tuple[float, bool]:
    """The allowed |slope| per year of ``indicator`` at mean ``level``, and whether it is relative."""
    if RANGES.get(indicator, (0.0, None))[1] == 1.0:
        return ABS_TOLERANCE, False
    return REL_TOLERANCE * abs(level), True


def run(neighbourhood: str, seeds, years: int, overrides=(), observe=None) -> tuple[pd.DataFrame, list[dict], np.ndarray]:
    """The weekly headline indicators (weeks 0 .. 52 x years) of the baseline for each seed, what each run's
    spin-up did (weeks, convergence, seconds to build the model, seconds to run), and the needs of weeks
    1 .. 52 x years by household type and outcome, summed over the seeds.  ``observe(seed, model)``, if
    given, is called after the spin-up and after every week."""
    from abm.config import compose
    from abm.events import HORIZON
    from abm.model import NeighbourhoodModel

    frames, spin, needs = [], [], 0.0
    for seed in seeds:
        cfg = compose([f"neighbourhood={neighbourhood}", "policy=baseline", f"seed={seed}",
                       f"steps={52 * years}", *overrides])
        t0 = time.perf_counter()
        model = NeighbourhoodModel(config=cfg)
        built = time.perf_counter() - t0
        if observe is not None:
            observe(seed, model)
        for _ in range(cfg.steps):
            model.step()
            needs = needs + model.events.needs[model.week % HORIZON]
            if observe is not None:
                observe(seed, model)
        df = model.datacollector.get_model_vars_dataframe()[list(TESTED)].reset_index(drop=True)
        df.insert(0, "week", np.arange(len(df)))
        df.insert(0, "seed", seed)
        frames.append(df)
        spin.append({"seed": seed, "spinup_weeks": model.spinup_weeks, "converged": model.spinup_converged,
                     "build_seconds": built, "run_seconds": time.perf_counter() - t0 - built})
    return pd.concat(frames, ignore_index=True), spin, needs


def need_shares(needs: np.ndarray) -> pd.DataFrame:
    """Shares of needs by outcome (channel, or unmet): all households and elderly people living alone."""
    from abm.vocabulary import HOUSEHOLD_TYPES, OUTCOMES

    alone = needs[HOUSEHOLD_TYPES.index("elderly_alone")]
    rows = {"all": needs.sum(axis=0), "elderly_alone": alone}
    return pd.DataFrame({k: v / v.sum() if v.sum() else np.nan * v for k, v in rows.items()}, index=OUTCOMES).T


def yearly(weekly: pd.DataFrame) -> pd.DataFrame:
    """Yearly means of each indicator per seed: year 1 = weeks 1-52, ... (week 0 left out)."""
    df = weekly[weekly.week >= 1].copy()
    df["year"] = (df.week - 1) // 52 + 1
    return df.drop(columns="week").groupby(["seed", "year"], as_index=False).mean()


def slopes(weekly: pd.DataFrame, indicators=TESTED) -> list[Slope]:
    """The OLS slope per year of each indicator's yearly means, per seed, then averaged over the seeds."""
    ym = yearly(weekly)
    out = []
    for ind in indicators:
        per_seed = [np.polyfit(g.year.to_numpy(float), g[ind].to_numpy(float), 1)[0]
                    for _, g in ym.groupby("seed") if g[ind].notna().all()]
        level = float(ym[ind].mean())
        tol, rel = tolerance(ind, level)
        out.append(Slope(ind, level, float(np.mean(per_seed)), float(np.std(per_seed, ddof=1)), tol, rel))
    return out


def figure(weekly: pd.DataFrame, path: Path, title: str) -> None:
    """One panel per indicator: the mean over the seeds and the 10-90 % band, week by week."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [c for c in TESTED if c in weekly]
    fig, axes = plt.subplots(2, (len(cols) + 1) // 2, figsize=(3.2 * ((len(cols) + 1) // 2), 5.6), sharex=True)
    g = weekly.groupby("week")
    years = weekly.week.unique() / 52.0
    for ax, c in zip(axes.ravel(), cols):
        ax.fill_between(np.sort(years), g[c].quantile(0.1), g[c].quantile(0.9), alpha=0.3, lw=0)
        ax.plot(np.sort(years), g[c].mean(), lw=1.2)
        ax.set_title(c, fontsize=8)
        ax.tick_params(labelsize=7)
        lo, hi = RANGES.get(c, (0.0, None))
        if hi == 1.0:
            ax.set_ylim(0, 1)
        else:
            ax.set_ylim(bottom=0)
    for ax in axes.ravel()[len(cols):]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("years after the spin-up", fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neighbourhood", default="acer_estate")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--out", type=Path, default=None, help="where to write the figure (PNG)")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. wellbeing.trust_relax=0.02")
    a = ap.parse_args(argv)
    weekly, spin, needs = run(a.neighbourhood, range(a.seeds), a.years, a.overrides)
    table = pd.DataFrame([{**s.__dict__, "ok": s.ok} for s in slopes(weekly)])
    sp = pd.DataFrame(spin)
    print(f"{a.neighbourhood}, {a.seeds} seeds, {a.years} years after the spin-up {' '.join(a.overrides)}")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    print(f"spin-up weeks: mean {sp.spinup_weeks.mean():.0f}, min {sp.spinup_weeks.min()}, max "
          f"{sp.spinup_weeks.max()}; converged {int(sp.converged.sum())}/{len(sp)}; build {sp.build_seconds.mean():.2f} s, "
          f"run {sp.run_seconds.mean():.2f} s per seed")
    print("shares of needs by channel, years 1-%d:" % a.years)
    print(need_shares(needs).to_string(float_format=lambda x: f"{x:.3f}"))
    if a.out is not None:
        figure(weekly, a.out, f"Baseline, {a.neighbourhood}: mean and 10-90 % band of {a.seeds} seeds")
        print(f"figure: {a.out}")
    return 0 if table.ok.all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
