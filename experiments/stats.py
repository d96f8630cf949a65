"""Statistics of the aggregation: means with t-based 95 % intervals over seeds, paired differences, and
ratio (cost-effectiveness) intervals by a paired bootstrap with a fixed seed (same input, same output)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 20240601


@dataclass(frozen=True)
class Interval:
    n: int
    mean: float
    sd: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return bool(self.low > 0 or self.high < 0)


def t_interval(values, level: float = LEVEL) -> Interval:
    """Mean, sd (ddof 1) and the t-based interval of the non-NaN values; n counts them.

    One value: sd and interval NaN.  Identical values: the interval is the value itself."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Interval(1, mean, math.nan, math.nan, math.nan)
    if x.min() == x.max():  # a fixed cost, say: exactly the value (a mean of equal floats may be off by an ulp)
        return Interval(n, float(x[0]), 0.0, float(x[0]), float(x[0]))
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(n, mean, sd, mean - half, mean + half)


def paired(a, b) -> np.ndarray:
    """``a - b`` over the pairs where both are not NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep] - b[keep]


def ratio_of_means(cost: np.ndarray, benefit: np.ndarray) -> float:
    """mean(cost) / mean(benefit); NaN when the mean benefit is not positive (no gain to pay for)."""
    b = float(np.mean(benefit)) if len(benefit) else math.nan
    if not b > 0:
        return math.nan
    return float(np.mean(cost)) / b


def ratio_interval(cost, benefit, level: float = LEVEL) -> tuple[float, float, float]:
    """Paired extra cost over paired extra benefit: (estimate, low, high).

    The estimate is :func:`ratio_of_means`.  The interval is the percentile interval of the same ratio
    over bootstrap resamples of the pairs (fixed seed); a resample whose mean benefit is not positive
    counts as an unbounded cost per unit (+inf), so an uncertain benefit gives an open upper end.
    NaN interval when the estimate is NaN or there are fewer than two pairs."""
    cost, benefit = np.asarray(cost, dtype=float), np.asarray(benefit, dtype=float)
    keep = ~(np.isnan(cost) | np.isnan(benefit))
    cost, benefit = cost[keep], benefit[keep]
    est = ratio_of_means(cost, benefit)
    if math.isnan(est) or len(cost) < 2:
        return est, math.nan, math.nan
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    idx = rng.integers(0, len(cost), size=(BOOTSTRAP_SAMPLES, len(cost)))
    c, b = cost[idx].mean(axis=1), benefit[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(b > 0, c / np.where(b > 0, b, 1.0), np.inf)
    lo, hi = np.quantile(r, [0.5 - level / 2, 0.5 + level / 2], method="inverted_cdf")
    return est, float(lo), float(hi)
