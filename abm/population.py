"""Households: their state arrays and the generator that draws new ones.

Household state is held column-wise in :class:`Households`, the per-unit store
(:mod:`abm.store`): one slot per dwelling unit (so at most one household per
unit by construction of the slots, and the ``occupied`` mask says which slots
hold one).  The Mesa :class:`~abm.agents.Resident` agents are thin views onto
these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.dynamics import close_gap, lower
from abm.errors import ConfigError
from abm.params import check_shares, param
from abm.store import Column, UnitStore
from abm.ties import NEVER
from abm.vocabulary import HOUSEHOLD_TYPES, ORIGINS, TENURES


def _per_type(**values):
    return lambda: {t: values[t] for t in HOUSEHOLD_TYPES}


@dataclass
class PopulationParams:
    """Who lives in the neighbourhood: shares of household types by tenure and their attributes."""

    #: household-type shares for each tenure (each row sums to 1)
    type_shares: dict[str, dict[str, float]] = param(default_factory=lambda: {
        # ERP: ACER Bologna tenants are old (42 % aged 65+, >1,500 over-80s alone; Nomisma/ACER 2020)
        "erp": {"elderly_alone": 0.28, "elderly_couple": 0.14, "family_children": 0.18, "single_parent": 0.10,
                "single_adult": 0.14, "young_sharers": 0.02, "new_migrant": 0.14},
        "ers": {"elderly_alone": 0.10, "elderly_couple": 0.08, "family_children": 0.32, "single_parent": 0.12,
                "single_adult": 0.20, "young_sharers": 0.10, "new_migrant": 0.08},
        "coop": {"elderly_alone": 0.12, "elderly_couple": 0.14, "family_children": 0.34, "single_parent": 0.08,
                 "single_adult": 0.18, "young_sharers": 0.08, "new_migrant": 0.06},
        "private": {"elderly_alone": 0.08, "elderly_couple": 0.06, "family_children": 0.22, "single_parent": 0.08,
                    "single_adult": 0.22, "young_sharers": 0.22, "new_migrant": 0.12},
        "owner": {"elderly_alone": 0.20, "elderly_couple": 0.22, "family_children": 0.30, "single_parent": 0.05,
                  "single_adult": 0.15, "young_sharers": 0.03, "new_migrant": 0.05},
    })
    #: origin/language shares of households that are not new migrants
    origin_shares: dict[str, float] = param(default_factory=lambda: {
        "italian": 0.82, "european": 0.07, "african": 0.05, "asian": 0.04, "latin_american": 0.02})
    #: household size range [min, max] (persons) by type
    size_range: dict[str, list[int]] = param(default_factory=lambda: {
        "elderly_alone": [1, 1], "elderly_couple": [2, 2], "family_children": [3, 5], "single_parent": [2, 4],
        "single_adult": [1, 1], "young_sharers": [2, 4], "new_migrant": [1, 5]}, lo=1, hi=12)
    #: age of the head of household, range [min, max] (years) by type
    age_range: dict[str, list[int]] = param(default_factory=lambda: {
        "elderly_alone": [65, 95], "elderly_couple": [65, 90], "family_children": [28, 55],
        "single_parent": [22, 55], "single_adult": [25, 64], "young_sharers": [19, 32], "new_migrant": [20, 55]},
        lo=16, hi=110)
    #: median net household income, EUR/month, by tenure
    income_median: dict[str, float] = param(default_factory=lambda: {
        "erp": 1100.0, "ers": 1900.0, "coop": 2300.0, "private": 2100.0, "owner": 2600.0}, lo=0.0)
    #: log-normal spread of income within a tenure
    income_sigma: float = param(0.45, lo=0.0, hi=2.0)
    #: ERP rent as a share of income (income-related rent), clipped to ``erp_rent_bounds``
    erp_rent_income_share: float = param(0.13, lo=0.0, hi=1.0)
    erp_rent_bounds: list[float] = param(default_factory=lambda: [40.0, 400.0], lo=0.0)
    #: rent EUR per m2 per month for the other tenures (owner-occupiers pay none)
    rent_eur_m2: dict[str, float] = param(default_factory=lambda: {
        "ers": 7.0, "coop": 5.1, "private": 13.0, "owner": 0.0}, lo=0.0)
    #: condominium charges, EUR/month, every household
    charges_eur_month: float = param(90.0, lo=0.0)
    #: multiplies every rent (sensitivity and scenario knob: rent pressure)
    rent_multiplier: float = param(1.0, lo=0.0, hi=10.0)
    #: mean hours a week the household can give to neighbours, by type, before its fragility
    help_hours: dict[str, float] = param(default_factory=_per_type(
        elderly_alone=2.0, elderly_couple=4.0, family_children=1.5, single_parent=0.8,
        single_adult=2.5, young_sharers=2.5, new_migrant=2.0), lo=0.0, hi=40.0)
    #: a frail household has fewer hours to give: help hours x (1 - help_hours_fragility x fragility)
    help_hours_fragility: float = param(0.5, lo=0.0, hi=1.0)
    #: share of households with relatives living nearby who help them (channel 1 of help), by type
    kin_nearby: dict[str, float] = param(default_factory=_per_type(
        elderly_alone=0.5, elderly_couple=0.5, family_children=0.5, single_parent=0.5,
        single_adult=0.4, young_sharers=0.2, new_migrant=0.1), lo=0.0, hi=1.0)
    #: mean generalised trust in [0, 1], and the Beta concentration of its spread
    trust_mean: float = param(0.45, lo=0.01, hi=0.99)
    trust_concentration: float = param(8.0, lo=0.5)
    #: trust offset of new migrants on arrival (lower trust, fewer contacts)
    trust_offset_new_migrant: float = param(-0.08, lo=-0.5, hi=0.5)
    #: mean residential satisfaction at the start, and the Beta concentration of its spread
    satisfaction_mean: float = param(0.6, lo=0.01, hi=0.99)
    satisfaction_concentration: float = param(8.0, lo=0.5)
    #: mean propensity to take part in collective activities, by type
    participation: dict[str, float] = param(default_factory=_per_type(
        elderly_alone=0.25, elderly_couple=0.35, family_children=0.3, single_parent=0.2,
        single_adult=0.2, young_sharers=0.25, new_migrant=0.15), lo=0.01, hi=0.99)
    #: mean fragility (need intensity, vulnerability) by type, of a head not older than ``fragility_age_onset``
    fragility: dict[str, float] = param(default_factory=_per_type(
        elderly_alone=0.55, elderly_couple=0.4, family_children=0.2, single_parent=0.35,
        single_adult=0.15, young_sharers=0.1, new_migrant=0.3), lo=0.01, hi=0.99)
    #: frailty grows with age: the mean fragility of a household whose head is older than
    #: ``fragility_age_onset`` rises by ``fragility_per_decade`` for every ten years above it
    fragility_age_onset: float = param(75.0, lo=16.0, hi=110.0)
    fragility_per_decade: float = param(0.2, lo=0.0, hi=1.0)
    #: Beta concentration used for participation and fragility draws
    attribute_concentration: float = param(6.0, lo=0.5)
    #: shape of the Gamma distribution of a household's help hours around its type's mean (2: spread as wide
    #: as an exponential's halfway to a constant)
    help_hours_shape: float = param(2.0, lo=0.1, hi=100.0)
    #: types of newcomers: "stationary" draws them in proportion to type_shares[tenure][type] x the type's
    #: annual exit rate in the tenure (moving.base_annual + moving.life_event_annual), so that the stock keeps
    #: type_shares; "stock" draws them from type_shares as the initial population
    newcomer_shares: str = param("stationary", choices=("stationary", "stock"))
    #: mean length of the tenancies of the households living there, by tenure: an initial household arrived
    #: an exponentially distributed time with this mean before the spin-up (the stationary elapsed tenancy
    #: under a constant exit rate of 1 / mean)
    tenancy_mean_years: dict[str, float] = param(default_factory=lambda: {
        "erp": 26.0, "ers": 17.0, "coop": 33.0, "private": 8.0, "owner": 33.0}, lo=0.1, hi=100.0)
    #: a head of household at least this old counts as elderly (same-age homophily, intergenerational ties)
    elderly_age: float = param(65.0, lo=16.0, hi=110.0)
    #: rent and charges above this share of income are a burden (moving out, satisfaction, the indicator)
    rent_burden_threshold: float = param(0.3, lo=0.0, hi=1.0)

    def check(self, prefix: str) -> None:
        for tenure, shares in self.type_shares.items():
            if tenure not in TENURES:
                raise ConfigError(f"{prefix}type_shares.{tenure}", shares, "tenures " + ", ".join(TENURES))
            check_shares(f"{prefix}type_shares.{tenure}", shares, HOUSEHOLD_TYPES)
        missing = [t for t in TENURES if t not in self.type_shares]
        if missing:
            raise ConfigError(f"{prefix}type_shares", sorted(self.type_shares), "an entry for every tenure " + ", ".join(TENURES))
        check_shares(f"{prefix}origin_shares", self.origin_shares, ORIGINS)
        if len(self.erp_rent_bounds) != 2 or self.erp_rent_bounds[0] > self.erp_rent_bounds[1]:
            raise ConfigError(f"{prefix}erp_rent_bounds", list(self.erp_rent_bounds), "[min, max] with min <= max")
        for name in ("size_range", "age_range"):
            for t, r in getattr(self, name).items():
                if t not in HOUSEHOLD_TYPES:
                    raise ConfigError(f"{prefix}{name}.{t}", r, "household types " + ", ".join(HOUSEHOLD_TYPES))
                if len(r) != 2 or r[0] > r[1]:
                    raise ConfigError(f"{prefix}{name}.{t}", list(r), "[min, max] with min <= max")
        for name in ("help_hours", "participation", "fragility", "kin_nearby"):
            for t in HOUSEHOLD_TYPES:
                if t not in getattr(self, name):
                    raise ConfigError(f"{prefix}{name}", sorted(getattr(self, name)), f"a value for household type '{t}'")
        for t in TENURES:
            if t not in self.tenancy_mean_years:
                raise ConfigError(f"{prefix}tenancy_mean_years", sorted(self.tenancy_mean_years), f"a value for tenure '{t}'")
            if t != "erp" and t not in self.rent_eur_m2:
                raise ConfigError(f"{prefix}rent_eur_m2", sorted(self.rent_eur_m2), f"a value for tenure '{t}'")
            if t not in self.income_median:
                raise ConfigError(f"{prefix}income_median", sorted(self.income_median), f"a value for tenure '{t}'")


#: the household attributes, one column each (the store's own), with their dtype and the value of an empty slot;
#: a household's columns leave with it (see abm/store.py)
COLUMNS = {
    "htype": Column(np.int64, -1),
    "size": Column(np.int64, 0),
    "age_head": Column(np.float64, 0.0),
    "income": Column(np.float64, 0.0),
    "rent": Column(np.float64, 0.0),
    "origin": Column(np.int64, -1),
    "help_hours": Column(np.float64, 0.0),
    "trust": Column(np.float64, 0.0),
    "satisfaction": Column(np.float64, 0.0),
    "participation": Column(np.float64, 0.0),
    "fragility": Column(np.float64, 0.0),
    "moved_in": Column(np.int64, NEVER, week=True),
    "last_participation": Column(np.int64, NEVER, week=True),
    "last_volunteer": Column(np.int64, NEVER, week=True),
    "coop_member": Column(np.bool_, False),
    "kin": Column(np.bool_, False),
    "trust_anchor": Column(np.float64, 0.0),
}
#: the attributes a household brings with it (drawn by the generator or read from a CSV)
ATTRIBUTES = ("htype", "size", "age_head", "income", "rent", "origin", "help_hours", "trust",
              "satisfaction", "participation", "fragility", "kin")
#: the attributes that events move during a household's stay (by the shared update rules, abm/dynamics.py)
ATTITUDES = ("trust", "satisfaction", "participation")


class Households(UnitStore):
    """The per-unit store (abm/store.py) with the households' own attributes as its columns, and their verbs."""

    def __init__(self, n_slots: int):
        super().__init__(n_slots, owner="households")
        self.declare("households", into=self, **COLUMNS)

    def move_in(self, slots: np.ndarray, attrs: dict[str, np.ndarray], moved_in: np.ndarray,
                coop_member: np.ndarray) -> np.ndarray:
        """New households with attributes ``attrs`` move into empty ``slots``; returns their ids."""
        hid = self.arrive(slots)
        for name in ATTRIBUTES:
            getattr(self, name)[slots] = attrs[name]
        self.moved_in[slots] = moved_in
        self.trust_anchor[slots] = attrs["trust"]  # the trust it brings: wellbeing pulls trust back to it
        self.coop_member[slots] = coop_member
        return hid

    def took_part(self, slots: np.ndarray, week: int) -> None:
        """Households ``slots`` took part in a collective activity this ``week`` (assembly, event, meeting, ...)."""
        self.last_participation[slots] = week

    def volunteered(self, slots: np.ndarray, week: int) -> None:
        """Households ``slots`` volunteered this ``week`` (which is also taking part)."""
        self.last_volunteer[slots] = week
        self.last_participation[slots] = week

    def close_gap(self, attitude: str, slots: np.ndarray, rate: float | np.ndarray) -> None:
        """Each occurrence of a slot closes ``rate`` of the gap between its ``attitude`` and 1 (ODD 7.0)."""
        close_gap(self._attitude(attitude), slots, rate)

    def lower(self, attitude: str, slots: np.ndarray, amount: float | np.ndarray) -> None:
        """Each occurrence of a slot lowers its ``attitude`` by ``amount``, kept in [0, 1] (ODD 7.0)."""
        lower(self._attitude(attitude), slots, amount)

    def relax(self, attitude: str, target: float | np.ndarray, rate: float) -> None:
        """Every household's ``attitude`` closes ``rate`` of its gap to ``target`` (a value, or one per slot)."""
        x, occ = self._attitude(attitude), self.occupied
        x[occ] += rate * ((target[occ] if np.ndim(target) else target) - x[occ])

    def grow_older(self, years: float) -> None:
        """Every head of household is ``years`` older."""
        self.age_head[self.occupied] += years

    def _attitude(self, name: str) -> np.ndarray:
        if name not in ATTITUDES:
            raise ValueError(f"{name!r} is not one of the attitudes {ATTITUDES} that events change")
        return getattr(self, name)

    def rent_burden(self, p: PopulationParams) -> np.ndarray:
        """(rent + charges) / income per slot (0 for empty slots and without income)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            b = (self.rent + p.charges_eur_month) / self.income
        return np.where(self.occupied & (self.income > 0), b, 0.0)

    def excess_burden(self, p: PopulationParams) -> np.ndarray:
        """How far each slot's rent burden is above ``rent_burden_threshold`` (0 if it is not)."""
        return np.maximum(self.rent_burden(p) - p.rent_burden_threshold, 0.0)

    def elderly(self, p: PopulationParams) -> np.ndarray:
        """Whether the head of the household in each slot is ``elderly_age`` or older."""
        return self.age_head >= p.elderly_age


def _beta(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    mean = np.clip(mean, 0.01, 0.99)
    return rng.beta(mean * concentration, (1.0 - mean) * concentration)


class PopulationGenerator:
    """Draws new households for units of given tenures from :class:`PopulationParams`: the initial stock from
    ``type_shares``, newcomers in proportion to ``type_shares`` x ``exit_annual`` (tenure x type: the annual
    exit rates) when ``newcomer_shares`` is "stationary"."""

    def __init__(self, params: PopulationParams, exit_annual: np.ndarray | None = None):
        self.p = params
        self.type_probs = np.array([[params.type_shares[t][h] if h in params.type_shares[t] else 0.0
                                     for h in HOUSEHOLD_TYPES] for t in TENURES])
        self.newcomer_probs = self.type_probs
        if params.newcomer_shares == "stationary" and exit_annual is not None:
            flow = self.type_probs * exit_annual
            total = flow.sum(axis=1, keepdims=True)
            self.newcomer_probs = np.divide(flow, total, out=self.type_probs.copy(), where=total > 0)
        self.origin_probs = np.array([params.origin_shares.get(o, 0.0) for o in ORIGINS])
        foreign = self.origin_probs.copy()
        foreign[0] = 0.0
        self.migrant_origin_probs = foreign / foreign.sum() if foreign.sum() > 0 else np.full(len(ORIGINS), 1 / len(ORIGINS))
        self.size_lo = np.array([params.size_range[h][0] for h in HOUSEHOLD_TYPES])
        self.size_hi = np.array([params.size_range[h][1] for h in HOUSEHOLD_TYPES])
        self.age_lo = np.array([params.age_range[h][0] for h in HOUSEHOLD_TYPES], dtype=float)
        self.age_hi = np.array([params.age_range[h][1] for h in HOUSEHOLD_TYPES], dtype=float)
        self.help = np.array([params.help_hours[h] for h in HOUSEHOLD_TYPES])
        self.part = np.array([params.participation[h] for h in HOUSEHOLD_TYPES])
        self.frag = np.array([params.fragility[h] for h in HOUSEHOLD_TYPES])
        self.kin = np.array([params.kin_nearby[h] for h in HOUSEHOLD_TYPES])
        self.income_median = np.array([params.income_median[t] for t in TENURES])
        self.rent_m2 = np.array([params.rent_eur_m2.get(t, 0.0) for t in TENURES])
        self.tenancy_weeks = np.array([params.tenancy_mean_years[t] * 52.0 for t in TENURES])

    def draw_types(self, rng: np.random.Generator, tenure: np.ndarray, stock: bool = False) -> np.ndarray:
        """A household type for each unit, from that unit's tenure's shares (of the stock, or of newcomers)."""
        cum = np.cumsum((self.type_probs if stock else self.newcomer_probs)[tenure], axis=1)
        u = rng.random(len(tenure))[:, None]
        return np.minimum((u > cum).sum(axis=1), len(HOUSEHOLD_TYPES) - 1)

    def draw(self, rng: np.random.Generator, tenure: np.ndarray, m2: np.ndarray,
             htype: np.ndarray | None = None, stock: bool = False) -> dict[str, np.ndarray]:
        """Attributes of ``len(tenure)`` new households for units of the given tenures and sizes: newcomers,
        or (``stock``) households of the initial population."""
        n = len(tenure)
        p = self.p
        if htype is None:
            htype = self.draw_types(rng, tenure, stock)
        size = rng.integers(self.size_lo[htype], self.size_hi[htype] + 1)
        age = rng.uniform(self.age_lo[htype], self.age_hi[htype])
        income = self.income_median[tenure] * np.exp(p.income_sigma * rng.standard_normal(n))
        origin = np.where(htype == HOUSEHOLD_TYPES.index("new_migrant"),
                          rng.choice(len(ORIGINS), size=n, p=self.migrant_origin_probs),
                          rng.choice(len(ORIGINS), size=n, p=self.origin_probs))
        frailty_mean = self.frag[htype] + p.fragility_per_decade * np.maximum(age - p.fragility_age_onset, 0.0) / 10.0
        trust_mean = np.full(n, p.trust_mean) + np.where(htype == HOUSEHOLD_TYPES.index("new_migrant"),
                                                          p.trust_offset_new_migrant, 0.0)
        hours = rng.gamma(p.help_hours_shape, self.help[htype] / p.help_hours_shape)
        out = {
            "htype": htype,
            "size": size,
            "age_head": age,
            "income": income,
            "rent": self.rent(tenure, m2, income),
            "origin": origin,
            "trust": _beta(rng, trust_mean, p.trust_concentration),
            "satisfaction": _beta(rng, np.full(n, p.satisfaction_mean), p.satisfaction_concentration),
            "participation": _beta(rng, self.part[htype], p.attribute_concentration),
            "fragility": _beta(rng, frailty_mean, p.attribute_concentration),
            "kin": rng.random(n) < self.kin[htype],
        }
        out["help_hours"] = hours * (1.0 - p.help_hours_fragility * out["fragility"])
        return out

    def elapsed_weeks(self, rng: np.random.Generator, tenure: np.ndarray) -> np.ndarray:
        """Weeks since arrival of households now living in units of ``tenure``: exponential with the tenure's
        ``tenancy_mean_years`` (whole weeks)."""
        return rng.exponential(self.tenancy_weeks[tenure]).astype(np.int64)

    def rent(self, tenure: np.ndarray, m2: np.ndarray, income: np.ndarray) -> np.ndarray:
        """Monthly rent: income-related in ERP, per m2 elsewhere, times ``rent_multiplier``."""
        p = self.p
        erp = np.clip(p.erp_rent_income_share * income, *p.erp_rent_bounds)
        per_m2 = self.rent_m2[tenure] * m2
        return np.where(tenure == TENURES.index("erp"), erp, per_m2) * p.rent_multiplier


#: the weekly rate matching an annual probability
def weekly(annual_probability: float | np.ndarray) -> float | np.ndarray:
    return 1.0 - (1.0 - np.asarray(annual_probability)) ** (1.0 / 52.0)


