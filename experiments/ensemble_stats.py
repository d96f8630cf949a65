"""Statistics of a posterior ensemble: parametric against stochastic uncertainty.

In an ensemble sweep every scenario runs on K parameter sets drawn from a posterior (experiments.ensemble)
and S seeds each, paired by (set, seed).  A value (a level, or a paired effect) of set k and seed s is read
as ``y_ks = mu + a_k + e_ks``: ``a_k`` the effect of the parameters (variance ``var_between``, parametric
uncertainty) and ``e_ks`` the seed's noise (variance ``var_within``, stochastic uncertainty).

- **per set**: its mean over seeds ``m_k`` (the effect under that parameter set);
- **across sets**: the mean ``mu = mean_k m_k`` (every set is an equally likely draw of the posterior), the
  standard deviation of the ``m_k`` (``sd``), their 5th and 95th percentiles (``q05``, ``q95``: the
  distribution of the effect over the posterior), and the **90 % prediction interval** of the seed-averaged
  effect under a parameter set drawn from the posterior, ``mu ± t(0.95, K-1) sd sqrt(1 + 1/K)``: it holds
  the parametric spread, the seed noise left in a set's mean, and the uncertainty of ``mu`` itself.  This is
  the interval an ensemble sweep's headline shows;
- **variance decomposition** (one-way random-effects analysis of variance, method of moments, unbalanced
  sets allowed): ``var_within = MSW`` (pooled variance of the seeds around their set's mean) and
  ``var_between = max(0, (MSB - MSW) / n0)``, with ``n0 = (N - sum n_k^2 / N) / (K - 1)`` (``= S`` when
  every set has S values); ``parametric_share = var_between / (var_between + var_within)``: the share of a
  single run's variance due to the parameters;
- **probability of improvement**: the share of sets whose mean effect ``m_k`` lies in the desirable
  direction (strictly);
- **cost-effectiveness per set**: ``mean_s(extra cost) / mean_s(extra benefit)`` over the set's seeds (no
  value when the set's mean benefit is not positive), and which scenario has the lowest in each set.  Only a
  scenario whose benefit in that set stands out from seed noise competes (:meth:`Decomposition.beyond_noise`):
  with a few seeds per set, a measure without any effect has a positive mean benefit in about half the sets by
  chance, and there its cost per unit can be the lowest of all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from experiments.stats import Interval, ratio_of_means

#: the level of an ensemble's intervals: 5th to 95th percentile
LEVEL = 0.90


@dataclass(frozen=True)
class Decomposition:
    #: values (runs or pairs) that are not NaN, and the sets with at least one
    n: int
    n_sets: int
    mean: float
    sd: float
    low: float
    high: float
    q05: float
    q95: float
    var_between: float
    var_within: float
    #: each set's mean over its seeds, and how many values it had (index: set)
    set_means: pd.Series
    set_counts: pd.Series

    @property
    def parametric_share(self) -> float:
        total = self.var_between + self.var_within
        return self.var_between / total if total > 0 else math.nan

    def interval(self) -> Interval:
        """As the aggregate's tables hold it: n, mean, sd (across sets), the 90 % prediction interval."""
        return Interval(self.n, self.mean, self.sd, self.low, self.high)

    def p_improve(self, direction: int) -> float:
        """Share of sets whose mean effect is strictly in ``direction`` (+1 higher is better, -1 lower); NaN
        when no direction is desirable or there is no set."""
        if not direction or not self.n_sets:
            return math.nan
        return float((direction * self.set_means > 0).mean())

    def beyond_noise(self, level: float = LEVEL) -> pd.Series:
        """Per set, whether its mean (a benefit) is positive beyond seed noise: above
        ``t(0.5 + level / 2, N - K) sqrt(var_within / n_k)``, the one-sided bound (95 % at the default level) that
        the mean of ``n_k`` seeds of a measure without effect stays under, with the pooled within-set variance
        (N - K degrees of freedom).  Without seed noise (every seed of a set alike) a positive mean is enough;
        with one seed per set the noise cannot be told and a positive mean is taken as it is."""
        if self.n_sets == 0:
            return pd.Series(dtype=bool)
        if self.n <= self.n_sets or not self.var_within > 0:
            return self.set_means > 0
        t = float(stats.t.ppf(0.5 + level / 2, self.n - self.n_sets))
        return self.set_means > t * np.sqrt(self.var_within / self.set_counts)


def decompose(values, sets, level: float = LEVEL) -> Decomposition:
    """The ensemble's statistics of ``values`` (one per run or pair) labelled by parameter ``sets``; NaN left out."""
    y = pd.Series(np.asarray(values, dtype=float), index=pd.Index(np.asarray(sets), name="set")).dropna()
    g = y.groupby(level=0, sort=True)
    means, counts = g.mean(), g.size()
    n, k = len(y), len(means)
    nan = math.nan
    if k == 0:
        return Decomposition(0, 0, nan, nan, nan, nan, nan, nan, nan, nan, means, counts)
    m = means.to_numpy()
    mu = float(m.mean())
    if k == 1:
        sd = low = high = nan
    elif m.min() == m.max():  # every set gives the same value: exactly it (as experiments.stats.t_interval)
        sd, low, high = 0.0, float(m[0]), float(m[0])
        mu = float(m[0])
    else:
        sd = float(m.std(ddof=1))
        half = float(stats.t.ppf(0.5 + level / 2, k - 1)) * sd * math.sqrt(1 + 1 / k)
        low, high = mu - half, mu + half
    q05, q95 = (float(q) for q in np.quantile(m, [0.5 - level / 2, 0.5 + level / 2]))
    within = float(((y - means.reindex(y.index).to_numpy()) ** 2).sum()) / (n - k) if n > k else nan
    if k > 1 and not math.isnan(within):
        grand = float((counts * means).sum() / n)
        msb = float((counts * (means - grand) ** 2).sum()) / (k - 1)
        n0 = (n - float((counts ** 2).sum()) / n) / (k - 1)
        between = max(0.0, (msb - within) / n0)
    else:
        between = nan
    return Decomposition(n, k, mu, sd, low, high, q05, q95, between, within, means, counts)


# --- cost-effectiveness over the ensemble ------------------------------------------------------------------
def _set_means(cost, benefit, sets) -> pd.DataFrame:
    """Per set, the mean extra cost ``c`` and benefit ``b`` over its seeds (pairs with a NaN left out)."""
    df = pd.DataFrame({"c": np.asarray(cost, dtype=float), "b": np.asarray(benefit, dtype=float),
                       "set": np.asarray(sets)}).dropna()
    return df.groupby("set", sort=True)[["c", "b"]].mean()


def ratios_by_set(cost, benefit, sets) -> pd.Series:
    """Per set, extra cost over extra benefit, ratio of the means over its seeds (pairs with a NaN left out);
    NaN where the set's mean benefit is not positive."""
    means = _set_means(cost, benefit, sets)
    return (means["c"] / means["b"].where(means["b"] > 0)).astype(float)


def ratio_over_sets(cost, benefit, sets, level: float = LEVEL) -> tuple[float, float, float]:
    """(estimate, low, high): the mean over sets of the extra cost over the mean over sets of the extra benefit,
    and the 5th and 95th percentiles over sets of each set's ratio, a set without a positive benefit counting
    as an unbounded cost per unit (+inf: an open upper end)."""
    means = _set_means(cost, benefit, sets)
    if means.empty:
        return math.nan, math.nan, math.nan
    est = ratio_of_means(means["c"].to_numpy(), means["b"].to_numpy())
    if math.isnan(est) or len(means) < 2:
        return est, math.nan, math.nan
    r = (means["c"] / means["b"].where(means["b"] > 0)).fillna(np.inf).to_numpy()
    lo, hi = np.quantile(r, [0.5 - level / 2, 0.5 + level / 2], method="inverted_cdf")
    return est, float(lo), float(hi)


def most_cost_effective(ratios: pd.DataFrame) -> pd.Series:
    """``ratios``: one row per set, one column per scenario (NaN: no positive benefit in that set).  The share of
    sets in which each scenario has the lowest cost per unit of benefit (a tie shares the set); sets where no
    scenario has a benefit count for none, so the shares sum to the share of sets with one."""
    if ratios.empty:
        return pd.Series(0.0, index=ratios.columns)
    r = ratios.to_numpy(dtype=float)
    best = np.nanmin(np.where(np.isnan(r), np.inf, r), axis=1, keepdims=True)
    wins = (r == best) & np.isfinite(best)
    share = np.where(wins.any(axis=1, keepdims=True), wins / np.maximum(wins.sum(axis=1, keepdims=True), 1), 0.0)
    return pd.Series(share.mean(axis=0), index=ratios.columns)
