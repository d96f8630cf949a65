"""Moving: households leave with a weekly hazard; vacancies are re-let after a delay.

ODD: submodel "Moving out and re-letting".  A household that leaves takes its
ties and conflicts with it; its unit stays empty for the re-let delay of its
tenure, then goes to the next household on the waiting list (social tenures)
or on the open market (private rental, owner-occupied).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.errors import ConfigError
from abm.params import param
from abm.population import weekly
from abm.store import KEEP, Column
from abm.ties import NEVER
from abm.vocabulary import HOUSEHOLD_TYPES, SOCIAL_TENURES, TENURE_CODE, TENURES


@dataclass
class MovingParams:
    """Parameters of moving out, re-letting and the waiting list."""

    #: annual probability of moving out for a satisfied household without burden or conflict, by tenure
    base_annual: dict[str, float] = param(default_factory=lambda: {
        "erp": 0.003, "ers": 0.009, "coop": 0.002, "private": 0.012, "owner": 0.005}, lo=0.0, hi=1.0)
    #: hazard multiplier exp(w x (satisfaction_ref - satisfaction))
    dissatisfaction_weight: float = param(3.0, lo=0.0, hi=20.0)
    satisfaction_ref: float = param(0.5, lo=0.0, hi=1.0)
    #: hazard multiplier exp(w x max(0, rent burden - population.rent_burden_threshold))
    burden_weight: float = param(6.0, lo=0.0, hi=50.0)
    #: hazard multiplier 1 + w x (open conflicts the household is in)
    conflict_weight: float = param(1.0, lo=0.0, hi=20.0)
    #: annual probability of a life event that ends the tenancy (death, care home, new job, family change), by type
    life_event_annual: dict[str, float] = param(default_factory=lambda: {
        "elderly_alone": 0.05, "elderly_couple": 0.02, "family_children": 0.01, "single_parent": 0.015,
        "single_adult": 0.015, "young_sharers": 0.10, "new_migrant": 0.03}, lo=0.0, hi=1.0)
    #: weeks a unit stays empty before it can be re-let, by tenure
    relet_delay_weeks: dict[str, int] = param(default_factory=lambda: {
        "erp": 59, "ers": 8, "coop": 6, "private": 6, "owner": 12}, lo=0, hi=520)
    #: new applicants joining the waiting list for social tenures, per year and habitable social-tenure unit
    waiting_inflow_per_unit_year: float = param(0.09, lo=0.0, hi=100.0)
    #: annual probability that an applicant leaves the waiting list without a unit (the list is renewed)
    waiting_dropout_annual: float = param(0.11, lo=0.0, hi=1.0)

    def check(self, prefix: str) -> None:
        for name in ("base_annual", "relet_delay_weeks"):
            for t in TENURES:
                if t not in getattr(self, name):
                    raise ConfigError(f"{prefix}{name}", sorted(getattr(self, name)), f"a value for tenure '{t}'")
        for t in HOUSEHOLD_TYPES:
            if t not in self.life_event_annual:
                raise ConfigError(f"{prefix}life_event_annual", sorted(self.life_event_annual),
                                  f"a value for household type '{t}'")


def exit_annual(params: MovingParams) -> np.ndarray:
    """Annual exit rate by tenure x household type before the multipliers of the hazard:
    base_annual[tenure] + life_event_annual[type] (the population generator draws newcomers with it)."""
    base = np.array([params.base_annual[t] for t in TENURES])
    life = np.array([params.life_event_annual[t] for t in HOUSEHOLD_TYPES])
    return base[:, None] + life[None, :]


class Moving:
    """Weekly move-outs, waiting-list inflow and re-letting of vacancies whose delay has passed."""

    def __init__(self, params: MovingParams, model):
        self.p = params
        self.rng = model.stream("moving")
        self.base = weekly(np.array([params.base_annual[t] for t in TENURES]))
        self.life = weekly(np.array([params.life_event_annual[t] for t in HOUSEHOLD_TYPES]))
        self.delay = np.array([params.relet_delay_weeks[t] for t in TENURES])
        self.dropout = float(weekly(params.waiting_dropout_annual))
        self.social = np.isin(np.arange(len(TENURES)), [TENURE_CODE[t] for t in SOCIAL_TENURES])
        #: households waiting for a unit of a social tenure
        self.waiting_list = model.config.neighbourhood.initial_waiting_list
        #: week from which each empty unit can be let (NEVER: not waiting; new units wait for whoever lets them)
        self.unit = model.households.declare("moving", relet_at=Column(np.int64, NEVER, KEEP, week=True))

    @property
    def relet_at(self) -> np.ndarray:
        return self.unit.relet_at

    def relet_from(self, units: np.ndarray, week: np.ndarray | int) -> None:
        """Empty ``units`` are let (to the waiting list or the market) from ``week`` on."""
        self.unit.relet_at[units] = week

    def take_from_list(self, n: int) -> None:
        """``n`` applicants leave the waiting list: they were let a unit (a first letting of a lever's unit)."""
        self.waiting_list -= n

    def step(self, model) -> None:
        self.move_out(model)
        self.update_list(model)
        self.relet(model)

    def update_list(self, model) -> None:
        """Applicants join the list in proportion to the habitable social-tenure units; some leave it."""
        nb = model.space
        units = np.count_nonzero(nb.habitable & self.social[nb.unit_tenure])
        self.waiting_list -= int(self.rng.binomial(self.waiting_list, self.dropout))
        self.waiting_list += int(self.rng.poisson(self.p.waiting_inflow_per_unit_year * units / 52.0))

    def hazard(self, model, slots: np.ndarray) -> np.ndarray:
        """Weekly probability that each household in ``slots`` moves out."""
        hh, p = model.households, self.p
        tenure = model.space.unit_tenure[slots]
        excess = hh.excess_burden(model.config.population)[slots]
        conflicts = model.conflicts.open_per_slot(model.space.n_units)[slots]
        h = (self.base[tenure] * np.exp(p.dissatisfaction_weight * (p.satisfaction_ref - hh.satisfaction[slots]))
             * np.exp(p.burden_weight * excess) * (1.0 + p.conflict_weight * conflicts))
        return np.minimum(1.0, h + self.life[hh.htype[slots]])

    def move_out(self, model) -> None:
        hh = model.households
        slots = np.flatnonzero(hh.occupied)
        leaving = slots[self.rng.random(len(slots)) < self.hazard(model, slots)]
        if len(leaving) == 0:
            return
        model.remove_households(leaving)
        self.relet_from(leaving, model.week + self.delay[model.space.unit_tenure[leaving]])
        model.events.add("moves_out", len(leaving))

    def vacancies(self, model) -> np.ndarray:
        """Habitable empty units whose re-let delay has passed, in random order."""
        hh = model.households
        relet_at = self.unit.relet_at
        ready = np.flatnonzero(model.space.habitable & ~hh.occupied & (relet_at != NEVER) & (relet_at <= model.week))
        return self.rng.permutation(ready)

    def relet(self, model) -> None:
        units = self.vacancies(model)
        if len(units) == 0:
            return
        social = self.social[model.space.unit_tenure[units]]
        market = units[~social]
        queue = units[social]
        members = queue[:0]
        if model.allocation is not None:  # the allocation lever may reserve units for cooperative members
            members, queue = model.allocation.reserve(queue)
        queue = queue[: self.waiting_list]
        self.waiting_list -= len(queue)
        new = np.concatenate([market, queue, members])
        if len(new):
            model.add_households(np.sort(new), coop_members=members)
            self.relet_from(new, NEVER)
