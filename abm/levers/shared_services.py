"""Shared services: common room, shared laundry, community garden, tool library (and any others in config).

ODD: lever "Shared services".  Each space is added to the neighbourhood's shared spaces when the policy
starts (week 0, after the spin-up), so from week 1 it is used through the encounters submodel exactly like
the spaces of the neighbourhood preset: eligible households visit it with a weekly probability that grows
with their participation propensity, up to its weekly capacity (capacity x sessions), and meet other
visitors of their session (ties form and strengthen).  Demand above capacity in an unmanaged space (manager
``none``) raises its visitors' conflict hazard (conflict submodel); a manager (residents' cooperative,
community cooperative, portierato, municipality) schedules use, so a managed space creates no crowding
friction.  A visit is an encounter, not participation (ODD 7.12).  On top of the core mechanism, in a
self-managed space (residents' or community cooperative) visitors take on management tasks (opening rota,
cleaning, plots) by the participation rule with ``volunteer_probability`` as the task's rate
(``volunteers_share``).

Cost: running cost per year plus the set-up cost annualised over ``setup_years`` at
``policy.funding.interest_rate`` (see :mod:`abm.levers.funding`).  Week by week (``costs``): the set-up cost
as capital in the week a space opens, its running cost over 52 weeks from its first week of use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.errors import ConfigError
from abm.levers.base import CostRow, Lever, register
from abm.levers.funding import annuity
from abm.params import param
from abm.space import SharedSpaceSpec
from abm.vocabulary import PAYERS

#: managers that are residents running the space themselves (their visitors volunteer)
SELF_MANAGED = ("residents_coop", "community_coop")
#: managers that exist only when their lever is switched on
LEVER_MANAGERS = ("portierato", "community_coop")


@dataclass
class ServiceSpaceSpec(SharedSpaceSpec):
    """A shared space run as a service: the space (see SharedSpaceSpec) plus its costs and what it organises."""

    #: running cost (utilities, cleaning, insurance, maintenance), EUR per year
    running_cost_year: float = param(3000.0, lo=0.0, hi=10_000_000.0)
    #: one-off set-up cost (works, furniture, machines), EUR, annualised over ``setup_years``
    setup_cost: float = param(0.0, lo=0.0, hi=100_000_000.0)
    setup_years: int = param(10, lo=1, hi=100)
    #: weekly probability that a visitor of a self-managed space at the reference propensities takes on a
    #: management task
    volunteer_probability: float = param(0.05, lo=0.0, hi=1.0)

    def yearly_cost(self, interest_rate: float) -> float:
        return self.running_cost_year + annuity(self.setup_cost, interest_rate, self.setup_years)


def default_spaces() -> list[ServiceSpaceSpec]:
    return [
        ServiceSpaceSpec(name="sala_comune", kind="common_room", capacity=25, sessions_per_week=3,
                         use_probability=0.06, manager="municipality", running_cost_year=6000.0,
                         setup_cost=15000.0, setup_years=10),
        ServiceSpaceSpec(name="lavanderia", kind="laundry", capacity=4, sessions_per_week=14,
                         use_probability=0.15, manager="none", running_cost_year=2500.0, setup_cost=8000.0,
                         setup_years=8, volunteer_probability=0.0),
        ServiceSpaceSpec(name="orto", kind="garden", capacity=10, sessions_per_week=5, use_probability=0.04,
                         manager="none", running_cost_year=1500.0, setup_cost=5000.0, setup_years=10),
        ServiceSpaceSpec(name="biblioteca_attrezzi", kind="tool_library", capacity=6, sessions_per_week=2,
                         use_probability=0.03, manager="none", running_cost_year=1000.0, setup_cost=3000.0,
                         setup_years=5),
    ]


def space_costs(spaces: list[tuple[ServiceSpaceSpec, int]], payer: str, week: int) -> list[CostRow]:
    """What shared spaces (each with the week it opened) cost in ``week``: the set-up cost of those opened
    this week (capital creating the space), the running cost over 52 weeks of those in use (from the week
    after they opened)."""
    setup = sum(spec.setup_cost for spec, opened in spaces if opened == week)
    running = sum(spec.running_cost_year for spec, opened in spaces if opened < week) / 52.0
    rows = [CostRow(payer, "capital", float(setup), "shared_space", week)] if setup else []
    return rows + ([CostRow(payer, "running", float(running))] if running else [])


# --- checks shared with the regeneration lever ------------------------------------------------------------------
def check_manager_levers(key: str, manager: str, policy) -> None:
    """A space managed by the portierato or a community cooperative needs that lever switched on."""
    if manager in LEVER_MANAGERS:
        lever = getattr(policy, manager, None)
        if not getattr(lever, "enabled", False):
            raise ConfigError(key, manager, f"a manager that exists: switch on policy.{manager}.enabled, "
                                            "or use none, municipality or residents_coop")


def residents_coop_defined(policy, buildings) -> bool:
    """A residents' cooperative exists: a coop building, or a lever that lets units to cooperative members."""
    if any(b.tenure == "coop" for b in buildings):
        return True
    regen, alloc = getattr(policy, "regeneration", None), getattr(policy, "allocation", None)
    return bool((regen is not None and regen.enabled and regen.rule == "coop_members")
                or (alloc is not None and alloc.enabled and alloc.coop_share > 0))


def check_residents_coop(key: str, manager: str, policy, buildings) -> None:
    if manager == "residents_coop" and not residents_coop_defined(policy, buildings):
        raise ConfigError(key, manager, "a manager that exists: residents_coop needs a building of tenure coop "
                                        "(or regeneration letting to coop_members, or allocation.coop_share > 0)")


def check_space_buildings(key: str, spec: SharedSpaceSpec, buildings, empty: str) -> None:
    """The buildings a space names (``building``, ``buildings``) exist; otherwise a ConfigError names
    ``key.building`` or ``key.buildings``; ``empty`` says what no name means."""
    names = [b.name for b in buildings]
    for name in spec.users():
        if name not in names:
            field_name = "building" if name == spec.building else "buildings"
            raise ConfigError(f"{key}.{field_name}", name, f"{empty} or one of " + ", ".join(names))


def record_use(model, spaces, rng: np.random.Generator) -> None:
    """After this week's encounters: visitors of self-managed spaces take on management tasks (participation
    rule); a visit itself is an encounter, not participation."""
    visited = model.encounters.visited
    for space in spaces:
        spec = space.spec
        # a space of the community cooperative is self-managed only while the cooperative runs it
        if spec.manager not in SELF_MANAGED or spec.volunteer_probability <= 0 or not model.space.managed[space.index]:
            continue
        users = space.eligible[visited[space.eligible] == space.index]
        if len(users):
            model.participation.volunteer(model, users, spec.volunteer_probability, rng)


# --- parameters and lever ------------------------------------------------------------------------------------------
@dataclass
class SharedServicesParams:
    """Shared spaces opened by the policy."""

    enabled: bool = False
    payer: str = param("municipality", choices=PAYERS)
    spaces: list[ServiceSpaceSpec] = field(default_factory=default_spaces)

    def check(self, prefix: str) -> None:
        names = [s.name for s in self.spaces]
        if len(set(names)) != len(names):
            raise ConfigError(f"{prefix}spaces", names, "unique space names")

    def check_policy(self, policy, prefix: str) -> None:
        for i, s in enumerate(self.spaces):
            check_manager_levers(f"{prefix}spaces[{i}].manager", s.manager, policy)

    def check_neighbourhood(self, policy, buildings, spaces, prefix: str) -> None:
        for i, s in enumerate(self.spaces):
            check_space_buildings(f"{prefix}spaces[{i}]", s, buildings, "'' (whole neighbourhood)")
            check_residents_coop(f"{prefix}spaces[{i}].manager", s.manager, policy, buildings)


@register
class SharedServices(Lever):
    """Opens its spaces at week 0; each week records what their managers organise."""

    name = "shared_services"

    def __init__(self, model, params: SharedServicesParams):
        super().__init__(model, params)
        self.spaces = [model.space.add_space(spec) for spec in params.spaces]
        self.opened = model.week

    def organise(self) -> None:
        record_use(self.model, self.spaces, self.rng)

    def yearly_cost(self) -> float:
        rate = self.model.config.policy.funding.interest_rate
        return float(sum(s.spec.yearly_cost(rate) for s in self.spaces))

    def costs(self) -> list[CostRow]:
        return space_costs([(s.spec, self.opened) for s in self.spaces], self.p.payer, self.model.week)
