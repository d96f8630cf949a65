"""Residents' self-governance, dosed: supported self-management (autogestione) of ERP and other
non-cooperative buildings, and support to the assemblies of an existing residents' cooperative.

It does not re-implement assemblies: it runs a :class:`~abm.agents.ResidentsCooperative` body (the same
assemblies and self-management tasks as a residents' cooperative, with their own parameters in
``self_management``) for the households of the chosen buildings, and a facilitator whose weekly hours
make it work.  Each assembly of the supported body takes ``hours_per_assembly`` of the facilitator's
hours (no hours, no assembly and no self-management tasks that week); the remaining hours go to
personal invitations (door to door, phone) before the next assembly, in the supported buildings and,
with ``support_cooperative``, among the members of the residents' cooperative; an invitation
multiplies a household's attendance probability by ``invitation_factor``, those who have not taken
part for longest first.  Attendance grows with participation propensity and trust and raises both
(feedback).  Its cost is the facilitator's, counted as ``cost_year_coop_governance``.
ODD: docs/ODD.md, "Policy levers".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.agents import CooperativeParams, ResidentsCooperative
from abm.levers.base import register
from abm.levers.common import StaffedLever, StaffedParams, check_building_names, covered_units
from abm.params import param
from abm.ties import NEVER


def _self_management() -> CooperativeParams:
    # ERP tenants have no member's stake: lower attendance and task-taking than in a cooperative (assumption)
    return CooperativeParams(assembly_every_weeks=4, attendance=0.12, partners_per_assembly=3,
                             trust_gain=0.02, participation_gain=0.02, volunteering=0.01)


@dataclass
class CoopGovernanceParams(StaffedParams):
    """Supported self-management: buildings, the facilitator's hours, and the self-managed body."""

    #: non-cooperative buildings where self-management is supported; [] = every non-cooperative building
    buildings: list[str] = field(default_factory=list)
    #: also invite the residents' cooperative's members to its assemblies
    support_cooperative: bool = True
    #: facilitator hours a week
    hours_per_week: float = param(6.0, lo=0.0, hi=400.0)
    #: facilitator hours to prepare, chair and minute one assembly of the supported body
    hours_per_assembly: float = param(4.0, lo=0.0, hi=100.0)
    #: facilitator hours of one personal invitation
    hours_per_invitation: float = param(0.25, lo=0.0, hi=10.0, lo_open=True)
    #: attendance multiplier of an invited household
    invitation_factor: float = param(2.0, lo=1.0, hi=20.0)
    #: the supported body's self-management tasks stop after this many assembly intervals without an assembly
    lapse_intervals: int = param(2, lo=1, hi=52)
    #: assemblies and self-management tasks of the supported body
    self_management: CooperativeParams = field(default_factory=_self_management)

    def check_neighbourhood(self, policy, buildings, spaces, prefix: str) -> None:
        check_building_names(self.buildings, buildings, f"{prefix}buildings", exclude_tenure="coop")


@register
class CoopGovernance(StaffedLever):
    """A facilitator runs assemblies of self-management in chosen buildings and invites residents to them."""

    name = "coop_governance"

    def __init__(self, model, params: CoopGovernanceParams):
        super().__init__(model, params)
        self.body = ResidentsCooperative(model, params.self_management, units=self.covered(), rng=self.rng,
                                         name=self.name)
        # with buildings: [] the units of new (non-coop) buildings are supported too
        model.households.on_grow(lambda n_units: self.body.cover(self.covered()))
        self.last_assembly = NEVER
        self.acts = dict.fromkeys(("assemblies", "skipped_assemblies", "invitations"), 0)

    def covered(self) -> np.ndarray:
        """Units of the supported buildings (``buildings: []``: every non-coop building, those built later too)."""
        return covered_units(self.model, self.p.buildings, "policy.coop_governance.buildings", exclude_tenure="coop")

    def bodies(self) -> list[ResidentsCooperative]:
        """The assemblies the facilitator invites to: the supported body, and the cooperative's if supported."""
        out = [self.body] if len(self.body.units) else []
        if self.p.support_cooperative:
            out += list(self.model.cooperatives)
        return out

    def organise(self) -> None:
        p, model = self.p, self.model
        hours = p.hours_per_week if self.is_open() else 0.0  # the facilitator's week (none when closed)
        members = self.body.members()
        every = p.self_management.assembly_every_weeks
        if len(members) and model.week % every == 0:
            if hours >= p.hours_per_assembly - 1e-9:
                hours -= p.hours_per_assembly
                self.body.hold_assembly(members)
                self.last_assembly = model.week
                self.acts["assemblies"] += 1
            else:
                self.acts["skipped_assemblies"] += 1
        # self-management tasks go on while assemblies are held (fewer than lapse_intervals intervals without one)
        if len(members) and model.week - self.last_assembly < p.lapse_intervals * every:
            self.body.assign_tasks(members)
        self.invite(int(hours / p.hours_per_invitation + 1e-9))

    def invite(self, k: int) -> None:
        """``k`` personal invitations to the next assemblies, to those who took part least recently; what is
        left is split evenly among the bodies still to invite (one with fewer people to invite leaves the rest
        to the next)."""
        hh = self.model.households
        bodies = self.bodies()
        for i, body in enumerate(bodies):
            people = body.members()
            not_yet = people[~body.invited(people, body.next_assembly())]
            if k <= 0 or len(not_yet) == 0:
                continue
            share = -(-k // (len(bodies) - i))  # ceil(k / bodies still to invite)
            order = np.lexsort((self.rng.random(len(not_yet)), hh.last_participation[not_yet]))
            chosen = not_yet[order[:share]]
            body.invite(chosen, self.p.invitation_factor)
            self.acts["invitations"] += len(chosen)
            k -= len(chosen)
