"""Global sensitivity of lever effects (not of levels): Morris indices (SALib) of the paired lever-minus-baseline
effect, over core and lever parameters together, with the noise floor that seed noise alone gives.

    python -m experiments.sensitivity sample --experiment effect_sensitivity      # design x scenarios x seeds
    python -m experiments.sensitivity effects outputs/sweeps/effect_sensitivity   # -> effect_morris.csv / .png

The experiment (``configs/experiment/effect_sensitivity.yaml``) is a Morris screening whose sweep also runs a
baseline and one or more lever scenarios (``policy: baseline,portierato``) with the same seeds at every design
point, and names in ``output.morris.effect`` the reference scenario, the statistic of the horizon account
(``last_year_mean`` or ``period_mean``, experiments.horizon) and the indicators.  For design point ``j``, lever
scenario ``L`` and indicator ``i`` the outcome is

    y_j = mean over seeds s of (x_i(L, j, s) - x_i(baseline, j, s))

(paired by seed: common random numbers), and the Morris indices of ``y`` are computed as in ``analyse``.

**Noise floor.** ``y_j`` carries seed noise of variance ``sigma_j^2 / S``.  Splitting the S seeds at random
into halves A and B (a and b seeds), ``z_j = sqrt(a b / ((a + b) S)) (mean_A - mean_B)`` has the same noise
variance, the same correlation across design points (the same seeds everywhere), and no parameter effect at
all: the Morris mu* of ``z`` is the mu* a parameter with no effect would get from seed noise alone.  Over
``splits`` random splits and every parameter, ``noise_floor`` is its mean and ``noise_floor_q95`` its 95th
percentile (one floor per lever and indicator); an index is reported as ``above_noise`` when its mu* exceeds
``noise_floor_q95``.  The floor falls as
1/sqrt(S): enough common seeds per design point put it below the smallest index reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from abm.errors import ConfigError
from experiments import horizon

EFFECT_MORRIS = "effect_morris.csv"
FIGURE = "effect_morris.png"
STATISTICS = (horizon.PERIOD_MEAN, horizon.LAST_YEAR_MEAN)
COLUMNS = ["scenario", "baseline", "indicator", "statistic", "parameter", "mu", "mu_star", "sigma", "mu_star_conf",
           "rank", "noise_floor", "noise_floor_q95", "above_noise", "design_points", "seeds"]


@dataclass(frozen=True)
class EffectSpec:
    baseline: str
    statistic: str
    indicators: tuple[str, ...]
    splits: int
    seed: int


def spec_of(meta: dict, statistic: str | None = None, splits: int | None = None) -> EffectSpec:
    """The effect block of a design's problem.json (``output.morris.effect``), checked."""
    e = meta.get("effect")
    if not e:
        raise ConfigError("output.morris.effect", None, "an effect block (baseline, statistic, indicators, splits) "
                                                        "in the screening experiment: configs/experiment/effect_sensitivity.yaml")
    st = statistic or e.get("statistic", horizon.LAST_YEAR_MEAN)
    if st not in STATISTICS:
        raise ConfigError("output.morris.effect.statistic", st, "one of " + ", ".join(STATISTICS))
    n = int(splits or e.get("splits", 20))
    if n < 1:
        raise ConfigError("output.morris.effect.splits", n, "a number of seed splits >= 1")
    return EffectSpec(str(e.get("baseline", "baseline")), st, tuple(e.get("indicators") or ()), n,
                      int(e.get("seed", meta.get("seed", 0))))


# --- the outcome ------------------------------------------------------------------------------------------
def run_values(sweep_dir: Path, runs: list[dict], statistic: str, indicators, settings=None) -> pd.DataFrame:
    """One row per run: design row, scenario (its overrides but the design row), seed, and the statistic of each
    indicator over the window of the horizon account."""
    from experiments.aggregate import read_timeseries

    settings = settings or horizon.HorizonSettings()
    rows = []
    for r in runs:
        ov = dict(r["overrides"])
        row = int(ov.pop("output.design_row"))
        ts = read_timeseries(Path(sweep_dir) / r["run_id"])
        start, end = settings.window(int(ts["step"].max()))
        eff = horizon.effects(ts, start, end, settings.last_year_weeks)[statistic]
        rows.append({"row": row, "scenario": scenario_name(ov), "seed": int(r["seed"]),
                     **{i: eff.get(i, np.nan) for i in indicators}})
    return pd.DataFrame(rows)


def scenario_name(overrides: dict) -> str:
    """A run's scenario in a screening: its policy (the usual case) or its overrides."""
    if set(overrides) == {"policy"}:
        return str(overrides["policy"])
    return ",".join(f"{k}={v}" for k, v in sorted(overrides.items())) or "default"


def paired_effects(values: pd.DataFrame, lever: str, baseline: str, indicator: str, n_rows: int) -> np.ndarray:
    """design rows x seeds: lever minus baseline, paired by (row, seed); NaN where either is missing."""
    def wide(sc):
        sub = values[values["scenario"] == sc]
        return sub.pivot_table(index="row", columns="seed", values=indicator, aggfunc="first")
    lv, bs = wide(lever), wide(baseline)
    seeds = sorted(set(lv.columns) & set(bs.columns))
    d = lv.reindex(index=range(n_rows), columns=seeds) - bs.reindex(index=range(n_rows), columns=seeds)
    return d.to_numpy(dtype=float)


# --- indices and the noise floor -----------------------------------------------------------------------------
def morris_indices(problem: dict, design: np.ndarray, y: np.ndarray, levels: int, seed: int) -> dict:
    from SALib.analyze import morris

    return morris.analyze(problem, design, y, num_levels=levels, seed=seed)


def noise_outcomes(d: np.ndarray, splits: int, seed: int) -> list[np.ndarray]:
    """``splits`` outcomes made of seed noise alone (see the module's docstring), from ``d``: design rows x seeds."""
    n_seeds = d.shape[1]
    if n_seeds < 2:
        raise ConfigError("seed", n_seeds, "at least 2 replicate seeds per design point for a noise floor")
    a, b = n_seeds // 2, n_seeds - n_seeds // 2
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(splits):
        perm = rng.permutation(n_seeds)
        mean_a, mean_b = np.nanmean(d[:, perm[:a]], axis=1), np.nanmean(d[:, perm[a:]], axis=1)
        out.append(np.sqrt(a * b / ((a + b) * n_seeds)) * (mean_a - mean_b))
    return out


def noise_floor(problem: dict, design: np.ndarray, d: np.ndarray, levels: int, splits: int,
                seed: int) -> tuple[float, float]:
    """The mu* of pure seed noise: its mean and 95th percentile over seed splits and parameters (a parameter
    with no effect is as likely to be any of them)."""
    stars = np.array([morris_indices(problem, design, z, levels, seed)["mu_star"]
                      for z in noise_outcomes(d, splits, seed)])
    return float(stars.mean()), float(np.quantile(stars, 0.95))


def analyse_effects(sweep_dir: Path, statistic: str | None = None, splits: int | None = None) -> pd.DataFrame:
    """Morris indices of every lever scenario's effect on each indicator, with their noise floor, written to
    ``effect_morris.csv`` and drawn in ``effect_morris.png``."""
    from experiments.outputs import write_text
    from experiments.sensitivity import DESIGN, PROBLEM
    from experiments.sweep import describe_status, read_manifest, sweep_status

    sweep_dir = Path(sweep_dir)
    meta = json.loads((sweep_dir / PROBLEM).read_text(encoding="utf-8"))
    spec = spec_of(meta, statistic, splits)
    design = pd.read_csv(sweep_dir / DESIGN, float_precision="round_trip")
    man = read_manifest(sweep_dir)
    status = sweep_status(sweep_dir, man)
    if status["failed"] or status["missing"]:
        raise SystemExit("error: the effect screening needs every run:\n" + describe_status(status, sweep_dir))
    values = run_values(sweep_dir, man["runs"], spec.statistic, spec.indicators)
    scenarios = list(dict.fromkeys(values["scenario"]))
    if spec.baseline not in scenarios or len(scenarios) < 2:
        raise ConfigError("output.morris.effect.baseline", spec.baseline,
                          "a scenario of the sweep with at least one lever scenario beside it: " + ", ".join(scenarios))
    problem, x = meta["problem"], design.to_numpy()
    out = []
    for lever in [s for s in scenarios if s != spec.baseline]:
        for ind in spec.indicators:
            d = paired_effects(values, lever, spec.baseline, ind, len(design))
            y = np.nanmean(d, axis=1)
            if np.isnan(y).any():
                raise SystemExit(f"error: the effect of {lever} on {ind} is NaN at design rows "
                                 f"{list(np.flatnonzero(np.isnan(y)))[:10]}: no elementary effects")
            si = morris_indices(problem, x, y, meta["levels"], meta["seed"])
            floor, floor95 = noise_floor(problem, x, d, meta["levels"], spec.splits, spec.seed)
            df = pd.DataFrame({"scenario": lever, "baseline": spec.baseline, "indicator": ind,
                               "statistic": spec.statistic, "parameter": si["names"], "mu": si["mu"],
                               "mu_star": si["mu_star"], "sigma": si["sigma"], "mu_star_conf": si["mu_star_conf"],
                               "noise_floor": floor, "noise_floor_q95": floor95,
                               "above_noise": np.asarray(si["mu_star"]) > floor95,
                               "design_points": len(design), "seeds": d.shape[1]})
            df = df.sort_values("mu_star", ascending=False, kind="stable")
            df["rank"] = np.arange(1, len(df) + 1)
            out.append(df[COLUMNS])
    result = pd.concat(out, ignore_index=True)
    write_text(sweep_dir / EFFECT_MORRIS, result.to_csv(index=False, float_format="%.10g"))
    draw(result, sweep_dir / FIGURE)
    return result


def above_floor(result: pd.DataFrame) -> pd.Series:
    """Whether each index of an ``effect_morris.csv`` lies above its noise floor (``above_noise``, read back as
    booleans or as the text "True"/"False")."""
    return result["above_noise"].astype(str).str.lower().isin(("true", "1"))


def draw(result: pd.DataFrame, path: Path, lang: str = "en") -> None:
    """The figure of the report (experiments.report.ensemble_figures.effect_sensitivity), as a PNG file."""
    from abm.i18n import t
    from experiments.outputs import atomic_write
    import matplotlib

    from experiments.report.ensemble_figures import effect_sensitivity
    from experiments.report.figures import STYLE

    fig = effect_sensitivity(result, lambda k, **f: t(k, lang, **f), lambda i: t(f"indicator.{i}", lang),
                             lambda p: p, lambda s: t(f"report.scenario.{s}", lang) if _has(f"report.scenario.{s}") else s)
    with matplotlib.rc_context(STYLE):
        atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=130, facecolor="white"))


def _has(key: str) -> bool:
    from abm.i18n import table

    return key in table()
