"""The metropolitan ERS fund: new permanent-rent social housing (ERS) built in the neighbourhood.

ODD: lever "ERS fund".  The fund finances ``buildings`` new buildings of ``building``'s shape (tenure ``ers``
by default); the works of building ``i`` start at week ``start_week + i x start_every_weeks`` and take
``delay_weeks``.  When a building is finished it is added to the neighbourhood (``model.add_building``: every
per-unit array grows, existing units keep their households and ties), its units count in ``units_created``
and are let at once: a share ``waiting_list_share`` to applicants from the social waiting list (chosen as the
allocation lever says; as many as the list holds), the rest on the market (households drawn for the tenure,
who were not on the list: ERS serves the "grey band" above ERP thresholds).  Later re-lets follow the moving
submodel (ERS is a social tenure: from the waiting list).

Cost (``cost_mode``, see :mod:`abm.levers.funding`): ``outlay`` = spending over the trailing year, each
building's units x ``cost_per_unit`` spread over its weeks of works; ``annuity`` = each finished unit's
instalment over ``annuity_years`` at ``policy.funding.interest_rate``.  Week by week (``costs``) the works'
outlay is capital creating new units.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from abm.errors import ConfigError
from abm.levers.allocation import applicants, let_from_waiting_list
from abm.levers.base import CostRow, Lever, register
from abm.levers.funding import COST_MODES, capital_per_year, capital_rows
from abm.params import param
from abm.space import BuildingSpec
from abm.vocabulary import PAYERS

#: tenures the fund may build (it builds rented social housing)
FUND_TENURES = ("ers", "erp")


def _ers_block() -> BuildingSpec:
    return BuildingSpec(name="ERS_nuovo", tenure="ers", stairwells=1, floors=4, units_per_landing=4, unit_m2=65.0)


@dataclass
class ErsFundParams:
    """New permanent-rent buildings financed by a metropolitan fund."""

    enabled: bool = False
    payer: str = param("ers_fund", choices=PAYERS)
    #: buildings financed
    buildings: int = param(1, lo=0, hi=100)
    #: week the works of the first building start, and weeks between the starts of the next ones
    start_week: int = param(0, lo=0, hi=100_000)
    start_every_weeks: int = param(52, lo=1, hi=5200)
    #: weeks of works from start to letting
    delay_weeks: int = param(104, lo=0, hi=1040)
    #: construction cost, EUR per unit (new build or heavy rebuild in Bologna: 120-210k)
    cost_per_unit: float = param(165_000.0, lo=0.0, hi=10_000_000.0)
    #: shape and tenure of each building (names get a suffix _1, _2, ... when several are built)
    building: BuildingSpec = field(default_factory=_ers_block)
    #: share of a new building's first lettings that go to the waiting list (the rest to the market)
    waiting_list_share: float = param(0.5, lo=0.0, hi=1.0)
    cost_mode: str = param("outlay", choices=COST_MODES)
    annuity_years: int = param(30, lo=1, hi=100)

    def check(self, prefix: str) -> None:
        if self.building.tenure not in FUND_TENURES:
            raise ConfigError(f"{prefix}building.tenure", self.building.tenure, "one of " + ", ".join(FUND_TENURES))
        if self.building.unusable_units or self.building.vacant_units:
            raise ConfigError(f"{prefix}building.unusable_units",
                              self.building.unusable_units + self.building.vacant_units,
                              "0 (unusable_units and vacant_units of a new building)")

    def names(self) -> list[str]:
        if self.buildings == 1:
            return [self.building.name]
        return [f"{self.building.name}_{i + 1}" for i in range(self.buildings)]

    def check_neighbourhood(self, policy, buildings, spaces, prefix: str) -> None:
        taken = {b.name for b in buildings}
        for name in self.names():
            if name in taken:
                raise ConfigError(f"{prefix}building.name", name, "a name no building of the neighbourhood has")


@register
class ErsFund(Lever):
    """Builds the financed buildings on schedule and lets their units."""

    name = "ers_fund"

    def __init__(self, model, params: ErsFundParams):
        super().__init__(model, params)
        self.start = params.start_week + params.start_every_weeks * np.arange(params.buildings)
        self.delivered = np.zeros(params.buildings, dtype=bool)
        self.units_per_building = params.building.stairwells * params.building.floors * params.building.units_per_landing

    def organise(self) -> None:
        due = np.flatnonzero(~self.delivered & (self.start + self.p.delay_weeks <= self.model.week))
        for i in due:
            self.deliver(int(i))

    def deliver(self, i: int) -> None:
        model = self.model
        spec = copy.deepcopy(self.p.building)
        spec.name = self.p.names()[i]
        units = model.add_building(spec)
        self.delivered[i] = True
        model.units_created += len(units)
        order = self.draw.permutation(units)
        n_list = min(int(round(self.p.waiting_list_share * len(units))), model.waiting_list)
        from_list, market = np.sort(order[:n_list]), np.sort(order[n_list:])
        if len(from_list):
            let_from_waiting_list(model, self.draw, from_list)
        if len(market):
            model.add_households(market, applicants(model, self.draw, market, "plain",
                                                    model.config.policy.allocation))

    def summary(self) -> dict[str, float]:
        delivered = int(self.delivered.sum())
        return {"buildings_delivered": delivered, "units_delivered": delivered * self.units_per_building}

    def yearly_cost(self) -> float:
        p = self.p
        return capital_per_year(p.cost_mode, self.units_per_building * p.cost_per_unit, self.start, self.delivered,
                                p.delay_weeks, p.annuity_years, self.model.config.policy.funding.interest_rate,
                                self.model.week)

    def costs(self) -> list[CostRow]:
        """This week's outlay on the works of each building (its units x ``cost_per_unit`` spread over its weeks
        of works), capital creating new units that enter service when the building is delivered."""
        p = self.p
        return capital_rows(p.payer, "new_units", self.units_per_building * p.cost_per_unit, self.start,
                            p.delay_weeks, self.model.week)
