"""The report's figures (matplotlib, object API: no pyplot state), each returned as a Figure so tests can
read its texts, and encoded as an embedded PNG by :func:`png_data_uri`.

Every text drawn comes from the caller's translator ``tr(key, **fmt)`` and label functions, so a
figure speaks the report's language.
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
from typing import Callable

import matplotlib
import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from abm.indicators import RANGES
from experiments.report.numbers import HEADLINE, SCALE, SERIES, unit
from experiments.horizon import CE_RATIOS, LAST_YEAR_MEAN, PERIOD_MEAN
from experiments.report.sweep import BASELINE, Sweep

STYLE = {
    "font.family": "DejaVu Sans", "font.size": 8.5, "axes.titlesize": 9, "axes.titleweight": "bold",
    "axes.labelsize": 8.5, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.color": "#dddddd", "grid.linewidth": 0.6, "axes.edgecolor": "#555555", "xtick.color": "#333333",
    "ytick.color": "#333333", "legend.frameon": False, "figure.dpi": 100, "savefig.dpi": 160,
}
#: Okabe-Ito, colour-blind safe; the baseline is always dark grey
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D31", "#7B3294"]
BASELINE_COLOUR = "#3a3a3a"
#: units in euro (axes with grouped thousands)
EUR = ("eur", "eur_total")
WIDTH = 7.4  # inches: the printed page's text width

Tr = Callable[..., str]


def colours(scenarios: list[str], dose: dict[str, float] | None = None, baseline: str = BASELINE) -> dict[str, str]:
    """One colour per scenario: ordered along viridis by dose when there is one, else the palette."""
    others = [s for s in scenarios if s != baseline]
    out = {baseline: BASELINE_COLOUR}
    if dose and all(s in dose for s in others) and others:
        order = sorted(others, key=dose.get)
        cmap = matplotlib.colormaps["viridis"]
        for i, s in enumerate(order):
            out[s] = matplotlib.colors.to_hex(cmap(0.08 + 0.64 * i / max(len(order) - 1, 1)))
    else:
        cmap = matplotlib.colormaps["tab20"]
        for i, s in enumerate(others):
            out[s] = PALETTE[i] if i < len(PALETTE) else matplotlib.colors.to_hex(cmap(i % 20))
    return out


def png_data_uri(fig: Figure) -> tuple[str, int, int]:
    """The figure as a base64 PNG data URI, with its pixel width and height."""
    buf = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format="png", facecolor="white")
    data = buf.getvalue()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii"), width, height


def texts(fig: Figure) -> list[str]:
    """Every non-empty text drawn in a figure (titles, labels, ticks, legends, annotations)."""
    return [a.get_text() for a in fig.findobj(matplotlib.text.Text) if a.get_text().strip()]


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _grid(n: int, cols: int = 2, row_height: float = 2.1) -> tuple[Figure, list]:
    """``n`` panels in rows of ``cols``, the figure as wide as the printed page."""
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(WIDTH, row_height * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    return fig, axes


def _legend(fig: Figure, handles: list, ncol: int = 3, title: str | None = None) -> None:
    fig.legend(handles=handles, loc="outside lower center", ncol=min(ncol, len(handles)), fontsize=8,
               handlelength=1.6, title=title, title_fontsize=8)


def _legend_in_spare(fig: Figure, axes: list, used: int, handles: list, title: str | None = None) -> None:
    """The legend in the first unused panel of the grid (or below the figure if there is none)."""
    for ax in axes[used:]:
        ax.set_visible(False)
    if len(axes) > used:
        spare = axes[used]
        spare.set_visible(True)
        spare.set_axis_off()
        spare.legend(handles=handles, loc="center", fontsize=8, title=title, title_fontsize=8, handlelength=1.8)
    else:
        _legend(fig, handles, title=title)


def _zero_axis(ax, axis: str) -> None:
    """An axis on which everything is exactly zero (e.g. no lever has a cost): one tick, at 0."""
    (ax.set_xlim if axis == "x" else ax.set_ylim)(-1, 1)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_locator(matplotlib.ticker.FixedLocator([0]))


def _clip(indicator: str, values):
    """A CI band kept inside the indicator's range (a share's band never goes below 0 or above 100 %)."""
    lo, hi = RANGES.get(indicator, (None, None))
    values = np.asarray(values, dtype=float)
    return np.clip(values, lo, hi) if lo is not None or hi is not None else values


def _scenario_handles(names: list[str], colour: dict[str, str], label: Callable[[str], str]) -> list:
    return [Line2D([], [], color=colour[s], lw=2.2, marker="o", ms=4, label=_wrap(label(s), 34)) for s in names]


def _unit_axis(tr: Tr, indicator: str, difference: bool) -> str:
    """The axis label of a value or a difference; a plain number's unit is already in the panel title."""
    u = unit(indicator)
    if u == "number":
        return tr("report.axis.diff_number") if difference else ""
    return tr(f"report.axis.{'diff' if difference else 'level'}_{u}")


def trajectories(traj: pd.DataFrame, scenarios: list[str], colour: dict[str, str], tr: Tr,
                 ind_label: Callable[[str], str], sc_label: Callable[[str], str],
                 legend_title: str | None = None) -> Figure | None:
    """Mean trajectory over seeds with its 95 % CI band, one panel per headline indicator."""
    if traj.empty:
        return None
    with matplotlib.rc_context(STYLE):
        fig, axes = _grid(len(SERIES))
        for ax, ind in zip(axes, SERIES):
            scale = SCALE[unit(ind)]
            for s in scenarios:
                d = traj[(traj["scenario"] == s) & (traj["indicator"] == ind)]
                if d.empty:
                    continue
                years = d["step"].to_numpy() / 52.0
                is_base = colour[s] == BASELINE_COLOUR
                ax.plot(years, d["mean"] * scale, color=colour[s], lw=2.0 if is_base else 1.6, ls="--" if is_base else "-")
                ax.fill_between(years, _clip(ind, d["ci_low"]) * scale, _clip(ind, d["ci_high"]) * scale,
                                color=colour[s], alpha=0.16, lw=0)
            ax.set_title(_wrap(ind_label(ind), 46), loc="left")
            ax.set_ylabel(_unit_axis(tr, ind, False))
            ax.set_xlabel(tr("report.axis.years"))
            if unit(ind) in EUR:
                ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands(tr)))
            shown = traj.loc[traj["indicator"] == ind, ["mean", "ci_low", "ci_high"]].to_numpy()
            if len(shown) and not np.any(np.nan_to_num(shown)):
                _zero_axis(ax, "y")
        _legend_in_spare(fig, axes, len(SERIES), _scenario_handles(scenarios, colour, sc_label),
                         None if legend_title is None else _wrap(legend_title, 40))
    return fig


def _thousands(tr: Tr):
    sep = tr("report.format.thousands_sep")
    return lambda x, _pos: "0" if round(x) == 0 else f"{x:,.0f}".replace(",", sep).replace("-", "\u2212")


def _errorbars(ax, y: float, e: pd.Series, scale: float, colour: str, marker: str = "o") -> None:
    lo, hi, m = e["ci_low"] * scale, e["ci_high"] * scale, e["diff_mean"] * scale
    filled = bool(e["distinguishable"])
    if np.isfinite(lo) and np.isfinite(hi):
        ax.plot([lo, hi], [y, y], color=colour, lw=2.0, solid_capstyle="round")
    ax.plot([m], [y], marker, ms=6.5, color=colour, mfc=colour if filled else "white", mew=1.6)


#: the two readings of an indicator in the effects figure: its mean over the whole horizon, over its last year
READINGS = ((PERIOD_MEAN, "o", 0.17), (LAST_YEAR_MEAN, "D", -0.17))


def effects(sweep: Sweep, colour: dict[str, str], tr: Tr, ind_label: Callable[[str], str],
            sc_label: Callable[[str], str], axis_title: str | None = None) -> Figure | None:
    """Difference from the baseline with its 95 % CI (filled: distinguishable from zero), averaged over the
    whole horizon (circle) and over its last year (diamond); the net present cost over the horizon."""
    names = [s for s in sweep.compared if any(sweep.effect(s, i) is not None for i in HEADLINE)]
    if not names:
        return None
    with matplotlib.rc_context(STYLE):
        cols = 4
        fig, axes = _grid(len(HEADLINE) + 1, cols=cols, row_height=1.1 + 0.36 * len(names))
        ypos = np.arange(len(names))[::-1]
        for k, (ax, ind) in enumerate(zip(axes, HEADLINE)):
            scale, values = SCALE[unit(ind)], []
            readings = READINGS if ind in SERIES else ((None, "o", 0.0),)
            for y, s in zip(ypos, names):
                for statistic, marker, dy in readings:
                    e = sweep.effect(s, ind, statistic)
                    if e is not None:
                        _errorbars(ax, y + dy, e, scale, colour[s], marker)
                        values += [e["diff_mean"], e["ci_low"], e["ci_high"]]
            effect_panel(ax, ind, [sc_label(s) for s in names] if k % cols == 0 else [], ypos, values, tr,
                         ind_label)
        key = axes[len(HEADLINE)]
        key.set_axis_off()
        grey = "#333333"
        key.legend(handles=[
            Line2D([], [], color=grey, marker="o", ms=6.5, lw=2, label=_wrap(tr("report.figure.marker_period"), 24)),
            Line2D([], [], color=grey, marker="D", ms=6, lw=2, label=_wrap(tr("report.figure.marker_last_year"), 24)),
            Line2D([], [], color=grey, marker="o", ms=6.5, lw=0, label=_wrap(tr("report.figure.marker_distinguishable"), 24)),
            Line2D([], [], color=grey, marker="o", ms=6.5, mfc="white", mew=1.6, lw=0,
                   label=_wrap(tr("report.figure.marker_not_distinguishable"), 24)),
        ], loc="center", fontsize=7.5)
        if axis_title:
            key.set_title(_wrap(tr("report.figure.scenarios_by", param=axis_title), 30), loc="left", fontsize=7.5,
                          fontweight="normal")
        for ax in axes[len(HEADLINE) + 1:]:
            ax.set_visible(False)
    return fig


def effect_panel(ax, ind: str, labels: list[str], ypos, values, tr: Tr, ind_label: Callable[[str], str]) -> None:
    """The frame of a panel of differences, one row per scenario: zero line, scenario labels (only where given),
    the indicator as title, its unit of difference, and a single tick at 0 when every value shown is 0."""
    ax.axvline(0, color="#222222", lw=0.9)
    ax.set_yticks(ypos, [_wrap(label, 22) for label in labels] if labels else [], fontsize=7.5)
    ax.set_ylim(-0.7, len(ypos) - 0.3)
    ax.grid(axis="y", visible=False)
    ax.set_title(_wrap(ind_label(ind), 20), loc="left", fontsize=8)
    ax.set_xlabel(_wrap(_unit_axis(tr, ind, True), 28), fontsize=7.5)
    ax.tick_params(axis="x", labelsize=7)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3 if unit(ind) in EUR else 4))
    if unit(ind) in EUR:
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands(tr)))
    if not np.any(np.nan_to_num(np.asarray(values, dtype=float))):
        _zero_axis(ax, "x")


#: the benefits on the cost-effectiveness frontier, added up over the horizon: indicator, sign (+1: more of it
#: is the benefit); the same as the cost-effectiveness ratios (experiments.horizon.CE_RATIOS)
BENEFITS = tuple((benefit, sign) for benefit, sign in CE_RATIOS.values())
#: the frontier's cost: the extra net present cost over the horizon
FRONTIER_COST = "cost_net_pv_eur"


def frontier(sweep: Sweep, colour: dict[str, str], tr: Tr, sc_label: Callable[[str], str],
             legend_title: str | None = None) -> Figure | None:
    """Extra net present cost over the horizon against each cumulative benefit, for every scenario, with the
    frontier of the scenarios no other scenario beats on both (cheaper and at least as good)."""
    names = [s for s in sweep.compared if sweep.effect(s, FRONTIER_COST) is not None]
    costs = {s: sweep.effect(s, FRONTIER_COST) for s in names}
    if not any(np.isfinite(c["diff_mean"]) and c["diff_mean"] > 0 for c in costs.values()):
        return None
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH, 3.0 + 0.2 * math.ceil((len(names) + 2) / 3)), layout="constrained")
        axes = fig.subplots(1, len(BENEFITS))
        for ax, (ind, sign) in zip(axes, BENEFITS):
            points = [(0.0, 0.0, sweep.baseline)]
            for s in names:
                e, c = sweep.effect(s, ind), costs[s]
                if e is None or not np.isfinite(e["diff_mean"]) or not np.isfinite(c["diff_mean"]):
                    continue
                x, y = c["diff_mean"] / 1000.0, sign * e["diff_mean"]
                ylo, yhi = sorted((sign * e["ci_low"], sign * e["ci_high"]))
                xlo, xhi = c["ci_low"] / 1000.0, c["ci_high"] / 1000.0
                ax.errorbar([x], [y], yerr=[[max(y - ylo, 0)], [max(yhi - y, 0)]] if np.isfinite(ylo) else None,
                            xerr=[[max(x - xlo, 0)], [max(xhi - x, 0)]] if np.isfinite(xlo) else None,
                            fmt="o", color=colour[s], ms=6.5, mfc=colour[s] if e["distinguishable"] else "white",
                            mew=1.6, elinewidth=1.2, capsize=0)
                points.append((x, y, s))
            xs, ys = _pareto(points)
            ax.plot(xs, ys, color="#777777", lw=1.4, ls="--", zorder=0)
            ax.plot([0], [0], "s", color=BASELINE_COLOUR, ms=6)
            ax.axhline(0, color="#222222", lw=0.8)
            ax.set_title(_wrap(tr(f"report.frontier.benefit_{ind}"), 30), loc="left")
            ax.set_xlabel(_wrap(tr("report.axis.extra_cost_pv_keur"), 30))
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands(tr)))
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
            ax.margins(x=0.25, y=0.2)
        handles = [Line2D([], [], color=BASELINE_COLOUR, marker="s", ls="", ms=6, label=_wrap(sc_label(sweep.baseline), 34))]
        handles += [Line2D([], [], color=colour[s], marker="o", ls="", ms=6, label=_wrap(sc_label(s), 34)) for s in names]
        handles.append(Line2D([], [], color="#777777", ls="--", lw=1.4, label=_wrap(tr("report.figure.frontier_line"), 34)))
        _legend(fig, handles, title=None if legend_title is None else _wrap(legend_title, 60))
    return fig


#: the parts of the net present cost in the cost figure: measure, colour, hatch; the remaining value is drawn
#: as a hatch over the end of the capital it is part of, and subtracted
COST_PARTS = (("cost_running_pv_eur", "#56B4E9", None), ("cost_capital_pv_eur", "#E69F00", None),
              ("residual_value_pv_eur", "none", "////"))


def costs(sweep: Sweep, colour: dict[str, str], tr: Tr, sc_label: Callable[[str], str],
          shown: Callable[[float], str]) -> Figure | None:
    """Left: each scenario's extra net present cost over the horizon (the headline's number, written by
    ``shown``) built from its parts: running and capital costs in present value, minus the present value of
    what the capital leaves at the horizon. Right: money spent in each year of the horizon (undiscounted)."""
    names = [s for s in sweep.compared if sweep.effect(s, FRONTIER_COST) is not None]
    years = sweep.cost_by_year
    if not names and years.empty:
        return None
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH, 1.9 + 0.55 * max(len(names), 3)), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1.25, 1])
        ypos = np.arange(len(names))[::-1]
        for y, s in zip(ypos, names):
            at = 0.0
            for measure, face, hatch in COST_PARTS:
                e = sweep.effect(s, measure)
                v = float(e["diff_mean"]) if e is not None and np.isfinite(e["diff_mean"]) else 0.0
                width = -v if measure.startswith("residual") else v
                left.barh([y - 0.1], [width], left=[at], height=0.45, color=face, hatch=hatch, lw=0.8,
                          edgecolor="#8a5a00" if hatch else face)
                at += width
            e = sweep.effect(s, FRONTIER_COST)
            net = float(e["diff_mean"])
            if np.isfinite(e["ci_low"]) and np.isfinite(e["ci_high"]):
                left.plot([e["ci_low"], e["ci_high"]], [y - 0.1, y - 0.1], color="#111111", lw=1.4, zorder=3)
            left.plot([net], [y - 0.1], "o", color="#111111", ms=5.5, zorder=4)
            left.annotate(f"{shown(net)} EUR", (net, y + 0.13), xytext=(3, 0), textcoords="offset points", ha="left",
                          va="bottom", fontsize=7.5, fontweight="bold", gid="net-pv")
        left.axvline(0, color="#222222", lw=0.9)
        left.set_yticks(ypos, [_wrap(sc_label(s), 24) for s in names], fontsize=7.5)
        left.set_ylim(-0.6, max(len(names), 1) - 0.3)
        left.grid(axis="y", visible=False)
        left.set_title(_wrap(tr("report.figure.costs_left"), 50), loc="left")
        left.set_xlabel(_wrap(tr("report.axis.extra_cost_pv_eur"), 50))
        left.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands(tr)))
        left.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        left.margins(x=0.12)
        parts = [matplotlib.patches.Patch(facecolor=COST_PARTS[1][1] if hatch else face, hatch=hatch,
                                          edgecolor="#8a5a00" if hatch else face,
                                          label=_wrap(tr(f"report.figure.costs_{measure}"), 30))
                 for measure, face, hatch in COST_PARTS]
        parts.append(Line2D([], [], color="#111111", marker="o", ms=5.5, lw=1.4,
                            label=_wrap(tr("report.figure.costs_net"), 30)))
        if not years.empty:
            total = years.groupby(["scenario", "year"], sort=False)["mean"].sum().reset_index()
            for s in sweep.scenario_names:
                d = total[total["scenario"] == s].sort_values("year")
                if d.empty or not d["mean"].any():
                    continue
                right.plot(d["year"], d["mean"], "o-", color=colour[s], lw=1.6, ms=4.5, label=_wrap(sc_label(s), 30))
            right.set_xticks(sorted(total["year"].unique()))
        right.set_title(_wrap(tr("report.figure.costs_right"), 30), loc="left")
        right.set_xlabel(tr("report.axis.year_of_horizon"))
        right.set_ylabel(tr("report.axis.eur_spent"))
        right.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands(tr)))
        right.set_ylim(bottom=0)
        _legend(fig, parts + right.get_legend_handles_labels()[0], ncol=3)
    return fig


def _pareto(points: list[tuple[float, float, str]]) -> tuple[list[float], list[float]]:
    """Points not dominated (no other point is at most as costly and strictly better), by cost."""
    best, xs, ys = -np.inf, [], []
    for x, y, _ in sorted(points, key=lambda p: (p[0], -p[1])):
        if y > best:
            best = y
            xs.append(x)
            ys.append(y)
    return xs, ys


def dose_response(sweep: Sweep, param: str, dose: dict[str, float], tr: Tr, ind_label: Callable[[str], str],
                  param_label: str) -> Figure | None:
    """Mean at the horizon (95 % CI) against the dose, the baseline as a dashed band."""
    names = sorted((s for s in dose if s in sweep.scenario_names), key=dose.get)
    if len(names) < 2:
        return None
    with matplotlib.rc_context(STYLE):
        fig, axes = _grid(len(HEADLINE))
        for ax, ind in zip(axes, HEADLINE):
            scale = SCALE[unit(ind)]
            rows = [(dose[s], sweep.level(s, ind)) for s in names]
            rows = [(x, r) for x, r in rows if r is not None]
            if rows:
                x = np.array([r[0] for r in rows])
                m = np.array([r[1]["mean"] for r in rows]) * scale
                lo = _clip(ind, [r[1]["ci_low"] for r in rows]) * scale
                hi = _clip(ind, [r[1]["ci_high"] for r in rows]) * scale
                ax.fill_between(x, lo, hi, color=PALETTE[0], alpha=0.18, lw=0)
                ax.plot(x, m, "o-", color=PALETTE[0], ms=4.5, lw=1.6)
            base = sweep.level(sweep.baseline, ind) if sweep.baseline not in dose else None
            if base is not None:
                ax.axhline(base["mean"] * scale, color=BASELINE_COLOUR, ls="--", lw=1.2)
                band = _clip(ind, [base["ci_low"], base["ci_high"]]) * scale
                ax.axhspan(band[0], band[1], color=BASELINE_COLOUR, alpha=0.08, lw=0)
            ax.set_title(_wrap(ind_label(ind), 46), loc="left")
            ax.set_ylabel(_unit_axis(tr, ind, False))
            ax.set_xlabel(_wrap(param_label, 50))
            if unit(ind) in EUR:
                ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands(tr)))
            levels = [r[k] for _, r in rows for k in ("mean", "ci_low", "ci_high")] + (
                [base["mean"]] if base is not None else [])
            if levels and not np.any(np.nan_to_num(levels)):
                _zero_axis(ax, "y")
        handles = [Line2D([], [], color=PALETTE[0], marker="o", lw=1.6,
                          label=_wrap(tr("report.figure.dose_mean"), 36))]
        if sweep.baseline not in dose and sweep.level(sweep.baseline, HEADLINE[0]) is not None:
            handles.append(Line2D([], [], color=BASELINE_COLOUR, ls="--", lw=1.2,
                                  label=_wrap(tr("report.figure.baseline_level"), 36)))
        _legend_in_spare(fig, axes, len(HEADLINE), handles)
    return fig


#: the breakdown shown in the who-benefits figure
BY_TYPE_SHOWN = ("isolated_share", "needs_unmet_share", "trust_mean", "participation_share")


def by_type(sweep: Sweep, types: list[str], colour: dict[str, str], tr: Tr, ind_label: Callable[[str], str],
            type_label: Callable[[str], str], sc_label: Callable[[str], str],
            legend_title: str | None = None) -> Figure | None:
    """Mean over the horizon per household type and scenario (95 % CI)."""
    g = sweep.groups
    shown = [i for i in BY_TYPE_SHOWN if (g["indicator"] == i).any()] if not g.empty else []
    if not shown:
        return None
    names = [s for s in sweep.scenario_names if (g["scenario"] == s).any()]
    step = 0.8 / max(len(names), 1)
    with matplotlib.rc_context(STYLE):
        fig, axes = _grid(len(shown), row_height=0.9 + 0.34 * len(types) + 0.04 * len(types) * len(names))
        for k, (ax, ind) in enumerate(zip(axes, shown)):
            scale = SCALE[unit(ind)]
            for j, s in enumerate(names):
                d = g[(g["scenario"] == s) & (g["indicator"] == ind)].set_index("household_type")
                for i, ht in enumerate(types):
                    if ht not in d.index:
                        continue
                    r = d.loc[ht]
                    y = len(types) - 1 - i + 0.4 - (j + 0.5) * step
                    ax.plot(_clip(ind, [r["ci_low"], r["ci_high"]]) * scale, [y, y], color=colour[s], lw=1.6)
                    ax.plot([r["mean"] * scale], [y], "o", color=colour[s], ms=4)
            ax.set_yticks(np.arange(len(types))[::-1], [_wrap(type_label(t), 22) for t in types] if k % 2 == 0 else [])
            ax.set_ylim(-0.6, len(types) - 0.4)
            ax.grid(axis="y", visible=False)
            ax.set_title(_wrap(ind_label(ind), 46), loc="left")
            ax.set_xlabel(_unit_axis(tr, ind, False))
        for ax in axes[len(shown):]:
            ax.set_visible(False)
        _legend(fig, _scenario_handles(names, colour, sc_label), title=legend_title)
    return fig
