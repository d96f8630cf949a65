"""Regeneration of vacant stock: unusable units are restored and let as collaborative housing.

ODD: lever "Regeneration of vacant stock".  By week ``t`` the programme has started works on
``floor(units_per_year x t / 52)`` units (or all it could), chosen among the units that cannot be let
(``space.habitable`` False), building by building (the building with the most unusable units first, then at
random within it), up to ``max_units`` (0: all the stock).  Works take ``delay_weeks``; then the unit
becomes habitable, counts in ``units_created`` and is let at once to households chosen by ``rule``:

- ``waiting_list``: applicants from the social waiting list, chosen as the allocation lever says (first on
  the list when it is off); units for which the list has nobody wait and are re-let by the moving submodel;
- ``social_mix``: applicants from the waiting list chosen for the social mix (``policy.allocation.mix_target``,
  ``candidates`` and ``mix_scope``, whether or not the allocation lever is on);
- ``coop_members``: members of a residents' cooperative, not from the waiting list (a cooperative is formed
  if there is none); the units take ``tenure`` (coop by default for this rule).

Let as collaborative housing (``collaborative``), the regenerated units of a building share a space
(``shared_space``: a common room by default) in that building, or, if ``shared_space.building`` names one,
the regenerated units of every building share a single space there; it is open to the regenerated units it
serves (``space_open_to: regenerated``) or also to the whole building it is in, and to every unit of
``shared_space.buildings``; it is used through the encounters submodel like any shared space and organised
as in the shared-services lever.  Later re-lets of these units follow the moving submodel.

Cost (``cost_mode``, see :mod:`abm.levers.funding`): ``outlay`` = spending on works over the trailing year,
each unit's ``cost_per_unit`` spread over its weeks of works (= ``units_per_year x cost_per_unit`` while the
programme runs);
``annuity`` = each finished unit's instalment over ``annuity_years``; plus each shared space's running and
annualised set-up cost.  Week by week (``costs``) the works' outlay is capital creating regenerated units, a
space's set-up cost capital in the week it opens.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from abm.levers.allocation import applicants, let_from_waiting_list
from abm.levers.base import CostRow, Lever, register
from abm.levers.funding import COST_MODES, capital_per_year, capital_rows
from abm.levers.shared_services import (ServiceSpaceSpec, check_manager_levers, check_residents_coop,
                                        check_space_buildings, record_use, space_costs)
from abm.params import param
from abm.vocabulary import PAYERS, TENURE_CODE, TENURES

REGEN_RULES = ("waiting_list", "coop_members", "social_mix")


def _common_room() -> ServiceSpaceSpec:
    return ServiceSpaceSpec(name="sala_comune_rigenerata", kind="common_room", capacity=15, sessions_per_week=3,
                            use_probability=0.15, manager="municipality", running_cost_year=2500.0,
                            setup_cost=0.0, setup_years=10, volunteer_probability=0.05)


@dataclass
class RegenerationParams:
    """A programme that restores unusable units and lets them as collaborative housing."""

    enabled: bool = False
    payer: str = param("acer", choices=PAYERS)
    #: units whose works start per year
    units_per_year: float = param(6.0, lo=0.0, hi=10_000.0)
    #: cost of the works, EUR per unit (restoring a vacant ERP unit: 10-35k, regional cap 35k)
    cost_per_unit: float = param(25_000.0, lo=0.0, hi=10_000_000.0)
    #: weeks of works per unit
    delay_weeks: int = param(26, lo=0, hi=520)
    #: most units the programme regenerates in all (0: all the unusable stock)
    max_units: int = param(0, lo=0)
    rule: str = param("waiting_list", choices=REGEN_RULES)
    #: tenure of the regenerated units ("": keep the building's; the coop_members rule defaults to coop)
    tenure: str = param("", choices=("", *TENURES))
    cost_mode: str = param("outlay", choices=COST_MODES)
    annuity_years: int = param(30, lo=1, hi=100)
    #: let as collaborative housing: the regenerated units share ``shared_space`` (one in each of their
    #: buildings, or one in ``shared_space.building``; ``shared_space.buildings`` may use it too)
    collaborative: bool = True
    shared_space: ServiceSpaceSpec = field(default_factory=_common_room)
    #: who may use that space: the regenerated units only, or also the whole building it is in
    space_open_to: str = param("regenerated", choices=("regenerated", "building"))

    def check_policy(self, policy, prefix: str) -> None:
        if self.collaborative:
            check_manager_levers(f"{prefix}shared_space.manager", self.shared_space.manager, policy)

    def check_neighbourhood(self, policy, buildings, spaces, prefix: str) -> None:
        if self.collaborative:
            check_space_buildings(f"{prefix}shared_space", self.shared_space, buildings,
                                  "'' (a space in each building with regenerated units)")
            check_residents_coop(f"{prefix}shared_space.manager", self.shared_space.manager, policy, buildings)


@register
class Regeneration(Lever):
    """Starts works, finishes them, lets the units and opens their shared spaces."""

    name = "regeneration"

    def __init__(self, model, params: RegenerationParams):
        super().__init__(model, params)
        tenure = params.tenure or ("coop" if params.rule == "coop_members" else "")
        self.tenure = TENURE_CODE[tenure] if tenure else None
        #: units under works or done, the week their works started, and whether they are finished
        self.units = np.zeros(0, dtype=np.int64)
        self.started = np.zeros(0, dtype=np.int64)
        self.finished = np.zeros(0, dtype=bool)
        #: building index -> its collaborative-housing shared space, and the week it opened
        self.spaces: dict[int, object] = {}
        self.opened: dict[int, int] = {}
        if params.rule == "coop_members":
            model.ensure_residents_coop()

    # --- weekly --------------------------------------------------------------------------------------------
    def organise(self) -> None:
        self.start_works()
        self.finish_works()
        record_use(self.model, self.spaces.values(), self.rng)

    def candidates(self) -> np.ndarray:
        """Unusable units not yet in the programme, in the order works would start on them."""
        nb = self.model.space
        free = ~nb.habitable.copy()
        free[self.units] = False
        units = np.flatnonzero(free)
        stock = np.bincount(nb.unit_building[units], minlength=len(nb.buildings))
        order = np.lexsort((self.rng.random(len(units)), -stock[nb.unit_building[units]]))
        return units[order]

    def start_works(self) -> None:
        """Start as many units as the programme's rate allows by now (``units_per_year x weeks / 52``)."""
        p = self.p
        due = int(np.floor(p.units_per_year * self.model.week / 52.0 + 1e-9))
        if p.max_units:
            due = min(due, p.max_units)
        n = due - len(self.units)
        if n <= 0:
            return
        units = self.candidates()[:n]  # fewer once the unusable stock is exhausted
        self.units = np.concatenate([self.units, units])
        self.started = np.concatenate([self.started, np.full(len(units), self.model.week)])
        self.finished = np.concatenate([self.finished, np.zeros(len(units), dtype=bool)])

    def finish_works(self) -> None:
        model = self.model
        done = ~self.finished & (self.started + self.p.delay_weeks <= model.week)
        if not done.any():
            return
        self.finished |= done
        units = np.sort(self.units[done])
        model.space.make_habitable(units, self.tenure)
        self.let(units)
        if self.p.collaborative:
            self.open_spaces(units)

    def let(self, units: np.ndarray) -> None:
        """Let the finished units by the rule; those the waiting list cannot fill go to the moving submodel."""
        model, p = self.model, self.p
        if p.rule == "coop_members":
            attrs = applicants(model, self.rng, units, "coop_members", model.config.policy.allocation)
            model.add_households(units, attrs, coop_members=units)
            return
        now, wait = units[: model.waiting_list], units[model.waiting_list:]
        let_from_waiting_list(model, self.rng, now, "social_mix" if p.rule == "social_mix" else None)
        model.moving.relet_from(wait, model.week)

    def open_spaces(self, units: np.ndarray) -> None:
        """The regenerated units share a space: one in each building with regenerated units (opened with its
        first ones), or a single one in ``shared_space.building`` for all of them (opened with the first)."""
        nb, chosen = self.model.space, self.p.shared_space.building
        regenerated = self.units[self.finished]
        places = [nb.building_index[chosen]] if chosen else np.unique(nb.unit_building[units])
        for b in places:
            served = regenerated if chosen else regenerated[nb.unit_building[regenerated] == b]
            eligible = self.space_users(b, served)
            if b in self.spaces:
                self.spaces[b].open_to(eligible)
                continue
            spec = copy.deepcopy(self.p.shared_space)
            spec.building = nb.buildings[b].name
            spec.name = f"{spec.name}_{spec.building}"
            self.spaces[b] = self.model.space.add_space(spec, eligible)
            self.opened[b] = self.model.week

    def space_users(self, b: int, served: np.ndarray) -> np.ndarray:
        """Units whose households may use the space in building ``b``: the regenerated units it serves, the
        whole of ``b`` (``space_open_to: building``) and every unit of ``shared_space.buildings``."""
        nb = self.model.space
        whole = [b] if self.p.space_open_to == "building" else []
        whole += [nb.building_index[name] for name in self.p.shared_space.buildings]
        return np.union1d(served, np.flatnonzero(np.isin(nb.unit_building, whole))).astype(np.int64)

    # --- cost ----------------------------------------------------------------------------------------------
    def summary(self) -> dict[str, float]:
        return {"units_started": len(self.units), "units_finished": int(self.finished.sum()),
                "shared_spaces": len(self.spaces)}

    def yearly_cost(self) -> float:
        p, rate = self.p, self.model.config.policy.funding.interest_rate
        capital = capital_per_year(p.cost_mode, p.cost_per_unit, self.started, self.finished, p.delay_weeks,
                                   p.annuity_years, rate, self.model.week)
        return float(capital + sum(s.spec.yearly_cost(rate) for s in self.spaces.values()))

    def costs(self) -> list[CostRow]:
        """This week's outlay on works (each unit's ``cost_per_unit`` spread over its weeks of works: capital
        creating regenerated units) and its shared spaces' set-up and running costs."""
        p, week = self.p, self.model.week
        works = capital_rows(p.payer, "regenerated_units", p.cost_per_unit, self.started, p.delay_weeks, week)
        spaces = [(self.spaces[b].spec, self.opened[b]) for b in self.spaces]
        return works + space_costs(spaces, p.payer, week)
