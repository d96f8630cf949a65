"""What the report shows of a posterior ensemble, of the calibration behind it, and of the global sensitivity of
lever effects: the template's data, computed from the aggregate's files in the report's language.

- :func:`probabilities`: per compared scenario and headline indicator, the probability that it improves the
  indicator (ensemble_effects.csv's ``p_improve``);
- :func:`best`: per cumulative benefit, the probability that each scenario is the most cost-effective
  (ensemble_best.csv), and the share of sets in which none gains;
- :func:`calibration`: what was calibrated to what (the calibration's calibration.json and fit.csv, copied
  into the sweep's ``ensemble/`` with the posterior it names): targets with their sources and fit, and the
  calibrated parameters with their prior range and posterior median and 90 % interval;
- :func:`sensitivity`: the Morris indices of the lever effects with their noise floor (effect_morris.csv).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from experiments.calibration.posterior import effective_sample_size
from experiments.effect_sensitivity import above_floor
from experiments.horizon import CE_RATIOS, headline_statistic
from experiments.report.numbers import DESIRABLE, HEADLINE

#: calibration outputs whose name says they are no calibration of the model (the shipped placeholder)
PLACEHOLDER_CALIBRATIONS = ("test",)


def intro(c) -> dict | None:
    """The ensemble's facts for the texts: sets, seeds per set, the posterior file and calibration."""
    e = c.sweep.ensemble
    if not e:
        return None
    return {"sets": len(e.get("sets_completed") or e.get("sets") or []), "seeds": e.get("seeds_per_set", "–"),
            "posterior": _short(e.get("source", "")), "calibration": e.get("calibration") or "–",
            "draw_seed": e.get("seed", "–"), "particles": e.get("particles", "–"),
            "params": len(e.get("parameters") or [])}


def _short(path: str) -> str:
    """A posterior's path relative to the project when it is inside it (as the command line named it)."""
    from experiments.ensemble import ROOT

    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def probabilities(c) -> dict | None:
    """Rows: each compared scenario; cells: the share of parameter sets in which it improves each headline
    indicator (the indicators with a desirable direction)."""
    if c.sweep.ensemble_effects.empty:
        return None
    inds = [i for i in HEADLINE if DESIRABLE.get(i, 0)]
    rows = []
    for s in c.sweep.compared:
        cells = []
        for i in inds:
            e = c.sweep.ensemble_effect(s, i)
            p = float(e["p_improve"]) if e is not None else math.nan
            cells.append({"text": _pct(c, p), "p": repr(p), "cls": _prob_class(p)})
        rows.append({"id": s, "label": c.scenario(s), "colour": c.colour.get(s), "cells": cells})
    cols = [{"id": i, "label": c.indicator(i), "statistic": headline_statistic(i)} for i in inds]
    return {"cols": cols, "rows": rows}


def _pct(c, p: float) -> str:
    return f"{c.num(100 * p, 0)} %" if math.isfinite(p) else "–"


def _prob_class(p: float) -> str:
    if not math.isfinite(p):
        return "missing"
    return "better" if p >= 0.9 else "worse" if p <= 0.1 else "nd"


def best(c) -> dict | None:
    """Rows: each compared scenario, then the sets in which no scenario gains; columns: the cumulative benefits."""
    b = c.sweep.ensemble_best
    if b.empty:
        return None
    names = [n for n in CE_RATIOS if (b["ratio"] == n).any()]
    rows = []
    for s in c.sweep.compared:
        cells = []
        for n in names:
            r = b[(b["ratio"] == n) & (b["scenario"] == s)]
            p = float(r["p_best"].iloc[0]) if len(r) else math.nan
            cells.append({"text": _pct(c, p), "p": repr(p), "ratio": n})
        rows.append({"id": s, "label": c.scenario(s), "colour": c.colour.get(s), "cells": cells})
    none = [1.0 - float(b[b["ratio"] == n]["p_best"].sum()) for n in names]
    return {"cols": [{"id": n, "label": c.indicator(n)} for n in names], "rows": rows,
            "none": [{"text": _pct(c, max(p, 0.0)), "p": repr(p)} for p in none]}


def calibration(c) -> dict | None:
    """The calibration behind the ensemble's posterior: its facts, targets (source, observed, fit), parameters."""
    info = intro(c)
    post = c.sweep.posterior
    if info is None or post is None:
        return None
    cal = c.sweep.calibration or {}
    details = cal.get("target_details") or {}
    fit = c.sweep.fit
    targets = []
    for r in (fit.to_dict("records") if not fit.empty else []):
        d = details.get(r["target"]) or _target_from_sets(r["target"])
        src = (d or {}).get("source") or {}
        label = (d or {}).get("label_it") if c.lang == "it" else None
        unit_text = (d or {}).get("unit_it") if c.lang == "it" else None
        computed = r["role"] != "skipped" and np.isfinite(r.get("median", math.nan))
        targets.append({
            "id": r["target"], "label": label or r.get("label") or r["target"],
            "unit": unit_text or r.get("unit") or "", "role": c.tr(f"report.calibration.role_{r['role']}"),
            "observed": _g(c, r["observed"]), "se": _g(c, r["se"]),
            "model": f"{_g(c, r['median'])} [{_g(c, r['q05'])}; {_g(c, r['q95'])}]" if computed else "–",
            "z": c.num(r["z"], 1, sign=True) if computed else "–",
            "in_band": bool(r.get("in_band")) if computed else None,
            # the table's description is in English in the target sets: the Italian report cites without it
            "source": ", ".join(str(x) for x in (src.get("publisher"), src.get("year"), src.get("title"),
                                                  src.get("table") if c.lang == "en" else None) if x),
            "url": src.get("url") or "", "data": {"observed": repr(float(r["observed"])),
                                                  "median": repr(float(r["median"])) if computed else "nan"}})
    params = []
    for key, prior in post.priors.items():
        x = post.values[key].to_numpy(dtype=float)
        lo, med, hi = _weighted_quantiles(x, post.weights, (0.05, 0.5, 0.95))
        params.append({"key": key, "label": c.param(key), "prior": f"[{_g(c, prior.lo)}; {_g(c, prior.hi)}]",
                       "posterior": f"{_g(c, med)} [{_g(c, lo)}; {_g(c, hi)}]"})
    placeholder = (cal.get("calibration") or post.meta.get("calibration")) in PLACEHOLDER_CALIBRATIONS or \
        "placeholder" in info["posterior"]
    ess = effective_sample_size(post.weights)
    return {**info, "targets": targets, "parameters": params, "placeholder": placeholder,
            "ess": c.num(ess, 1), "few_sets": ess < MIN_EFFECTIVE_SETS, "n_particles": len(post.weights),
            "generation": post.meta.get("generation", "–"), "epsilon": _g(c, post.meta.get("epsilon", math.nan)),
            "model": list(post.meta.get("model") or []), "n_params": len(params)}


#: below this effective sample size the posterior is close to a few parameter sets, and the report says that
#: its intervals understate the uncertainty about the parameters (assumption: 10 sets, the smallest ensemble the
#: default job draws)
MIN_EFFECTIVE_SETS = 10.0


def _g(c, x) -> str:
    """A number with three significant digits in the report's convention."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(x):
        return "–"
    if x == 0:
        return c.num(0, 0)
    decimals = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    return c.num(x, min(decimals, 6))


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, qs) -> list[float]:
    order = np.argsort(x)
    cdf = np.cumsum(w[order])
    return [float(x[order][min(int(np.searchsorted(cdf, q)), len(x) - 1)]) for q in qs]


def _target_from_sets(name: str) -> dict | None:
    """A target's fields from the target sets of configs/targets/ (for a calibration.json without them)."""
    import yaml

    from abm.config import CONFIG_DIR

    for path in sorted((CONFIG_DIR / "targets").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if name in data:
            return data[name]
    return None


def sensitivity(c) -> dict | None:
    """The effect sensitivity's facts, and per screened scenario and indicator a row that sets the largest index
    above the noise floor beside the effect this sweep measured (same statistic): how far one assumed parameter
    can move the effect, against its size."""
    df = c.sweep.effect_sensitivity
    if df.empty:
        return None
    df = df.assign(above=above_floor(df))
    first = df.iloc[0]
    calibrated = set((c.sweep.ensemble or {}).get("parameters") or [])  # their uncertainty is in the intervals
    rows, rivals = [], 0
    for (sc, ind), d in df.groupby([df["scenario"].astype(str), df["indicator"].astype(str)], sort=False):
        ranked = d[d["above"]].sort_values("mu_star", ascending=False, kind="stable")
        fixed = ranked[~ranked["parameter"].isin(calibrated)]
        effect = _sweep_effect(c, sc, ind, str(first["statistic"]))
        u = c.short_unit(ind)
        if len(fixed) and effect is not None and float(fixed["mu_star"].iloc[0]) >= abs(effect[0]):
            rivals += 1
        rows.append({"scenario": c.scenario(sc), "indicator": c.indicator(ind),
                     "effect": "–" if effect is None else (f"{c.value(ind, effect[0], sign=True)}{u} [" + "; ".join(
                         c.value(ind, x, sign=True) for x in effect[1:]) + "]"),
                     "largest": _index(c, ind, ranked.iloc[0], calibrated) if len(ranked) else "–",
                     "largest_fixed": _index(c, ind, fixed.iloc[0], calibrated) if len(fixed) else "–",
                     "floor": f"{c.value(ind, float(d['noise_floor_q95'].max()))}{u}",
                     "above": f"{int(d['above'].sum())} / {len(d)}"})
    return {"scenarios": ", ".join(c.scenario(s) for s in dict.fromkeys(df["scenario"].astype(str))),
            "statistic": c.tr(f"report.statistic.{first['statistic']}"), "params": df["parameter"].nunique(),
            "points": int(first["design_points"]), "seeds": int(first["seeds"]),
            "below": int((~df["above"]).sum()), "rows_count": len(df), "table": rows,
            "rivals": rivals, "effects": len(rows)}


def _index(c, indicator: str, row, calibrated: set[str]) -> str:
    """A Morris index as the report shows it: mu* in the indicator's unit, its parameter, and whether the
    sweep's posterior calibrates it (its uncertainty is then in the intervals)."""
    mark = f"; {c.tr('report.sensitivity.calibrated_mark')}" if row["parameter"] in calibrated else ""
    value = f"{c.value(indicator, float(row['mu_star']))}{c.short_unit(indicator)}"
    return f"{value} ({c.param(str(row['parameter']))}{mark})"


def _sweep_effect(c, scenario: str, indicator: str, statistic: str) -> tuple[float, float, float] | None:
    """The effect of ``scenario`` on ``indicator`` in this sweep by ``statistic`` and its interval (over
    parameter sets in an ensemble, over seeds otherwise); None when the sweep did not run it."""
    e = c.sweep.ensemble_effect(scenario, indicator, statistic)
    cols = ("mean", "pi_low", "pi_high") if e is not None else ("diff_mean", "ci_low", "ci_high")
    e = e if e is not None else c.sweep.effect(scenario, indicator, statistic)
    if e is None or not np.isfinite(float(e[cols[0]])):
        return None
    return tuple(float(e[k]) for k in cols)
