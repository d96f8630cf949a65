"""Encounters: neighbours meet by proximity and in shared spaces; ties form, strengthen, decay, dissolve.

ODD: submodel "Encounters and ties".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.params import param
from abm.space import Groups
from abm.vocabulary import MANAGERS


@dataclass
class EncounterParams:
    """Parameters of the encounters submodel (rates are per household per week)."""

    rate_landing: float = param(1.2, lo=0.0, hi=50.0)
    rate_stairwell: float = param(0.6, lo=0.0, hi=50.0)
    rate_building: float = param(0.3, lo=0.0, hi=50.0)
    rate_neighbourhood: float = param(0.15, lo=0.0, hi=50.0)
    #: how much participation propensity scales a household's encounter rate (0: not at all)
    sociability_weight: float = param(1.0, lo=0.0, hi=1.0)
    #: how much fragility keeps a household indoors (rate x (1 - w x fragility))
    fragility_weight: float = param(0.9, lo=0.0, hi=1.0)
    #: people each visitor of a shared space meets during a visit
    partners_per_visit: int = param(2, lo=0, hi=20)
    #: probability that an encounter between two households without a tie starts one
    tie_formation: float = param(0.03, lo=0.0, hi=1.0)
    #: relative increase of that probability when both share an origin/language group
    homophily_origin: float = param(1.5, lo=0.0, hi=20.0)
    #: relative increase when both heads are in the same age group (65+ or under 65)
    homophily_age: float = param(0.5, lo=0.0, hi=20.0)
    #: strength of a new tie
    initial_strength: float = param(0.25, lo=0.0, hi=1.0)
    #: share of the gap to full strength closed by one contact
    contact_gain: float = param(0.08, lo=0.0, hi=1.0)
    #: weekly fractional decay of a tie without contact
    decay_rate: float = param(0.03, lo=0.0, hi=1.0)
    #: ties weaker than this dissolve
    dissolve_threshold: float = param(0.08, lo=0.0, hi=1.0)
    #: ties at least this strong count as strong ties
    strong_threshold: float = param(0.5, lo=0.0, hi=1.0)
    #: weeks of encounters (ties only) run before week 0 so that the estate starts with its ties
    warmup_weeks: int = param(78, lo=0, hi=2000)

    def check(self, prefix: str) -> None:
        from abm.errors import ConfigError

        if self.dissolve_threshold > self.initial_strength:
            raise ConfigError(f"{prefix}dissolve_threshold", self.dissolve_threshold,
                              f"a value <= initial_strength ({self.initial_strength})")


class Encounters:
    """Proximity and shared-space encounters; the one place where two households meet."""

    def __init__(self, params: EncounterParams, model):
        self.p = params
        self.rng = model.stream("encounters")
        nb = model.space
        self.levels = [(nb.landing, params.rate_landing), (nb.stairwell, params.rate_stairwell),
                       (nb.building, params.rate_building), (nb.whole, params.rate_neighbourhood)]
        #: demand / weekly capacity of each shared space this week (read by the conflict submodel)
        self.crowding = np.zeros(len(nb.spaces))
        self.managed = np.array([s.spec.manager != MANAGERS[0] for s in nb.spaces], dtype=bool)
        #: which shared space each unit's household visited this week (-1: none)
        self.visited = np.full(nb.n_units, -1, dtype=np.int64)

    # --- the weekly step ------------------------------------------------------------------------
    def step(self, model) -> None:
        self.meet_by_proximity(model)
        self.use_shared_spaces(model)

    def meet_by_proximity(self, model) -> None:
        hh = model.households
        slots = np.flatnonzero(hh.occupied)
        w = self.p.sociability_weight
        sociability = ((1.0 - w + 2.0 * w * hh.participation[slots])
                       * (1.0 - self.p.fragility_weight * hh.fragility[slots]))
        for groups, rate in self.levels:
            if rate <= 0:
                continue
            n = self.rng.poisson(rate * sociability)
            who = np.repeat(slots, n)
            partner = groups.random_member(who, self.rng)
            self.meet(model, who, partner)

    def use_shared_spaces(self, model) -> None:
        hh = model.households
        self.visited[:] = -1
        self.crowding[:] = 0.0
        for space in model.space.spaces:
            cap = space.weekly_capacity
            users = space.eligible[hh.occupied[space.eligible]]
            if cap == 0 or len(users) == 0:
                continue
            p_use = np.minimum(1.0, space.spec.use_probability * 2.0 * hh.participation[users])
            visitors = users[self.rng.random(len(users)) < p_use]
            self.crowding[space.index] = len(visitors) / cap
            visitors = self.rng.permutation(visitors)[:cap]
            self.visited[visitors] = space.index
            self.meet_in_sessions(model, visitors, space.spec.sessions_per_week, self.p.partners_per_visit)

    def unmanaged_crowding(self, slots: np.ndarray) -> np.ndarray:
        """For each household, how overcrowded (demand / capacity - 1, at least 0) the unmanaged shared
        space it used this week was; 0 if it used none or a managed one."""
        space = self.visited[slots]
        used = space >= 0
        out = np.zeros(len(slots))
        if used.any():
            s = space[used]
            out[used] = np.where(self.managed[s], 0.0, np.maximum(self.crowding[s] - 1.0, 0.0))
        return out

    # --- shared mechanics (also used by assemblies and organised events) -----------------------------
    def meet_in_sessions(self, model, people: np.ndarray, sessions: int, partners: int) -> None:
        """``people`` are spread evenly over ``sessions``; each meets ``partners`` others of their session."""
        if len(people) < 2 or partners == 0 or sessions == 0:
            return
        session = np.arange(len(people)) % max(1, min(sessions, len(people) // 2))
        groups = Groups(session)
        pos = np.repeat(np.arange(len(people)), partners)
        other = groups.random_member(pos, self.rng)
        self.meet(model, people[pos], people[other])

    def meet(self, model, a: np.ndarray, b: np.ndarray) -> None:
        """Households ``a[i]`` and ``b[i]`` meet: an existing tie strengthens, otherwise one may form."""
        hh = model.households
        ok = (a != b) & hh.occupied[a] & hh.occupied[b]
        a, b = a[ok], b[ok]
        if len(a) == 0:
            return
        ties = model.ties
        edge = ties.find(a, b)
        has = edge >= 0
        ties.strengthen(edge[has], self.p.contact_gain, model.week)
        a, b = a[~has], b[~has]
        same_origin = hh.origin[a] == hh.origin[b]
        same_age = (hh.age_head[a] >= 65) == (hh.age_head[b] >= 65)
        p = (self.p.tie_formation * (1.0 + self.p.homophily_origin * same_origin)
             * (1.0 + self.p.homophily_age * same_age) * 4.0 * hh.trust[a] * hh.trust[b])
        form = self.rng.random(len(a)) < p
        ties.add(a[form], b[form], self.p.initial_strength, model.week)

    def decay_ties(self, model) -> None:
        """Ties without contact this week lose strength; those below the threshold dissolve."""
        ties = model.ties
        idle = ties.last_contact < model.week
        ties.strength[idle] *= 1.0 - self.p.decay_rate
        ties.prune(self.p.dissolve_threshold)
