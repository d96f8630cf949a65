"""Neighbour conflicts: they arise from density, crowded shared spaces, low trust and little contact;
they end resolved, fade, or fester and erode trust, satisfaction and ties.

ODD: submodel "Conflict".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.dynamics import at_reference, below_reference
from abm.params import param

#: how a conflict ended
ENDINGS = ("resolved_parties", "resolved_portierato", "resolved_mediation", "faded", "moved")
RESOLVED = {"resolved_parties", "resolved_portierato", "resolved_mediation"}


@dataclass
class ConflictParams:
    """Parameters of neighbour conflict."""

    #: weekly probability that a household starts a dispute with a neighbour, before the factors below
    base_rate: float = param(0.006, lo=0.0, hi=1.0)
    #: multiplier on the rate per unit of (1 - 2 x trust): low trust raises it, high trust lowers it
    trust_weight: float = param(1.2, lo=0.0, hi=10.0)
    #: extra rate per person per room above one (overcrowded dwelling)
    density_weight: float = param(0.4, lo=0.0, hi=10.0)
    #: floor area of a room: a dwelling has unit_m2 / m2_per_room rooms (at least one)
    m2_per_room: float = param(20.0, lo=5.0, hi=100.0)
    #: extra rate per unit of crowding (demand / capacity - 1) of an unmanaged shared space the household used
    crowding_weight: float = param(1.5, lo=0.0, hi=20.0)
    #: extra rate for a household with no tie at all (little contact)
    isolation_weight: float = param(0.6, lo=0.0, hi=10.0)
    #: share of disputes with a landing neighbour (the rest with the stairwell)
    landing_share: float = param(0.7, lo=0.0, hi=1.0)
    #: weekly probability that the parties settle it themselves, at mean trust 0.5 and no tie
    resolve_rate: float = param(0.08, lo=0.0, hi=1.0)
    #: weekly probability that a conflict fades without being resolved
    fade_rate: float = param(0.02, lo=0.0, hi=1.0)
    #: weeks after which an open conflict festers (parties settle it far less often, erosion grows)
    fester_after_weeks: int = param(8, lo=1, hi=520)
    #: the parties' settling rate is multiplied by this once the conflict festers
    fester_resolve_factor: float = param(0.3, lo=0.0, hi=1.0)
    #: erosion (below) is multiplied by this once the conflict festers
    fester_erosion_factor: float = param(2.0, lo=1.0, hi=20.0)
    #: weekly erosion of each party's trust, satisfaction and of the tie between them while open
    trust_erosion: float = param(0.004, lo=0.0, hi=1.0)
    satisfaction_erosion: float = param(0.008, lo=0.0, hi=1.0)
    tie_erosion: float = param(0.03, lo=0.0, hi=1.0)
    #: trust each party regains when a conflict is resolved (share of the gap to 1)
    trust_restored: float = param(0.03, lo=0.0, hi=1.0)


class ConflictRegister:
    """Open conflicts as arrays: parties ``a``, ``b``, start week, and a stable ``id`` (increasing in register
    order) by which levers follow a conflict from week to week."""

    def __init__(self):
        self.a = np.zeros(0, dtype=np.int64)
        self.b = np.zeros(0, dtype=np.int64)
        self.start = np.zeros(0, dtype=np.int64)
        self.id = np.zeros(0, dtype=np.int64)
        self.next_id = 0

    def __len__(self) -> int:
        return len(self.a)

    def open(self, a: np.ndarray, b: np.ndarray, week: int) -> None:
        self.a = np.concatenate([self.a, a])
        self.b = np.concatenate([self.b, b])
        self.start = np.concatenate([self.start, np.full(len(a), week)])
        self.id = np.concatenate([self.id, self.next_id + np.arange(len(a), dtype=np.int64)])
        self.next_id += len(a)

    def redate(self, weeks: int) -> None:
        """The start weeks move ``weeks`` later: the spin-up's renumbering."""
        self.start = self.start + weeks

    def end(self, endings: dict[str, np.ndarray], events) -> None:
        """End conflicts: ``endings`` maps an ending (one of ENDINGS) to indices into the current arrays."""
        keep = np.ones(len(self.a), dtype=bool)
        for how, idx in endings.items():
            if how not in ENDINGS:
                raise ValueError(f"unknown conflict ending {how!r}; allowed: {ENDINGS}")
            idx = np.asarray(idx, dtype=np.int64)
            keep[idx] = False
            events.add("conflicts_ended", len(idx))
            if how in RESOLVED:
                events.add("conflicts_resolved", len(idx))
        if not keep.all():
            self.a, self.b, self.start, self.id = self.a[keep], self.b[keep], self.start[keep], self.id[keep]

    def index_of(self, ids: np.ndarray) -> np.ndarray:
        """Current index of each conflict id, or -1 where that conflict has ended."""
        ids = np.asarray(ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.id, ids), max(len(self.id) - 1, 0))
        found = (self.id[pos] == ids) if len(self.id) else np.zeros(len(ids), dtype=bool)
        return np.where(found, pos, -1)

    def involving(self, slots: np.ndarray, n_slots: int) -> np.ndarray:
        """Indices of open conflicts in which one of ``slots`` is a party."""
        mark = np.zeros(n_slots, dtype=bool)
        mark[slots] = True
        return np.flatnonzero(mark[self.a] | mark[self.b])

    def open_per_slot(self, n_slots: int) -> np.ndarray:
        return np.bincount(self.a, minlength=n_slots) + np.bincount(self.b, minlength=n_slots)


class Conflict:
    """Weekly: new disputes, the parties' own settlements and fading, erosion by what stays open."""

    def __init__(self, params: ConflictParams, model):
        self.p = params
        self.rng = model.stream("conflict")

    def step(self, model) -> None:
        self.arise(model)
        self.settle_or_fade(model)
        self.erode(model)

    def hazard(self, model, slots: np.ndarray) -> np.ndarray:
        """Weekly probability that each household in ``slots`` starts a dispute."""
        hh, p = model.households, self.p
        rooms = np.maximum(model.space.unit_m2[slots] / p.m2_per_room, 1.0)
        overcrowding = np.maximum(hh.size[slots] / rooms - 1.0, 0.0)
        crowd = model.encounters.unmanaged_crowding(model, slots)
        isolated = model.ties.degree()[slots] == 0
        h = (p.base_rate * np.exp(p.trust_weight * below_reference(hh.trust[slots]))
             * (1.0 + p.density_weight * overcrowding) * (1.0 + p.crowding_weight * crowd)
             * (1.0 + p.isolation_weight * isolated))
        return np.minimum(h, 1.0)

    def arise(self, model) -> None:
        hh = model.households
        slots = np.flatnonzero(hh.occupied)
        starts = slots[self.rng.random(len(slots)) < self.hazard(model, slots)]
        nb = model.space
        on_landing = self.rng.random(len(starts)) < self.p.landing_share
        other = np.where(on_landing, nb.landing.random_member(starts, self.rng),
                         nb.stairwell.random_member(starts, self.rng))
        ok = (other != starts) & hh.occupied[other]
        starts, other = starts[ok], other[ok]
        # a tie between them makes a dispute less likely to start
        s = model.ties.strength_of(starts, other)
        go = self.rng.random(len(starts)) >= s
        model.conflicts.open(starts[go], other[go], model.week)
        model.events.add("conflicts_new", int(go.sum()))

    def settle_or_fade(self, model) -> None:
        reg, hh, p = model.conflicts, model.households, self.p
        if len(reg) == 0:
            return
        festering = (model.week - reg.start) >= p.fester_after_weeks
        s = model.ties.strength_of(reg.a, reg.b)
        mean_trust = 0.5 * (hh.trust[reg.a] + hh.trust[reg.b])
        p_resolve = np.clip(at_reference(p.resolve_rate, mean_trust) * (1.0 + s)
                            * np.where(festering, p.fester_resolve_factor, 1.0), 0.0, 1.0)
        u = self.rng.random(len(reg))
        resolved = u < p_resolve
        faded = ~resolved & (u < p_resolve + p.fade_rate)
        hh.close_gap("trust", np.concatenate([reg.a[resolved], reg.b[resolved]]), p.trust_restored)
        reg.end({"resolved_parties": np.flatnonzero(resolved), "faded": np.flatnonzero(faded)}, model.events)

    def resolve(self, model, idx: np.ndarray, how: str, trust_restored: float | None = None) -> None:
        """A third party (portierato, mediation) ends conflicts ``idx`` as resolved ``how``: both parties regain
        ``trust_restored`` (default: this submodel's ``trust_restored``) of their gap to full trust."""
        reg = model.conflicts
        gain = self.p.trust_restored if trust_restored is None else trust_restored
        model.households.close_gap("trust", np.concatenate([reg.a[idx], reg.b[idx]]), gain)
        reg.end({how: idx}, model.events)

    def erode(self, model) -> None:
        reg, hh, p = model.conflicts, model.households, self.p
        if len(reg) == 0:
            return
        factor = np.where((model.week - reg.start) >= p.fester_after_weeks, p.fester_erosion_factor, 1.0)
        parties, factor2 = np.concatenate([reg.a, reg.b]), np.concatenate([factor, factor])
        hh.lower("trust", parties, p.trust_erosion * factor2)
        hh.lower("satisfaction", parties, p.satisfaction_erosion * factor2)
        edge = model.ties.find(reg.a, reg.b)
        has = edge >= 0
        model.ties.weaken(edge[has], p.tie_erosion * factor[has])
