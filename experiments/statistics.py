"""Summary statistics of a run: what a calibration target (``configs/targets/``) is compared with.

Every statistic is a function ``f(run, **args) -> float`` in :data:`STATISTICS`, computed from one finished
run (:class:`Run`): the model at the end of the run (read through its public state, never changed) and its
weekly frames (one row per week, as in ``timeseries.parquet`` and ``by_group.parquet``).  A target names the
function and its arguments; :func:`check_args` refuses unknown functions and bad arguments before any run.

Run years: year ``y`` (1, 2, ...) is weeks ``52 (y - 1) + 1`` to ``52 y`` after week 0 (the state after the
warm-up, row 0 of the frames).  A statistic whose denominator is empty is NaN, never 0 (the catalogue's rule).
"""

from __future__ import annotations

import inspect
from functools import cached_property

import numpy as np
import pandas as pd

from abm.errors import ConfigError
from abm.indicators import BY_TYPE, INDICATORS, LEVERS
from abm.vocabulary import HOUSEHOLD_TYPES, TYPE_CODE

YEAR = 52


class Run:
    """A finished run as the statistics see it: the model at its last week and its weekly frames.

    Frames are built from the model's data collector when first asked for (or given, for tests and for runs
    read back from disk): ``timeseries`` has a ``step`` column and one column per indicator; ``by_group`` is
    tidy (``step``, ``household_type``, ``indicator``, ``value``).
    """

    def __init__(self, model=None, timeseries: pd.DataFrame | None = None, by_group: pd.DataFrame | None = None):
        self.model = model
        if timeseries is not None:
            self.__dict__["timeseries"] = timeseries
        if by_group is not None:
            self.__dict__["by_group"] = by_group

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        from experiments.outputs import timeseries

        return timeseries(self.model)

    @cached_property
    def by_group(self) -> pd.DataFrame:
        from experiments.outputs import by_group

        return by_group(self.model)


def _weeks_of(years) -> np.ndarray:
    years = np.asarray(list(years), dtype=np.int64)
    return np.concatenate([np.arange(YEAR * (y - 1) + 1, YEAR * y + 1) for y in years])


def _rows(steps: pd.Series, years, name: str) -> np.ndarray:
    weeks = _weeks_of(years)
    have = np.isin(weeks, steps.to_numpy())
    if not have.all():
        raise ValueError(f"{name}: the run has no week {int(weeks[~have][0])} (years {list(years)} need "
                         f"{int(weeks.max())} weeks)")
    return np.isin(steps.to_numpy(), weeks)


def nanmean(x) -> float:
    """Mean of the values that are not NaN (NaN if none is)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else float("nan")


# --- from the weekly frames ---------------------------------------------------------------------------------
def mean_over_years(run: Run, indicator: str, years: list[int]) -> float:
    """Mean of a weekly indicator over every week of the given run years (weeks where it is NaN left out)."""
    ts = run.timeseries
    return nanmean(ts[indicator].to_numpy()[_rows(ts["step"], years, "mean_over_years")])


def year_end_mean(run: Run, indicator: str, years: list[int]) -> float:
    """Mean over the given run years of the indicator at each year's last week (week ``52 y``).

    For indicators over a trailing 52-week window (``turnover_per_year``, ``conflicts_resolved_share``,
    ``reciprocity``) the value at week ``52 y`` is the figure of year ``y`` itself.
    """
    series = run.timeseries.set_index("step")[indicator]
    ends = [YEAR * y for y in years]
    missing = [w for w in ends if w not in series.index]
    if missing:
        raise ValueError(f"year_end_mean: the run has no week {missing[0]}")
    return nanmean(series.loc[ends].to_numpy())


def group_mean_over_years(run: Run, indicator: str, household_type: str, years: list[int]) -> float:
    """Mean over the weeks of the given run years of one household type's value of a by-type indicator."""
    bg = run.by_group
    part = bg[(bg["indicator"] == indicator) & (bg["household_type"] == household_type)]
    return nanmean(part["value"].to_numpy()[_rows(part["step"], years, "group_mean_over_years")])


# --- from the model at the end of the run --------------------------------------------------------------------
def _occupied(model) -> np.ndarray:
    return np.flatnonzero(model.households.occupied)


def isolated_share_aged(run: Run, household_type: str, min_age: float) -> float:
    """Share of households of one type whose head is at least ``min_age``, with no tie, at the last week."""
    hh = run.model.households
    occ = _occupied(run.model)
    mask = (hh.htype[occ] == TYPE_CODE[household_type]) & (hh.age_head[occ] >= min_age)
    if not mask.any():
        return float("nan")
    return float(np.mean(run.model.ties.degree()[occ][mask] == 0))


def strong_tie_share(run: Run) -> float:
    """Share of households with at least one strong tie (strength >= ``encounters.strong_threshold``), last week."""
    model = run.model
    occ = _occupied(model)
    if not len(occ):
        return float("nan")
    return float(np.mean(model.ties.degree(model.config.encounters.strong_threshold)[occ] > 0))


def tenancy_longer_than_share(run: Run, years: float) -> float:
    """Share of households that moved in more than ``years`` years before the last week."""
    model = run.model
    occ = _occupied(model)
    if not len(occ):
        return float("nan")
    return float(np.mean(model.week - model.households.moved_in[occ] > years * YEAR))


def no_support_share_aged(run: Run, household_type: str, min_age: float) -> float:
    """Share of households of one type whose head is at least ``min_age`` with nobody to count on at the last
    week: no tie with a neighbour and no relatives who help (``kin``, channel 1 of help, ODD 7.5)."""
    hh = run.model.households
    occ = _occupied(run.model)
    mask = (hh.htype[occ] == TYPE_CODE[household_type]) & (hh.age_head[occ] >= min_age)
    if not mask.any():
        return float("nan")
    alone = (run.model.ties.degree()[occ] == 0) & ~hh.kin[occ]
    return float(np.mean(alone[mask]))


def helping_tie_share(run: Run, hours: float) -> float:
    """Expected share of households a neighbour would help with a need of ``hours`` hours, at the last week:
    the mean over occupied households of ``1 - prod over its ties (1 - p_yes)``, ``p_yes`` the willingness of
    the tie's other end to help over that tie (``help.willingness``, ODD 7.5: strength, need size, trust,
    reciprocity, fragility, free time left).  A household without a tie counts 0."""
    model = run.model
    occ = _occupied(model)
    if not len(occ):
        return float("nan")
    ties = model.ties
    edges = np.arange(len(ties))
    log_no = np.zeros(len(model.households.occupied))
    for asker, helper in ((ties.u, ties.v), (ties.v, ties.u)):
        p = model.help.willingness(model, helper, edges, np.full(len(edges), float(hours)))
        with np.errstate(divide="ignore"):
            np.add.at(log_no, asker, np.log1p(-p))
    return float(np.mean(1.0 - np.exp(log_no[occ])))


def participation_share_year(run: Run) -> float:
    """Share of households that took part in a collective activity (ODD 7.12: residents' own activities,
    assemblies, the levers' events) in the 52 weeks up to the last week."""
    model = run.model
    occ = _occupied(model)
    if not len(occ):
        return float("nan")
    return float(np.mean(model.week - model.households.last_participation[occ] < YEAR))


def _timebank_members(model) -> np.ndarray | None:
    banks = [lever for lever in model.levers if lever.name == "timebank"]
    if not banks:
        return None
    return np.concatenate([bank.members.slots() for bank in banks])


def timebank_members(run: Run) -> float:
    """Members of the time bank(s) at the last week (NaN without a time bank)."""
    members = _timebank_members(run.model)
    return float("nan") if members is None else float(len(members))


def timebank_members_aged_share(run: Run, min_age: float) -> float:
    """Share of time-bank member households whose head is at least ``min_age``, at the last week."""
    members = _timebank_members(run.model)
    if members is None or not len(members):
        return float("nan")
    return float(np.mean(run.model.households.age_head[members] >= min_age))


def lever_acts_per_100_year(run: Run, lever: str, acts: list[str]) -> float:
    """What a lever did (the sum of the named counts of its summary since week 0, e.g. the mediation's
    ``referrals`` and ``escalations``) per 100 households a year: over the households at the last week and
    the weeks run (NaN without that lever)."""
    model = run.model
    activity = model.lever_activity().get(lever)
    n = len(_occupied(model))
    if activity is None or not n or not model.week:
        return float("nan")
    return 100.0 * sum(float(activity[a]) for a in acts) / n * YEAR / model.week


STATISTICS = {f.__name__: f for f in (
    mean_over_years, year_end_mean, group_mean_over_years, isolated_share_aged, strong_tie_share,
    tenancy_longer_than_share, no_support_share_aged, helping_tie_share, participation_share_year,
    timebank_members, timebank_members_aged_share, lever_acts_per_100_year,
)}


# --- checking a target's statistic and arguments before any run ------------------------------------------------
def _check_indicator(key, value, name):
    allowed = BY_TYPE if name == "group_mean_over_years" else tuple(INDICATORS)
    if value not in allowed:
        raise ConfigError(key, value, "one of " + ", ".join(allowed))


def _check_type(key, value, name):
    if value not in HOUSEHOLD_TYPES:
        raise ConfigError(key, value, "one of " + ", ".join(HOUSEHOLD_TYPES))


def _check_years(key, value, name, steps=None):
    if not (isinstance(value, (list, tuple)) and value
            and all(isinstance(y, int) and not isinstance(y, bool) and y >= 1 for y in value)):
        raise ConfigError(key, value, "a non-empty list of run years (whole numbers >= 1)")
    if steps is not None and max(value) * YEAR > steps:
        raise ConfigError(key, list(value), f"years within the run: it has {steps} weeks, year {max(value)} "
                                            f"ends at week {max(value) * YEAR}")


def _check_number(key, value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise ConfigError(key, value, "a number >= 0")


def _check_lever(key, value, name):
    if value not in LEVERS:
        raise ConfigError(key, value, "one of " + ", ".join(LEVERS))


def _check_acts(key, value, name, counts=None):
    if not (isinstance(value, (list, tuple)) and value and all(isinstance(a, str) for a in value)):
        raise ConfigError(key, value, "a non-empty list of names of the lever's counts")
    if counts is not None:
        for i, a in enumerate(value):
            if a not in counts:
                raise ConfigError(f"{key}[{i}]", a, "one of the lever's counts: " + ", ".join(counts))


#: statistics that read a lever, whatever their arguments
NEEDS_LEVER = {"timebank_members": "timebank", "timebank_members_aged_share": "timebank"}

#: how each argument name is checked, whatever the statistic
ARG_CHECKS = {"indicator": _check_indicator, "household_type": _check_type, "years": _check_years,
              "min_age": _check_number, "hours": _check_number, "lever": _check_lever, "acts": _check_acts}


def lever_counts(model, lever: str) -> list[str] | None:
    """Names of the counts a lever of ``model`` reports (None if the model has no such lever)."""
    activity = model.lever_activity().get(lever)
    return None if activity is None else [k for k, v in activity.items() if isinstance(v, (int, float))]


def check_args(key: str, name: str, args: dict, steps: int | None = None, model=None) -> None:
    """Refuse an unknown statistic, missing or unknown arguments, and bad values (ConfigError naming ``key``).

    ``steps`` (the run's horizon) checks run years; ``model`` (a model of the target's scenario, built but
    not run) checks a lever's count names and that the lever is switched on."""
    if name not in STATISTICS:
        raise ConfigError(f"{key}.statistic", name, "one of " + ", ".join(STATISTICS))
    sig = inspect.signature(STATISTICS[name])
    try:
        sig.bind(None, **args)
    except TypeError as e:
        params = [p for p in sig.parameters if p != "run"]
        raise ConfigError(f"{key}.args", dict(args),
                          f"the arguments of {name}: {', '.join(params) or 'none'} ({e})") from None
    for arg, value in args.items():
        check = ARG_CHECKS.get(arg)
        if check is _check_years:
            check(f"{key}.args.{arg}", value, name, steps)
        elif check is _check_acts:
            counts = lever_counts(model, args.get("lever")) if model is not None else None
            check(f"{key}.args.{arg}", value, name, counts)
        elif check is not None:
            check(f"{key}.args.{arg}", value, name)
    lever = args.get("lever", NEEDS_LEVER.get(name))
    if model is not None and lever is not None and lever_counts(model, lever) is None:
        raise ConfigError(f"{key}.scenario", lever, f"a scenario with the {lever} lever on (e.g. policy={lever})")


def compute(name: str, run: Run, args: dict) -> float:
    """The statistic ``name`` of ``run`` with ``args``."""
    return float(STATISTICS[name](run, **args))
