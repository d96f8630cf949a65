"""Mesa agents: residents (thin views onto the household arrays), the residents' cooperative and
formal services.  Lever agents (portierato, mediation, ...) live in :mod:`abm.levers`.
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass, field

import mesa
import numpy as np

from abm.params import param
from abm.rng import OwnStream
from abm.store import Column
from abm.submodels.help import Needs
from abm.vocabulary import HOUSEHOLD_TYPES, NEED_CATEGORIES


class ModelCounters(weakref.WeakKeyDictionary):
    """Per model, the counter of its agents' ids (1, 2, ...), held weakly.

    Mesa 3.3 keeps that counter in ``mesa.Agent._ids``, a class-level ``defaultdict`` keyed by the model: its
    strong reference keeps every model ever built alive, with all its agents and arrays, for the life of the
    process (mesa/mesa#3179, fixed in Mesa 3.5, which needs Python 3.12).  A sweep worker or a calibration
    process that runs thousands of models would grow without bound.  Keyed weakly, a model's counter goes
    with the model; the ids it hands out are the same as Mesa's (a fresh count from 1 per model)."""

    def __getitem__(self, model) -> itertools.count:
        try:
            return super().__getitem__(model)
        except KeyError:
            self[model] = counter = itertools.count(1)
            return counter


class Agent(mesa.Agent):
    """The base of the model's agents: a Mesa agent whose id counter lets the model be garbage-collected."""

    _ids = ModelCounters()


class Resident(Agent):
    """A household living in one dwelling unit; its state is read from the model's household arrays."""

    def __init__(self, model, slot: int, hid: int):
        super().__init__(model)
        self.slot = int(slot)
        #: the household's persistent id in the store (``households.hid``)
        self.hid = int(hid)

    @property
    def household_type(self) -> str:
        return HOUSEHOLD_TYPES[int(self.model.households.htype[self.slot])]


@dataclass
class CooperativeParams:
    """The residents' cooperative (cooperativa di abitanti) of coop-tenure buildings."""

    #: weeks between assemblies
    assembly_every_weeks: int = param(4, lo=1, hi=520)
    #: attendance probability of a member with participation propensity 0.5 and trust 0.5
    attendance: float = param(0.35, lo=0.0, hi=1.0)
    #: people each attendee talks with at an assembly
    partners_per_assembly: int = param(3, lo=0, hi=50)
    #: share of the gap to 1 closed in trust and participation propensity by attending
    trust_gain: float = param(0.02, lo=0.0, hi=1.0)
    participation_gain: float = param(0.02, lo=0.0, hi=1.0)
    #: weekly probability that a member with propensity 0.5 takes on a self-management task (volunteering)
    volunteering: float = param(0.04, lo=0.0, hi=1.0)


class ResidentsCooperative(OwnStream, Agent):
    """Holds assemblies and self-management tasks for the households living in coop buildings.

    The same body serves supported self-management (autogestione) in other buildings: the
    ``coop_governance`` lever builds one with ``units`` (the households of those buildings take part) and
    its own random stream, and a facilitator's invitations raise attendance (``invite``).
    """

    def __init__(self, model, params: CooperativeParams, units: np.ndarray | None = None,
                 rng: np.random.Generator | None = None, name: str = "residents_coop"):
        super().__init__(model)
        self.p = params
        self.rng = model.stream("residents_coop") if rng is None else rng
        #: units whose households take part; None: the members of the coop-tenure buildings
        self.units = units
        #: last assembly week for which each unit's household holds a personal invitation (-1: none)
        self.unit = model.households.declare(name, invited_until=Column(np.int64, -1, week=True))
        #: attendance multiplier of an invited household
        self.invitation_factor = 1.0
        self.assemblies_held = 0

    def members(self) -> np.ndarray:
        hh = self.model.households
        if self.units is None:
            return np.flatnonzero(hh.occupied & hh.coop_member)
        return self.units[hh.occupied[self.units]]

    def next_assembly(self) -> int:
        """The week of the next assembly after this one."""
        every = self.p.assembly_every_weeks
        return (self.model.week // every + 1) * every

    def cover(self, units: np.ndarray) -> None:
        """The households of ``units`` take part from now on (a body that serves given units)."""
        self.units = units

    def invited(self, slots: np.ndarray, week: int) -> np.ndarray:
        """Whether the household in each slot holds a personal invitation to the assembly of ``week`` or later."""
        return self.unit.invited_until[slots] >= week

    def invite(self, slots: np.ndarray, factor: float) -> None:
        """Personal invitations to the next assembly: attendance of ``slots`` is multiplied by ``factor``."""
        self.unit.invited_until[slots] = self.next_assembly()
        self.invitation_factor = factor

    def step(self) -> None:
        members = self.members()
        if len(members) == 0:
            return
        if self.model.week % self.p.assembly_every_weeks == 0:
            self.hold_assembly(members)
        self.assign_tasks(members)

    def hold_assembly(self, members: np.ndarray) -> None:
        """Members come by the participation rule (an invitation multiplies it); attending raises trust and
        participation propensity, and attendees meet."""
        hh, p, week = self.model.households, self.p, self.model.week
        came = self.model.participation.gather(
            self.model, members, p.attendance, self.rng, p.partners_per_assembly,
            invited=self.invited(members, week), factor=self.invitation_factor)
        self.assemblies_held += 1
        hh.close_gap("trust", came, p.trust_gain)
        hh.close_gap("participation", came, p.participation_gain)

    def assign_tasks(self, members: np.ndarray) -> None:
        """Self-management (gardening, cleaning rota, accounts): members take on a task by the participation rule."""
        self.model.participation.volunteer(self.model, members, self.p.volunteering, self.rng)


@dataclass
class FormalServiceSpec:
    """A public or contracted service that meets needs with limited weekly capacity (e.g. ASP home care)."""

    name: str = "asp_home_care"
    categories: list[str] = param(default_factory=lambda: ["care", "paperwork", "company"], choices=NEED_CATEGORIES)
    #: hours of service a week per 100 households of the neighbourhood
    hours_per_100_households: float = param(6.0, lo=0.0, hi=10000.0)


@dataclass
class ServicesParams:
    formal: list[FormalServiceSpec] = field(default_factory=lambda: [FormalServiceSpec()])

    def check(self, prefix: str) -> None:
        from abm.errors import ConfigError

        names = [s.name for s in self.formal]
        if len(set(names)) != len(names):
            raise ConfigError(f"{prefix}formal", names, "services with distinct names")


class FormalService(OwnStream, Agent):
    """Serves pending needs in its categories, most fragile first, until its weekly hours run out."""

    def __init__(self, model, spec: FormalServiceSpec):
        super().__init__(model)
        self.spec = spec
        self.name = spec.name
        self.categories = np.array([NEED_CATEGORIES.index(c) for c in spec.categories], dtype=np.int64)
        self.rng = model.stream(f"service:{spec.name}")
        self.hours_used = 0.0
        #: households it served this week (a porter may hear of them: the portierato's referrals)
        self.served = np.zeros(0, dtype=np.int64)

    def capacity(self) -> float:
        return self.spec.hours_per_100_households * self.model.households.occupied.sum() / 100.0

    def serve(self, needs: Needs) -> None:
        hh = self.model.households
        idx = needs.pending()
        idx = idx[np.isin(needs.category[idx], self.categories)]
        if len(idx) == 0:
            self.hours_used = 0.0
            self.served = np.zeros(0, dtype=np.int64)
            return
        order = np.lexsort((self.rng.random(len(idx)), -hh.fragility[needs.requester[idx]]))
        idx = idx[order]
        fits = np.cumsum(needs.hours[idx]) <= self.capacity() + 1e-9
        needs.serve(idx[fits])
        self.hours_used = float(needs.hours[idx[fits]].sum())
        self.served = np.unique(needs.requester[idx[fits]])


__all__ = ["Resident", "ResidentsCooperative", "FormalService", "CooperativeParams", "FormalServiceSpec",
           "ServicesParams"]
