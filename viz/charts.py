"""Live indicator charts: one small matplotlib figure per indicator, redrawn by blitting.

Axes, ticks and the grey line of the previous run are drawn once into a background; each frame only
restores it, draws the current lines and encodes the picture as PNG (a few milliseconds, against
~100 ms for a full ``savefig``).  The background is redrawn only when the axes must grow (a new year,
a higher value), the language changes or the runs are replaced.  Matplotlib renders locally (no CDN).
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from PIL import Image

from abm.indicators import RANGES
from viz.labels import t

WEEKS_PER_YEAR = 52
#: line colour and style of each side; the previous run is grey
STYLE = {"A": {"color": "#1d6fa5", "ls": "-"}, "B": {"color": "#d1495b", "ls": "--"}}
PREVIOUS = {"color": "#9a9a9a", "ls": "-", "lw": 2.2, "alpha": 0.8}


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above ``x`` (axes grow in readable steps)."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * k >= x:
            return m * k
    return 10 * k


def euro(v: float, lang: str) -> str:
    """An axis tick in euro, short (k€, M€), with the language's decimal mark (0,5 € in Italian)."""
    scale, suffix = (1e6, " M€") if abs(v) >= 1e6 else (1e3, " k€") if abs(v) >= 1e3 else (1.0, " €")
    text = f"{v / scale:g}"
    return (text.replace(".", ",") if lang == "it" else text) + suffix


class LiveChart:
    """The chart of one indicator (weeks on x in years, the indicator on y)."""

    def __init__(self, indicator: str, width: float = 3.3, height: float = 1.7, dpi: int = 130):
        self.indicator = indicator
        self.share = RANGES.get(indicator, (0.0, None))[1] == 1.0
        self.fig = Figure(figsize=(width, height), dpi=dpi, facecolor="white")
        FigureCanvasAgg(self.fig)
        left = 0.23 if indicator.startswith("cost_") else 0.17  # room for "100 k€"
        self.ax = self.fig.add_axes((left, 0.27, 0.96 - left, 0.68))
        ax = self.ax
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(labelsize=11, colors="#444444", length=3, pad=2)
        ax.grid(True, color="#e4e4e4", lw=0.8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        if self.share:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        elif indicator.startswith("cost_"):
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: euro(v, self.lang)))
        else:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        self.previous_line = ax.plot([], [], **PREVIOUS)[0]
        self.lines = {side: ax.plot([], [], lw=2.8, animated=True, **style)[0] for side, style in STYLE.items()}
        self._background = None
        self._key = None
        self._ymax = 1.0
        self.lang = "it"

    def _axes_for(self, n_weeks: int, values: list[np.ndarray], lang: str, generation: int):
        xmax = max(1, math.ceil(max(n_weeks - 1, 1) / WEEKS_PER_YEAR))
        if self.share:
            ymax = 1.0
        else:
            finite = [v[np.isfinite(v)] for v in values if len(v)]
            top = max((float(v.max()) for v in finite if len(v)), default=0.0)
            if self._key is None or self._key[3] != generation:
                self._ymax = 1.0
            self._ymax = max(self._ymax, _nice_ceiling(top * 1.05))
            ymax = self._ymax
        return (xmax, ymax, lang, generation)

    def render(self, series: dict[str, np.ndarray], previous: np.ndarray | None, lang: str,
               generation: int = 0) -> bytes:
        """PNG of the chart: ``series`` maps side ("A", "B") to weekly values; ``previous`` is drawn grey."""
        values = list(series.values()) + ([previous] if previous is not None else [])
        n_weeks = max((len(v) for v in values), default=1)
        key = self._axes_for(n_weeks, values, lang, generation)
        canvas = self.fig.canvas
        if key != self._key:
            xmax, ymax, _, _ = key
            if previous is not None:
                self.previous_line.set_data(np.arange(len(previous)) / WEEKS_PER_YEAR, previous)
            else:
                self.previous_line.set_data([], [])
            self.ax.set_xlim(0, xmax)
            self.ax.set_ylim(0, ymax)
            self.lang = key[2]  # the euro ticks' decimal mark
            self.ax.set_xlabel(t("app.chart.years", lang), fontsize=11, color="#444444", labelpad=1)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._key = key
        canvas.restore_region(self._background)
        for side, line in self.lines.items():
            y = series.get(side)
            if y is None:
                continue
            line.set_data(np.arange(len(y)) / WEEKS_PER_YEAR, y)
            self.ax.draw_artist(line)
        return _png(canvas)


def _png(canvas) -> bytes:
    image = Image.fromarray(np.asarray(canvas.buffer_rgba())[:, :, :3])
    out = io.BytesIO()
    image.save(out, format="png", compress_level=1)
    return out.getvalue()
