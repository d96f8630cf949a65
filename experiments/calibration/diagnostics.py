"""What a calibration writes after its last generation: the posterior, the posterior predictive check and the
fit of every target, and a prior-against-posterior plot per parameter.

The predictive check draws ``calibration.predictive.draws`` parameter sets from the posterior (by weight)
and runs each with fresh seeds (stream ``predictive``), for the calibrated targets and those kept for
validation; a target's predictive median and 90 % band are the median and the 5th and 95th percentiles of
its statistic (mean over the draw's seeds) over the draws.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.calibration.evaluate import seeds_for
from experiments.calibration.posterior import Posterior, effective_sample_size

PLOTS = "prior_posterior"


def posterior_of(setup, history) -> Posterior:
    df, w = history.get_distribution(m=0, t=history.max_t)
    eps = history.get_all_populations().set_index("t")["epsilon"]
    meta = {"calibration": setup.cal.name, "fingerprint": setup.fingerprint, "run_id": int(history.id),
            "generation": int(history.max_t), "epsilon": float(eps[history.max_t]), "model": list(setup.cal.model),
            "targets": setup.used, "replicates": setup.cal.replicates, "seed": setup.cal.seed}
    return Posterior(setup.priors, df.reset_index(drop=True), np.asarray(w, dtype=float), meta)


def _predict(job):
    evaluator, values, seeds = job
    return evaluator.evaluate(values, seeds)


def _map(cal, jobs: list, sampler=None) -> list:
    """Run ``_predict`` over ``jobs`` with the calibration's workers, in order (Dask: the sampler's client)."""
    kind, n = cal.sampler.kind, cal.sampler.n_procs
    if kind == "dask" and sampler is not None:
        client = sampler.client
        return client.gather(client.map(_predict, jobs, pure=False))
    if kind == "single" or n == 1 or len(jobs) <= 1:
        return [_predict(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_predict, jobs))


def predictive(setup, post: Posterior, sampler=None) -> pd.DataFrame:
    """One row per posterior draw: the parameter values and each target's statistic (mean over its seeds)."""
    cal = setup.cal
    names = setup.used + setup.validation
    draws = post.draw(cal.predictive.draws, seed=int(np.random.SeedSequence([cal.seed, 1]).generate_state(1)[0]))
    evaluator = setup.evaluator(names)
    jobs = []
    for i, row in draws.iterrows():
        values = {k: float(row[k]) for k in setup.priors}
        jobs.append((evaluator, values, seeds_for(cal.seed, "predictive", values, cal.predictive.replicates, i)))
    results = _map(cal, jobs, sampler)
    df = draws.copy()
    df.insert(0, "draw", np.arange(len(df)))
    for n in names:
        df[n] = [r[n] for r in results]
    return df


def fit_table(setup, pred: pd.DataFrame) -> pd.DataFrame:
    """Each target: observed, se, predictive median and 90 % band, z of the median, whether the band holds it."""
    rows = []
    for n, t in setup.targets.items():
        role = ("calibrated" if n in setup.used else "validation" if n in setup.validation
                else "skipped" if n in setup.skipped else None)
        if role is None:
            continue
        x = pred[n].to_numpy(dtype=float) if n in pred else np.array([])
        x = x[~np.isnan(x)]
        med, lo, hi = (np.quantile(x, [0.5, 0.05, 0.95]) if len(x) else (np.nan,) * 3)
        rows.append({"target": n, "label": t.label, "role": role, "statistic": t.statistic, "unit": t.unit,
                     "observed": t.observed, "se": t.se, "median": med, "q05": lo, "q95": hi, "draws": len(x),
                     "z": (med - t.observed) / t.se, "in_band": bool(lo <= t.observed <= hi) if len(x) else None,
                     "requires": t.requires or ""})
    return pd.DataFrame(rows)


# --- figures ---------------------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    from experiments.outputs import atomic_write

    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=110, bbox_inches="tight"))
    _plt().close(fig)


def fit_figure(fit: pd.DataFrame, path: Path) -> None:
    """Each computed target on one axis in units of its standard error: the observed value at 0 (grey: +-1 se),
    the posterior predictive 90 % band and median, and the raw numbers beside it."""
    plt = _plt()
    fit = fit[fit["role"] != "skipped"].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(fit) + 1.2))
    y = np.arange(len(fit))[::-1]
    ax.axvspan(-1, 1, color="0.9", zorder=0)
    ax.axvline(0, color="0.4", lw=1)
    for yi, r in zip(y, fit.itertuples()):
        z = lambda v, r=r: (v - r.observed) / r.se  # noqa: E731
        colour = "tab:blue" if r.role == "calibrated" else "tab:orange"
        ax.plot([z(r.q05), z(r.q95)], [yi, yi], color=colour, lw=4, alpha=0.6, solid_capstyle="butt")
        ax.plot([z(r.median)], [yi], "o", color=colour)
        ax.annotate(f"obs {r.observed:.3g} ± {r.se:.2g}; model {r.median:.3g} [{r.q05:.3g}; {r.q95:.3g}] {r.unit}",
                    (1.01, yi), xycoords=("axes fraction", "data"), fontsize=7, va="center")
    ax.set_yticks(y, [f"{r.label} ({r.role})" for r in fit.itertuples()], fontsize=8)
    ax.set_xlabel("(model - observed) / standard error: posterior predictive median and 90 % band")
    ax.set_title("Calibration targets: observed (0, grey band ±1 se) against the model", fontsize=10)
    _save(fig, path)


def parameter_figure(post: Posterior, key: str, path: Path) -> None:
    """The prior (uniform density) against the weighted posterior histogram of one parameter."""
    plt = _plt()
    p = post.priors[key]
    x = post.values[key].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ess = effective_sample_size(post.weights)
    ax.hist(x, bins=20, range=(p.lo, p.hi), weights=post.weights, density=True, color="tab:blue", alpha=0.6,
            label=f"posterior: {len(x)} particles, effective {ess:.1f}")
    ax.plot([p.lo, p.lo, p.hi, p.hi], [0, 1 / (p.hi - p.lo), 1 / (p.hi - p.lo), 0], color="0.3", lw=1.5,
            label=f"prior: uniform [{p.lo:g}, {p.hi:g}]")
    order = np.argsort(x)
    cdf = np.cumsum(post.weights[order])
    lo, med, hi = (x[order][min(np.searchsorted(cdf, q), len(x) - 1)] for q in (0.05, 0.5, 0.95))
    ax.axvline(med, color="tab:blue", lw=1)
    ax.set_title(f"{key}\nposterior median {med:.3g}, 90 % interval [{lo:.3g}; {hi:.3g}]", fontsize=9)
    ax.set_xlabel(key + (" (rounded when set)" if p.integer else ""))
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    _save(fig, path)


def write_all(setup, history, gens: pd.DataFrame, out: Path, sampler=None) -> None:
    from experiments.outputs import write_text

    out = Path(out)
    write_text(out / "generations.csv", gens.to_csv(index=False))
    post = posterior_of(setup, history)
    post.write(out)
    (out / PLOTS).mkdir(exist_ok=True)
    for key in setup.priors:
        parameter_figure(post, key, out / PLOTS / f"{key}.png")
    if setup.cal.predictive.draws:
        pred = predictive(setup, post, sampler)
        write_text(out / "predictive.csv", pred.to_csv(index=False, float_format="%.17g"))
        fit = fit_table(setup, pred)
        write_text(out / "fit.csv", fit.to_csv(index=False))
        fit_figure(fit, out / "fit.png")
