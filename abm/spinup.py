"""The spin-up: the baseline schedule of every submodel runs before week 0 until the state is steady.

ODD: 3.2 "Spin-up".  The model runs its weekly schedule (encounters, residents' cooperatives, needs and
help through every channel, formal services, conflict, tie decay, wellbeing, moving) without levers and
without collecting indicators, for at least ``min_weeks``; then every ``check_every`` weeks it compares the
means of a few monitored indicators over the last two windows of ``window`` weeks.  The state is steady
when every difference is within its tolerance (absolute for shares and means in [0, 1], relative for
counts); the spin-up stops there, or at ``max_weeks`` (then ``converged`` is False).  The levers are built
after it, so every policy of a seed starts from the same state.

This module holds the parameters and the stop rule (a pure function of the monitored series, so it can be
tested on a synthetic series); the model runs the weeks (``NeighbourhoodModel.spin_up``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from abm.errors import ConfigError
from abm.params import param


def _absolute():
    return {"trust_mean": 0.01, "satisfaction_mean": 0.015, "isolated_share": 0.03, "occupancy_share": 0.02}


def _relative():
    return {"ties_mean": 0.06, "conflicts_open": 0.3}


@dataclass
class SpinupParams:
    """When the spin-up before week 0 stops (docs/ODD.md, 3.2)."""

    #: weeks the spin-up runs at least (the trailing windows of the indicators are full from 52 on)
    min_weeks: int = param(520, lo=0, hi=5200)
    #: weeks the spin-up runs at most (then it stops and records that it did not converge)
    max_weeks: int = param(1040, lo=0, hi=5200)
    #: length of each of the two windows whose means are compared
    window: int = param(52, lo=1, hi=520)
    #: weeks between two comparisons
    check_every: int = param(13, lo=1, hi=520)
    #: whether households move and age during the spin-up: "renew" (they do: the population renews itself
    #: as in the run), "keep" (they do not: the households at week 0 are the initial ones, e.g. those of a
    #: households CSV, with the ties, trust and conflicts they would have), "auto" (keep with a households CSV,
    #: renew otherwise)
    households: str = param("auto", choices=("auto", "renew", "keep"))
    #: monitored indicators compared by absolute difference of their window means, and the tolerance
    tolerance_abs: dict[str, float] = param(default_factory=_absolute, lo=0.0, hi=1.0)
    #: monitored indicators compared by relative difference |b - a| / |a|, and the tolerance
    tolerance_rel: dict[str, float] = param(default_factory=_relative, lo=0.0, hi=10.0)

    def check(self, prefix: str) -> None:
        from abm.indicators import INDICATORS

        if self.max_weeks < self.min_weeks:
            raise ConfigError(f"{prefix}max_weeks", self.max_weeks, f"a number >= min_weeks ({self.min_weeks})")
        for name in ("tolerance_abs", "tolerance_rel"):
            for key, tol in getattr(self, name).items():
                if key not in MONITORABLE:
                    raise ConfigError(f"{prefix}{name}.{key}", tol, "indicators " + ", ".join(MONITORABLE))
        both = set(self.tolerance_abs) & set(self.tolerance_rel)
        if both:
            key = sorted(both)[0]
            raise ConfigError(f"{prefix}tolerance_rel.{key}", self.tolerance_rel[key],
                              "an indicator not also in tolerance_abs")
        assert set(MONITORABLE) <= set(INDICATORS)

    def renews(self, households_csv: str) -> bool:
        """Whether households move out, move in and age during the spin-up."""
        return self.households == "renew" or (self.households == "auto" and not households_csv)

    def monitored(self) -> list[str]:
        return [*self.tolerance_abs, *self.tolerance_rel]


#: indicators of the model's state (not of events in a trailing window, nor of levers) that the stop rule
#: may monitor
MONITORABLE = ("trust_mean", "satisfaction_mean", "isolated_share", "isolated_elderly_alone_share", "ties_mean",
               "strong_ties_mean", "occupancy_share", "conflicts_open", "waiting_list", "rent_burden_share")


def differences(series: dict[str, np.ndarray], window: int) -> dict[str, float]:
    """For each monitored series, the mean of its last ``window`` values minus the mean of the ``window``
    before (NaN if the series is shorter than two windows)."""
    out = {}
    for name, x in series.items():
        if len(x) < 2 * window:
            out[name] = float("nan")
            continue
        out[name] = float(np.mean(x[-window:]) - np.mean(x[-2 * window:-window]))
    return out


def steady(series: dict[str, np.ndarray], p: SpinupParams) -> bool:
    """The stop rule on the monitored series (one value per week so far): every absolute difference of the
    last two window means within ``tolerance_abs``, every relative one within ``tolerance_rel``.  A relative
    difference of a series whose earlier mean is 0 is 0 if the later one is 0 too, infinite otherwise."""
    diff = differences(series, p.window)
    for name, tol in p.tolerance_abs.items():
        if not abs(diff[name]) <= tol:
            return False
    for name, tol in p.tolerance_rel.items():
        x = series[name]
        if len(x) < 2 * p.window:
            return False
        before = abs(float(np.mean(x[-2 * p.window:-p.window])))
        d = abs(diff[name])
        if not (d == 0.0 or (before > 0 and d / before <= tol)):
            return False
    return True


class Monitor:
    """Records the monitored indicators week by week and applies the stop rule."""

    def __init__(self, p: SpinupParams):
        self.p = p
        self.values: dict[str, list[float]] = {name: [] for name in p.monitored()}
        #: whether the stop rule was met (False while running, and if the spin-up ended at ``max_weeks``)
        self.converged = False

    def record(self, state) -> None:
        """Values of this week (``state``: an ``abm.indicators.State`` of the model)."""
        from abm.indicators import INDICATORS

        for name, values in self.values.items():
            values.append(state.value(INDICATORS[name]))

    def series(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(v, dtype=float) for name, v in self.values.items()}

    def done(self, weeks: int) -> bool:
        """Whether the spin-up stops after ``weeks`` weeks: at ``max_weeks``, or at a check week at least
        ``min_weeks`` (and two windows) in when the state is steady."""
        p = self.p
        if weeks >= max(p.min_weeks, 2 * p.window) and weeks % p.check_every == 0:
            self.converged = steady(self.series(), p)
            if self.converged:
                return True
        return weeks >= p.max_weeks


@dataclass
class SpinupResult:
    """What the spin-up did: weeks run, whether the stop rule was met, the last differences it saw."""

    weeks: int
    converged: bool
    differences: dict[str, float]


#: the settings of a run the spin-up does not depend on: the policy (its levers are built after the spin-up),
#: the horizon and the outputs; the seed is the other half of what a spun-up state depends on
NOT_SPINUP = ("seed", "policy", "steps", "output")


def spinup_settings(config) -> dict:
    """The settings of a run's configuration (an ``abm.config.SimConfig``) that its spin-up depends on."""
    d = dataclasses.asdict(config)
    for key in NOT_SPINUP:
        d.pop(key)
    return d
