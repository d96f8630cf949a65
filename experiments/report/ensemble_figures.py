"""The report's figures of a posterior ensemble and of the global sensitivity of lever effects (matplotlib, object
API; every text from the caller's translator, as in :mod:`experiments.report.figures`)."""

from __future__ import annotations

import math
from typing import Callable

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from experiments.effect_sensitivity import above_floor
from experiments.horizon import PERIOD_MEAN
from experiments.report.figures import STYLE, Tr, _grid, _unit_axis, _wrap, effect_panel
from experiments.report.numbers import DESIRABLE, HEADLINE, SCALE, unit
from experiments.report.sweep import Sweep

#: the panels of the ensemble figure: the headline indicators with a desirable direction
ENSEMBLE_PANELS = tuple(i for i in HEADLINE if DESIRABLE.get(i, 0))


def ensemble(sweep: Sweep, colour: dict[str, str], tr: Tr, ind_label: Callable[[str], str],
             sc_label: Callable[[str], str]) -> Figure | None:
    """Per headline indicator and scenario: the effect (mean over the horizon, paired by set and seed) under each
    parameter set of the ensemble (a dot per set, its mean over seeds), their mean and 90 % prediction interval,
    and the probability of improvement written beside."""
    sets = sweep.ensemble_sets
    names = [s for s in sweep.compared if not sets.empty and (sets["scenario"] == s).any()]
    if not names:
        return None
    with matplotlib.rc_context(STYLE):
        cols = 4
        fig, axes = _grid(len(ENSEMBLE_PANELS) + 1, cols=cols, row_height=1.2 + 0.4 * len(names))
        ypos = np.arange(len(names))[::-1]
        for k, (ax, ind) in enumerate(zip(axes, ENSEMBLE_PANELS)):
            scale, shown = SCALE[unit(ind)], []
            for y, s in zip(ypos, names):
                d = sets[(sets["scenario"] == s) & (sets["indicator"] == ind) & (sets["statistic"] == PERIOD_MEAN)]
                x = d["diff_mean"].to_numpy(dtype=float) * scale
                jitter = np.linspace(-0.18, 0.18, len(x)) if len(x) > 1 else np.zeros(len(x))
                ax.plot(x, y + jitter, "o", ms=3.2, color=colour[s], alpha=0.55, mew=0)
                e = sweep.effect(s, ind, PERIOD_MEAN)
                if e is not None and np.isfinite(e["diff_mean"]):
                    if np.isfinite(e["ci_low"]):
                        ax.plot([e["ci_low"] * scale, e["ci_high"] * scale], [y - 0.3, y - 0.3], color=colour[s], lw=2)
                    ax.plot([e["diff_mean"] * scale], [y - 0.3], "D", ms=5, color=colour[s])
                    shown += [e["ci_low"], e["ci_high"]]
                p = sweep.ensemble_effect(s, ind, PERIOD_MEAN)
                if p is not None and np.isfinite(p["p_improve"]):
                    ax.annotate(f"P {100 * p['p_improve']:.0f} %", (0.99, y + 0.3), xycoords=("axes fraction", "data"),
                                fontsize=6.5, ha="right", va="bottom", color="#333333", gid="p-improve")
                shown += list(x / scale) if scale else []
            effect_panel(ax, ind, [sc_label(s) for s in names] if k % cols == 0 else [], ypos, shown, tr, ind_label)
        key = axes[len(ENSEMBLE_PANELS)]
        key.set_axis_off()
        grey = "#333333"
        key.legend(handles=[
            Line2D([], [], color=grey, marker="o", ms=3.5, lw=0, alpha=0.6, label=_wrap(tr("report.ensemble.marker_set"), 26)),
            Line2D([], [], color=grey, marker="D", ms=5, lw=2, label=_wrap(tr("report.ensemble.marker_interval"), 26)),
            Line2D([], [], lw=0, label=_wrap(tr("report.ensemble.marker_probability"), 26)),
        ], loc="center", fontsize=7.5)
        for ax in axes[len(ENSEMBLE_PANELS) + 1:]:
            ax.set_visible(False)
    return fig


def effect_sensitivity(df: pd.DataFrame, tr: Tr, ind_label: Callable[[str], str], par_label: Callable[[str], str],
                       sc_label: Callable[[str], str]) -> Figure | None:
    """Per lever scenario and indicator: the Morris mu* of each parameter for the lever's effect (bars, largest
    first) and the noise floor (dashed line: the mu* seed noise alone gives, 95th percentile over seed splits).
    An index above the floor is drawn at its value; one below it only as what is known of it, an upper bound:
    a hatched outline up to the floor, never a value that chance alone could have given."""
    if df.empty:
        return None
    panels = list(dict.fromkeys(zip(df["scenario"].astype(str), df["indicator"].astype(str))))
    n_par = df["parameter"].nunique()
    with matplotlib.rc_context(STYLE):
        fig, axes = _grid(len(panels), cols=1, row_height=0.9 + 0.22 * n_par)
        for ax, (sc, ind) in zip(axes, panels):
            d = df[(df["scenario"].astype(str) == sc) & (df["indicator"].astype(str) == ind)]
            d = d.assign(above=above_floor(d))
            # top down: the indices above the floor by size, then those below it by name (their order is chance)
            d = pd.concat([d[~d["above"]].sort_values("parameter", ascending=False), d[d["above"]].sort_values("mu_star")])
            scale = SCALE[unit(ind)]
            y = np.arange(len(d))
            above = d["above"].to_numpy()
            floor = float(d["noise_floor_q95"].max()) * scale
            ax.barh(y[above], d["mu_star"].to_numpy()[above] * scale, color="#0072B2", height=0.7, gid="index")
            if math.isfinite(floor):
                ax.barh(y[~above], floor, height=0.7, facecolor="none", edgecolor="#999999", hatch="///", lw=0.6,
                        gid="below-floor")
                ax.axvline(floor, color="#D55E00", ls="--", lw=1.2, gid="noise-floor")
            ax.set_yticks(y, [_wrap(par_label(p), 44) for p in d["parameter"]], fontsize=7)
            ax.grid(axis="y", visible=False)
            ax.set_title(_wrap(f"{sc_label(sc)}: {ind_label(ind)}", 90), loc="left", fontsize=8)
            ax.set_xlabel(_wrap(tr("report.sensitivity.axis", unit=_unit_axis(tr, ind, True)), 90), fontsize=7.5)
            ax.tick_params(axis="x", labelsize=7)
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        fig.legend(handles=[Patch(facecolor="#0072B2", label=tr("report.sensitivity.index_label")),
                            Patch(facecolor="none", edgecolor="#999999", hatch="///", label=tr("report.sensitivity.bound_label")),
                            Line2D([], [], color="#D55E00", ls="--", lw=1.2, label=tr("report.sensitivity.floor_label"))],
                   loc="outside lower center", fontsize=7.5, ncols=3)
    return fig
