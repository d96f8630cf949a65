"""Community cooperative (cooperativa di comunità): residents found and join a cooperative that runs
services the area lacks (here an errands / company / small-repairs service on its members' hours, sold at a
price to the households that want and can afford it), may hold a public contract (maintenance of the green
and common areas, awarded and renewed by rule) and optionally runs shared spaces.  Its accounts
(abm/levers/coop_accounts.py): member fees, sales, the contract and grants (renewed by rule) come in; a
fixed cost, a cost per service hour and the contract's work cost go out.  It fails (and stops for good) when
its money runs out or when it has fewer than ``min_volunteers`` active volunteers for ``failure_weeks``
weeks in a row; its survival is the ``community_coop_alive`` indicator, an outcome of these parameters.

Members join with a probability that grows with participation propensity and trust, and leave with
a yearly probability; each week members take on work by the participation rule, giving up to
``volunteer_hours`` of their free time.  Assemblies and that work are occasions of the participation
submodel (ODD 7.12).  ODD: docs/ODD.md, "Policy levers".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.dynamics import at_reference
from abm.errors import ConfigError
from abm.levers.base import CostRow, Lever, register
from abm.levers.common import Membership
from abm.levers.coop_accounts import Accounts, Week
from abm.params import param
from abm.population import weekly
from abm.store import Column
from abm.ties import NEVER
from abm.vocabulary import NEED_CATEGORIES, PAYERS


@dataclass
class CommunityCoopParams:
    """The community cooperative: membership, volunteering, services and accounts."""

    enabled: bool = False
    #: who pays the grants (the public or philanthropic share of its running cost)
    payer: str = param("foundations", choices=PAYERS)
    #: members at the founding (the households with the highest participation x trust)
    founding_members: int = param(9, lo=3, hi=100_000)
    #: weekly probability that a non-member with participation propensity and trust 0.5 joins
    recruitment: float = param(0.003, lo=0.0, hi=1.0)
    #: yearly probability that a member leaves the cooperative (without moving out)
    member_exit_annual: float = param(0.08, lo=0.0, hi=1.0)
    #: weekly probability that a member with participation propensity 0.5 volunteers
    volunteering: float = param(0.2, lo=0.0, hi=1.0)
    #: hours a volunteer gives in a week (at most their free hours)
    volunteer_hours: float = param(2.0, lo=0.0, hi=40.0)
    #: need categories its service meets (met by a cooperative service)
    service_categories: list[str] = param(default_factory=lambda: ["errands", "company", "repairs"],
                                          choices=NEED_CATEGORIES)
    #: names of shared spaces it runs while alive (volunteers keep them managed: no crowding friction)
    manage_spaces: list[str] = field(default_factory=list)
    #: volunteer hours a week that running one shared space takes
    space_hours: float = param(3.0, lo=0.0, hi=200.0)
    #: members' assembly every this many weeks: attendance of a member with participation propensity 0.5
    assembly_every_weeks: int = param(13, lo=1, hi=520)
    assembly_attendance: float = param(0.5, lo=0.0, hi=1.0)
    assembly_partners: int = param(3, lo=0, hi=50)
    #: accounts, EUR: share capital at the founding, yearly member fee
    initial_capital: float = param(3000.0, lo=0.0, hi=1e9)
    member_fee_year: float = param(50.0, lo=0.0, hi=1e6)
    #: its service is sold: price of an hour, EUR
    price_per_hour: float = param(8.0, lo=0.0, hi=1000.0)
    #: probability that a household brings a pending need of its categories to the cooperative ...
    demand: float = param(0.3, lo=0.0, hi=1.0)
    #: ... and buys it with probability 1 - price x hours / (affordability x a week's income), at least 0
    affordability: float = param(0.1, lo=0.0, hi=1.0, lo_open=True)
    #: running cost: fixed per year (insurance, accounting, a part-time coordinator) and per service hour
    fixed_cost_year: float = param(5000.0, lo=0.0, hi=1e9)
    cost_per_service_hour: float = param(3.0, lo=0.0, hi=1000.0)
    #: a public contract (maintenance of green and common areas): value a year (0: none), members' hours it
    #: takes a week, and the share of its value that its work costs (wages of the members who do it, equipment)
    contract_value_year: float = param(8000.0, lo=0.0, hi=1e9)
    contract_hours: float = param(6.0, lo=0.0, hi=1000.0)
    contract_cost_share: float = param(0.6, lo=0.0, hi=1.0)
    #: tendered every ``contract_years`` from week 1: won with ``contract_award``; held, it is renewed if the
    #: work was delivered in at least ``contract_min_delivery`` of the term's weeks
    contract_years: int = param(3, lo=1, hi=100)
    contract_award: float = param(0.5, lo=0.0, hi=1.0)
    contract_min_delivery: float = param(0.9, lo=0.0, hi=1.0)
    #: who pays the contract (the owner of the green and common areas)
    contract_payer: str = param("acer", choices=PAYERS)
    #: grant per year (municipality, foundation, regional call) for terms of ``grant_years`` years ...
    grant_year: float = param(5000.0, lo=0.0, hi=1e9)
    grant_years: int = param(3, lo=0, hi=100)
    #: ... renewed at the end of a term with ``grant_renewal`` if it has at least ``grant_min_members`` members
    #: and sold at least ``grant_min_hours_year`` hours in the last year; otherwise the grants end
    grant_renewal: float = param(0.5, lo=0.0, hi=1.0)
    grant_min_members: int = param(20, lo=0, hi=100_000)
    grant_min_hours_year: float = param(100.0, lo=0.0, hi=1e6)
    #: it fails with fewer active volunteers (who volunteered in the last ``active_weeks``) than this for
    #: ``failure_weeks`` weeks in a row
    min_volunteers: int = param(3, lo=0, hi=100_000)
    active_weeks: int = param(4, lo=1, hi=52)
    failure_weeks: int = param(13, lo=1, hi=520)

    def check_neighbourhood(self, policy, buildings, spaces, prefix: str) -> None:
        """``manage_spaces`` names the neighbourhood's shared spaces or those the shared-services lever opens."""
        names = [s.name for s in spaces]
        if policy.shared_services.enabled:
            names += [s.name for s in policy.shared_services.spaces]
        for i, s in enumerate(self.manage_spaces):
            if s not in names:
                raise ConfigError(f"{prefix}manage_spaces[{i}]", s,
                                  "names of shared spaces: " + (", ".join(names) or "(none in this neighbourhood)"))


@register
class CommunityCoop(Lever):
    """Recruits members and volunteers, runs a service and shared spaces, keeps accounts, may fail."""

    name = "community_coop"

    def __init__(self, model, params: CommunityCoopParams):
        super().__init__(model, params)
        self.spaces = self.run_spaces()
        self.categories = np.array([NEED_CATEGORIES.index(c) for c in params.service_categories])
        self.exit = weekly(params.member_exit_annual)
        self.members = Membership(model, self.name)
        #: the week each household last volunteered for it
        self.unit = model.households.declare(self.name, last_volunteered=Column(np.int64, NEVER))
        self.volunteers = np.zeros(0, dtype=np.int64)
        self.accounts = Accounts(params, self.rng)
        self.alive = True
        self.failed_week: int | None = None
        self.failure_cause = ""
        self.weeks_short = 0
        #: whether its volunteers had the hours to run its shared spaces this week
        self.running_spaces = False
        self.acts = dict.fromkeys(("joined", "left", "volunteerings", "services", "assemblies", "needs_brought",
                                   "needs_bought"), 0)
        hh = model.households
        occ = np.flatnonzero(hh.occupied)
        order = np.lexsort((self.rng.random(len(occ)), -(hh.participation[occ] * hh.trust[occ])))
        self.join(occ[order[: params.founding_members]])

    def join(self, slots: np.ndarray) -> None:
        self.members.join(slots)
        self.acts["joined"] += len(slots)

    def active_volunteers(self) -> int:
        return int((self.members.mask() & (self.model.week - self.unit.last_volunteered < self.p.active_weeks)).sum())

    # --- the week ---------------------------------------------------------------------------------------------
    def organise(self) -> None:
        if not self.alive:
            return
        p, model = self.p, self.model
        self.keep_accounts()
        if not self.alive:
            return
        self.accounts.tender(model.week)
        self.accounts.renew_grant(model.week, len(self.members))
        members = self.members.slots()
        leaving = members[self.rng.random(len(members)) < self.exit]
        self.members.leave(leaving)
        self.acts["left"] += len(leaving)
        self.recruit()
        members = self.members.slots()
        if model.week % p.assembly_every_weeks == 0:
            self.hold_assembly(members)
        self.call_volunteers(members)
        self.check_volunteers()

    def keep_accounts(self) -> None:
        """Close last week's accounts; a negative budget ends the cooperative."""
        if self.model.week > 1 and self.accounts.close(self.model.week - 1) < 0:
            self.fail("money")

    @property
    def budget(self) -> float:
        return self.accounts.budget

    def recruit(self) -> None:
        hh = self.model.households
        others = np.flatnonzero(hh.occupied & ~self.members.mask())
        prob = np.clip(at_reference(self.p.recruitment, hh.participation[others], hh.trust[others]), 0.0, 1.0)
        self.join(others[self.rng.random(len(others)) < prob])

    def hold_assembly(self, members: np.ndarray) -> None:
        p, model = self.p, self.model
        model.participation.gather(model, members, p.assembly_attendance, self.rng, p.assembly_partners)
        self.acts["assemblies"] += 1

    def call_volunteers(self, members: np.ndarray) -> None:
        """This week's volunteers, by the participation rule: they give hours to the service."""
        model = self.model
        self.volunteers = model.participation.volunteer(model, members, self.p.volunteering, self.rng)
        self.unit.last_volunteered[self.volunteers] = model.week
        self.acts["volunteerings"] += len(self.volunteers)

    def check_volunteers(self) -> None:
        self.weeks_short = self.weeks_short + 1 if self.active_volunteers() < self.p.min_volunteers else 0
        if self.weeks_short >= self.p.failure_weeks:
            self.fail("volunteers")

    def fail(self, cause: str) -> None:
        self.alive = False
        self.accounts.end()
        self.failed_week = self.model.week
        self.failure_cause = cause
        self.volunteers = self.volunteers[:0]
        self.model.space.set_managed(self.spaces, self.managed_without_it(self.spaces))
        self.running_spaces = False

    def run_spaces(self) -> np.ndarray:
        """Indices of the shared spaces it runs: those named in ``manage_spaces`` and every space whose manager
        is the community cooperative (of the neighbourhood or of a lever, also those opened later)."""
        return np.array([s.index for s in self.model.space.spaces
                         if s.spec.name in self.p.manage_spaces or s.spec.manager == "community_coop"], dtype=np.int64)

    def managed_without_it(self, spaces: np.ndarray) -> np.ndarray:
        """Whether each space has a manager of its own besides the cooperative (anyone but none or itself)."""
        return np.array([self.model.space.spaces[i].spec.manager not in ("none", "community_coop") for i in spaces],
                        dtype=bool)

    # --- its work: the contract, its spaces, its services --------------------------------------------------------
    def broker(self, needs) -> None:
        """This week's members' hours do the contract's work first, then run its shared spaces, then serve the
        needs households buy from it, most fragile first; the week is recorded in its accounts."""
        model, p = self.model, self.p
        self.spaces = self.run_spaces()
        if not self.alive:  # its spaces (also any opened since it failed) have only their own managers
            model.space.set_managed(self.spaces, self.managed_without_it(self.spaces))
            return
        give = np.minimum(model.help.free_hours[self.volunteers], p.volunteer_hours)
        pool = float(give.sum())
        contract = self.accounts.contract_held and pool >= p.contract_hours - 1e-9
        pool -= p.contract_hours if contract else 0.0
        space_hours = p.space_hours * len(self.spaces)
        running = pool >= space_hours - 1e-9
        self.running_spaces = bool(running and len(self.spaces))
        model.space.set_managed(self.spaces, self.managed_without_it(self.spaces) | running)
        pool -= space_hours if running else 0.0
        sold = self.sell(needs, pool)
        used = (p.contract_hours if contract else 0.0) + (space_hours if running else 0.0) + sold
        if len(give) and give.sum() > 0:
            model.help.spend_hours(self.volunteers, give * used / give.sum())
        self.accounts.record(model.week, Week(len(self.members), sold, contract))

    def buying(self, needs, idx: np.ndarray) -> np.ndarray:
        """Which of the pending needs ``idx`` (of its categories) are brought to it and bought: each with
        probability demand x max(0, 1 - price x hours / (affordability x a week's income))."""
        p, hh = self.p, self.model.households
        week_income = hh.income[needs.requester[idx]] * 12.0 / 52.0
        with np.errstate(divide="ignore", invalid="ignore"):
            afford = np.clip(1.0 - p.price_per_hour * needs.hours[idx] / (p.affordability * week_income), 0.0, 1.0)
        afford = np.where(week_income > 0, afford, 0.0)
        brought = idx[self.rng.random(len(idx)) < p.demand]
        self.acts["needs_brought"] += len(brought)
        pos = np.searchsorted(idx, brought)
        bought = brought[self.rng.random(len(brought)) < afford[pos]]
        self.acts["needs_bought"] += len(bought)
        return bought

    def sell(self, needs, pool: float) -> float:
        """Serve the needs bought from it, most fragile first, within ``pool`` hours; returns the hours sold."""
        hh = self.model.households
        idx = needs.pending()
        idx = self.buying(needs, idx[np.isin(needs.category[idx], self.categories)])
        idx = idx[np.lexsort((self.rng.random(len(idx)), -hh.fragility[needs.requester[idx]]))]
        done = idx[np.cumsum(needs.hours[idx]) <= pool + 1e-9]
        needs.serve(done)
        self.acts["services"] += len(done)
        return float(needs.hours[done].sum())

    def summary(self) -> dict[str, float]:
        return {**self.acts, **self.accounts.summary(), "members": len(self.members), "budget_eur": self.budget,
                "alive": self.alive, "failed_week": self.failed_week, "failure_cause": self.failure_cause}

    def costs_by_payer(self) -> dict[str, float]:
        """Its gross running cost at the current rate (0 once failed): residents pay their fees and purchases,
        the contract's payer the contract, its ``payer`` the rest (grants, or its own capital)."""
        if not self.alive:
            return {self.p.payer: 0.0}
        return self.accounts.yearly_by_payer(self.model.week, self.p.payer, self.p.contract_payer)

    def costs(self) -> list[CostRow]:
        """This week's gross running cost (fixed, service and contract costs; nothing once failed, nor in week 0),
        by who paid it (as :meth:`costs_by_payer`)."""
        week = self.model.week
        if week < 1 or not self.alive:
            return []
        return self.accounts.week_rows(week, self.p.payer, self.p.contract_payer)

    def yearly_cost(self) -> float:
        """Gross running cost at the current rate: fixed cost plus the service and contract costs of the last 52
        weeks (0 once failed)."""
        return self.accounts.yearly_cost(self.model.week) if self.alive else 0.0
