"""The horizon account of a run: its costs and effects over a window of weeks, as a policy team counts them.

A run writes what each lever spent each week (``costs.parquet``: step, lever, payer, kind, eur, asset,
service_week; :meth:`abm.levers.base.Lever.costs`) and its indicators each week (``timeseries.parquet``).
From these, for a window of weeks (docs/SWEEPS.md, "Costs and effects over the horizon"):

- **costs** by payer (and for all payers): the total spent, running and capital apart, its present value at
  ``discount_rate`` (a week ``w`` counts ``(1 + r)^-((w - start) / 52)``), the remaining value at the end of
  the window of the assets that capital created (straight-line over each asset's life; works not finished
  keep their cost), the net present value (present value minus that of the remaining value) and the
  equivalent annual cost (the constant yearly amount which, spent week by week over the window, has the same
  present value);
  capital also by the asset it creates;
- **effects**: every indicator's mean over the window's weeks and over its last ``last_year_weeks`` weeks,
  and what adds up over the period: household-years of isolation, needs met by neighbours, conflicts resolved.

The window runs from week ``start_week`` (money spent in it counts: set-up) to ``end_week`` (the run's last
week by default); effects are observed at the end of each of its weeks ``start_week + 1 .. end_week``.
The settings are a dataclass registered with Hydra (:func:`settings` composes it with command-line style
overrides: ``discount_rate=0.03``); its defaults are the one place where these choices are made.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hydra.core.config_store import ConfigStore

from abm.errors import ConfigError
from abm.levers.base import ASSETS, KINDS
from abm.params import param, validate
from abm.vocabulary import PAYERS

YEAR = 52
ALL = "all"
#: statistics of summary.csv / effects.csv: an indicator at the window's last week, its mean over the window's
#: weeks, over its last year; and quantities of the whole window (totals, present values, cumulative counts)
LAST_WEEK, PERIOD_MEAN, LAST_YEAR_MEAN, PERIOD = "last_week", "period_mean", "last_year_mean", "period"
STATISTICS = (LAST_WEEK, PERIOD_MEAN, LAST_YEAR_MEAN, PERIOD)
#: cumulative effects over the window: name -> (weekly indicator it adds up, divisor: 52 makes weeks years)
CUMULATIVE = {"isolated_household_years": ("isolated_households", YEAR),
              "needs_met_neighbours_total": ("needs_met_neighbours_week", 1),
              "conflicts_resolved_total": ("conflicts_resolved_week", 1)}
#: cost measures, EUR over the window (by payer and for all payers)
COST_MEASURES = ("cost_eur", "cost_running_eur", "cost_capital_eur", "cost_pv_eur", "cost_running_pv_eur",
                 "cost_capital_pv_eur", "residual_value_eur", "residual_value_pv_eur", "cost_net_pv_eur",
                 "cost_eac_eur")
#: capital measures, EUR over the window, by the asset it creates
ASSET_MEASURES = ("cost_capital_eur", "cost_capital_pv_eur", "residual_value_eur", "residual_value_pv_eur")
#: cost-effectiveness: net present cost per unit of cumulative benefit; +1 when more of it is the benefit
CE_RATIOS = {"pv_eur_per_household_year_of_isolation_avoided": ("isolated_household_years", -1),
             "pv_eur_per_extra_need_met_by_neighbours": ("needs_met_neighbours_total", 1),
             "pv_eur_per_extra_conflict_resolved": ("conflicts_resolved_total", 1)}
#: the quantities of the whole window (statistic ``period``)
PERIOD_QUANTITIES = (*CUMULATIVE, *COST_MEASURES, *CE_RATIOS)
RESIDUAL_RULES = ("straight_line", "none")


@dataclass
class AssetLives:
    """Useful life of what capital creates, years: its remaining value at the end of the window is the
    unexpired share of its cost (straight line from the week it enters service)."""

    #: new residential buildings (ERS fund)
    new_units: float = param(50.0, lo=1.0, hi=200.0)
    #: restoration works that make an unusable unit habitable again (regeneration)
    regenerated_units: float = param(30.0, lo=1.0, hi=200.0)
    #: fitting out a shared space (works, furniture, machines)
    shared_space: float = param(10.0, lo=1.0, hi=100.0)


@dataclass
class HorizonSettings:
    """How the aggregate counts costs and effects over the horizon (``python -m experiments.aggregate DIR
    discount_rate=0.03 end_week=104``)."""

    #: yearly discount rate of costs, real terms (costs are at constant prices): the EU's indicative benchmark
    #: for public investment projects, Commission Delegated Regulation (EU) No 480/2014, art. 19(3): 4 %
    discount_rate: float = param(0.04, lo=0.0, hi=0.5)
    #: first week of the window (money spent in it counts; effects from the week after)
    start_week: int = param(0, lo=0, hi=100_000)
    #: last week of the window; None: each run's last week
    end_week: int | None = None
    #: weeks of the "last year" means (the end of the window)
    last_year_weeks: int = param(YEAR, lo=1, hi=5200)
    #: remaining value of assets at the end of the window: straight line over their life, or none at all
    #: (capital counted as pure expense)
    residual_value: str = param("straight_line", choices=RESIDUAL_RULES)
    asset_life_years: AssetLives = field(default_factory=AssetLives)

    def check(self, prefix: str) -> None:
        if self.end_week is not None and self.end_week <= self.start_week:
            raise ConfigError(f"{prefix}end_week", self.end_week, f"a week after start_week ({self.start_week}), or null")

    def window(self, steps: int) -> tuple[int, int]:
        """(start, end) of the window for a run of ``steps`` weeks; a ConfigError if it does not fit."""
        end = steps if self.end_week is None else self.end_week
        if end > steps:
            raise ConfigError("end_week", end, f"a week <= {steps} (the last week of the runs), or null")
        if self.start_week >= end:
            raise ConfigError("start_week", self.start_week, f"a week before the window's end ({end})")
        return self.start_week, end

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


NAME = "aggregate_settings"
ConfigStore.instance().store(name=NAME, node=HorizonSettings)


def setting_keys(cls=HorizonSettings, prefix: str = "") -> list[str]:
    keys = []
    for f in dataclasses.fields(cls):
        sub = f.default_factory if f.default_factory is not dataclasses.MISSING else None
        if sub is not None and dataclasses.is_dataclass(sub):
            keys += setting_keys(sub, f"{prefix}{f.name}.")
        else:
            keys.append(prefix + f.name)
    return keys


def settings(overrides: list[str] | tuple[str, ...] = ()) -> HorizonSettings:
    """The settings composed by Hydra with ``key=value`` overrides and checked; an unknown key, a value of the
    wrong type or out of range is a ConfigError naming it, before any work."""
    from hydra import compose, initialize
    from hydra.errors import HydraException
    from omegaconf import OmegaConf

    known = setting_keys()
    for line in overrides:
        key, sep, value = str(line).partition("=")
        if not sep or key not in known:
            raise ConfigError(key, value if sep else None, "key=value with key one of " + ", ".join(known))
    try:
        with initialize(version_base="1.3", config_path=None):
            cfg = compose(config_name=NAME, overrides=list(overrides))
    except HydraException as e:
        bad = next((o for o in overrides if o.split("=", 1)[0] in str(e)), ", ".join(overrides))
        raise ConfigError(bad.split("=", 1)[0], bad.partition("=")[2], f"a value of the setting's type ({e})") from None
    out = OmegaConf.to_object(cfg)
    validate(out)
    return out


# --- effects ---------------------------------------------------------------------------------------------------
def effects(ts: pd.DataFrame, start: int, end: int, last_year_weeks: int = YEAR) -> dict[str, dict[str, float]]:
    """Per statistic, per indicator: the value at week ``end``, the mean over weeks ``start+1 .. end`` and
    over its last ``last_year_weeks`` weeks (NaN weeks left out), and the cumulative quantities."""
    inds = [c for c in ts.columns if c != "step"]
    step = ts["step"].to_numpy()
    weeks = ts[(step > start) & (step <= end)]
    last = weeks[weeks["step"].to_numpy() > end - last_year_weeks]
    with np.errstate(invalid="ignore"):
        out = {LAST_WEEK: _floats(ts.loc[step == end, inds].iloc[0]),
               PERIOD_MEAN: _floats(weeks[inds].mean()), LAST_YEAR_MEAN: _floats(last[inds].mean())}
    out[PERIOD] = {name: float(weeks[col].sum()) / div if col in weeks else math.nan
                   for name, (col, div) in CUMULATIVE.items()}
    return out


def _floats(series: pd.Series) -> dict[str, float]:
    return {k: float(v) for k, v in series.items()}


# --- costs -----------------------------------------------------------------------------------------------------
def discount(weeks, start: int, rate: float) -> np.ndarray:
    """Present-value factor of money spent in ``weeks``, seen from week ``start``: ``(1 + rate)^-((w - start)/52)``."""
    return np.power(1.0 + rate, -(np.asarray(weeks, dtype=float) - start) / YEAR)


def annuity_factor(start: int, end: int, rate: float) -> float:
    """Present value of one euro a year spent evenly week by week over weeks ``start+1 .. end``: a net present
    cost divided by it is the equivalent annual cost (a constant running cost's is its yearly rate)."""
    return float(discount(np.arange(start + 1, end + 1), start, rate).sum() / YEAR)


def remaining_share(kind, asset, service_week, end: int, s: HorizonSettings) -> np.ndarray:
    """Share of each outlay still worth something at week ``end``: 0 for running costs; for capital 1 while
    its asset is not yet in service, then falling in a straight line to 0 over the asset's life (0 throughout
    with ``residual_value: none``)."""
    kind, asset = np.asarray(kind), np.asarray(asset)
    if s.residual_value == "none" or len(kind) == 0:
        return np.zeros(len(kind))
    life = np.array([getattr(s.asset_life_years, a, np.nan) if a else np.nan for a in asset], dtype=float)
    used = (end - np.asarray(service_week, dtype=float)) / (YEAR * life)
    share = np.clip(1.0 - np.maximum(used, 0.0), 0.0, 1.0)
    return np.where(kind == "capital", share, 0.0)


def cost_account(costs: pd.DataFrame, start: int, end: int, s: HorizonSettings) -> dict:
    """The window's costs: ``{"payers": {payer or "all": {measure: EUR}}, "assets": {asset: {measure: EUR}},
    "by_year": {year: {kind: EUR}}}`` (every payer, asset and kind listed, 0 where nothing was spent)."""
    c = costs[(costs["step"] >= start) & (costs["step"] <= end)]
    eur = c["eur"].to_numpy(dtype=float)
    kind, asset = c["kind"].to_numpy(dtype=object), c["asset"].fillna("").to_numpy(dtype=object)
    years = (end - start) / YEAR
    end_factor = float(discount([end], start, s.discount_rate)[0])
    spread = annuity_factor(start, end, s.discount_rate)
    pv = eur * discount(c["step"], start, s.discount_rate)
    rv = eur * remaining_share(kind, asset, c["service_week"], end, s)
    frame = pd.DataFrame({"payer": c["payer"].to_numpy(dtype=object), "kind": kind, "asset": asset, "eur": eur,
                          "pv": pv, "rv": rv})

    def measures(f: pd.DataFrame) -> dict[str, float]:
        run, cap = f[f["kind"] == "running"], f[f["kind"] == "capital"]
        out = {"cost_eur": f["eur"].sum(), "cost_running_eur": run["eur"].sum(), "cost_capital_eur": cap["eur"].sum(),
               "cost_pv_eur": f["pv"].sum(), "cost_running_pv_eur": run["pv"].sum(),
               "cost_capital_pv_eur": cap["pv"].sum(), "residual_value_eur": f["rv"].sum(),
               "residual_value_pv_eur": f["rv"].sum() * end_factor}
        out["cost_net_pv_eur"] = out["cost_pv_eur"] - out["residual_value_pv_eur"]
        out["cost_eac_eur"] = out["cost_net_pv_eur"] / spread
        return {k: float(v) for k, v in out.items()}

    payers = {ALL: measures(frame), **{p: measures(frame[frame["payer"] == p]) for p in PAYERS}}
    assets = {a: {k: v for k, v in measures(frame[frame["asset"] == a]).items() if k in ASSET_MEASURES}
              for a in ASSETS}
    year = np.maximum(np.ceil((c["step"].to_numpy() - start) / YEAR), 1).astype(int)
    by_year = {y: {k: float(eur[(year == y) & (kind == k)].sum()) for k in KINDS}
               for y in range(1, math.ceil(years - 1e-9) + 1)}
    return {"payers": payers, "assets": assets, "by_year": by_year}


def account(ts: pd.DataFrame, costs: pd.DataFrame, s: HorizonSettings) -> dict:
    """The whole horizon account of one run (what ``summary.json`` holds under ``horizon``)."""
    start, end = s.window(int(ts["step"].max()))
    return {"window": {"start_week": start, "end_week": end, "years": (end - start) / YEAR},
            "effects": effects(ts, start, end, s.last_year_weeks),
            "costs": cost_account(costs, start, end, s)}


def headline_statistic(name: str) -> str:
    """The statistic a headline shows for ``name``: a window's quantity as such, an indicator's mean over it."""
    return PERIOD if name in PERIOD_QUANTITIES else PERIOD_MEAN
