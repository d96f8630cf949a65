"""Community cooperative (cooperativa di comunità): residents found and join a cooperative that runs
services the area lacks (here an errands / company / small-repairs service on volunteers' hours, and
optionally the running of shared spaces).  It keeps accounts: member fees, grants for a number of
years and users' fees come in; a fixed running cost and a cost per service hour go out.  It fails (and
stops for good) when its money runs out or when it has fewer than ``min_volunteers`` active volunteers
for ``failure_weeks`` weeks in a row; its survival is the ``community_coop_alive`` indicator.

Members join with a probability that grows with participation propensity and trust, and leave with
a yearly probability; each week members volunteer with a probability that grows with participation
propensity, giving up to ``volunteer_hours`` of their free time.  Volunteering counts as
participation and as volunteering; members' assemblies count as participation.
ODD: docs/ODD.md, "Policy levers".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.dynamics import at_reference
from abm.errors import ConfigError
from abm.events import per_year
from abm.levers.base import CostRow, Lever, register
from abm.levers.common import Membership
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
    #: accounts, EUR: share capital at the founding, yearly member fee, fee a user pays per service hour
    initial_capital: float = param(3000.0, lo=0.0, hi=1e9)
    member_fee_year: float = param(50.0, lo=0.0, hi=1e6)
    user_fee_per_hour: float = param(5.0, lo=0.0, hi=1000.0)
    #: running cost: fixed per year (insurance, accounting, a part-time coordinator) and per service hour
    fixed_cost_year: float = param(5000.0, lo=0.0, hi=1e9)
    cost_per_service_hour: float = param(3.0, lo=0.0, hi=1000.0)
    #: grant per year (municipality, foundation, regional call) for the first ``grant_years`` years
    grant_year: float = param(5000.0, lo=0.0, hi=1e9)
    grant_years: int = param(3, lo=0, hi=100)
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
        self.budget = params.initial_capital
        self.alive = True
        self.failed_week: int | None = None
        self.failure_cause = ""
        self.weeks_short = 0
        #: whether its volunteers had the hours to run its shared spaces this week
        self.running_spaces = False
        self.service_hours = np.zeros(52)  # by week % 52
        self.fees = np.zeros(52)  # members' and users' fees, EUR, by week % 52
        self.acts = dict.fromkeys(("joined", "left", "volunteerings", "services", "assemblies"), 0)
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
        """Last week's income and costs; a negative balance ends the cooperative."""
        p, week = self.p, self.model.week
        hours = self.service_hours[(week - 1) % 52]
        fees = self.week_fees(hours)
        self.fees[(week - 1) % 52] = fees
        income = fees
        if week <= p.grant_years * 52:
            income += p.grant_year / 52.0
        self.budget += income - p.fixed_cost_year / 52.0 - hours * p.cost_per_service_hour
        if self.budget < 0:
            self.fail("money")

    def week_fees(self, hours: float) -> float:
        """Members' fees for a week and users' fees for ``hours`` of service, EUR."""
        return len(self.members) * self.p.member_fee_year / 52.0 + hours * self.p.user_fee_per_hour

    def week_cost(self, hours: float) -> float:
        """A week's fixed cost and the cost of ``hours`` of service, EUR (what :meth:`keep_accounts` pays)."""
        return self.p.fixed_cost_year / 52.0 + hours * self.p.cost_per_service_hour

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

    # --- its services --------------------------------------------------------------------------------------
    def broker(self, needs) -> None:
        """Volunteers' hours run the shared spaces first, then meet pending needs, most fragile first."""
        model = self.model
        self.service_hours[model.week % 52] = 0.0
        self.spaces = self.run_spaces()
        if not self.alive:  # its spaces (also any opened since it failed) have only their own managers
            model.space.set_managed(self.spaces, self.managed_without_it(self.spaces))
            return
        give = np.minimum(model.help.free_hours[self.volunteers], self.p.volunteer_hours)
        pool = float(give.sum())
        space_hours = self.p.space_hours * len(self.spaces)
        running = pool >= space_hours - 1e-9
        self.running_spaces = bool(running and len(self.spaces))
        model.space.set_managed(self.spaces, self.managed_without_it(self.spaces) | running)
        pool -= space_hours if running else 0.0
        hh = model.households
        idx = needs.pending()
        idx = idx[np.isin(needs.category[idx], self.categories)]
        idx = idx[np.lexsort((self.rng.random(len(idx)), -hh.fragility[needs.requester[idx]]))]
        done = idx[np.cumsum(needs.hours[idx]) <= pool + 1e-9]
        needs.serve(done)
        used = float(needs.hours[done].sum()) + (space_hours if running else 0.0)
        if len(give) and give.sum() > 0:
            model.help.spend_hours(self.volunteers, give * used / give.sum())
        self.service_hours[model.week % 52] = float(needs.hours[done].sum())
        self.acts["services"] += len(done)

    def summary(self) -> dict[str, float]:
        return {**self.acts, "members": len(self.members), "budget_eur": self.budget, "alive": self.alive,
                "failed_week": self.failed_week, "failure_cause": self.failure_cause}

    def costs_by_payer(self) -> dict[str, float]:
        """Its running cost: residents pay the fees of the last 52 weeks (annualised), its ``payer`` the rest
        (grants, and the cooperative's own capital when grants fall short)."""
        cost = self.yearly_cost()
        fees = min(per_year(float(self.fees.sum()), self.model.week), cost) if self.alive else 0.0
        out = {self.p.payer: cost - fees}
        out["residents"] = out.get("residents", 0.0) + fees
        return out

    def costs(self) -> list[CostRow]:
        """This week's running cost (fixed cost and service hours; nothing once failed, nor in week 0): the
        week's members' and users' fees paid by ``residents``, the rest by its ``payer``."""
        week = self.model.week
        if week < 1 or not self.alive:
            return []
        hours = float(self.service_hours[week % 52])
        cost = self.week_cost(hours)
        fees = min(self.week_fees(hours), cost)
        return [row for row in (CostRow(self.p.payer, "running", cost - fees), CostRow("residents", "running", fees))
                if row.eur]

    def yearly_cost(self) -> float:
        """Running cost at the current rate: fixed cost plus the service hours of the last 52 weeks (0 once failed)."""
        if not self.alive:
            return 0.0
        return self.p.fixed_cost_year + per_year(self.p.cost_per_service_hour * float(self.service_hours.sum()),
                                                 self.model.week)
