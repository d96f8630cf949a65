"""Encounters: neighbours meet by proximity and in shared spaces; ties form, strengthen, decay, dissolve.

ODD: submodel "Encounters and ties".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.dynamics import at_reference, weighted
from abm.params import param
from abm.space import Groups
from abm.store import Column
from abm.ties import pair_key

#: the proximity levels of encounters (the occasion code of an encounter at level i is i)
LEVELS = ("landing", "stairwell", "building", "neighbourhood")


@dataclass
class EncounterParams:
    """Parameters of the encounters submodel (rates are per household per week)."""

    rate_landing: float = param(1.2, lo=0.0, hi=50.0)
    rate_stairwell: float = param(0.6, lo=0.0, hi=50.0)
    rate_building: float = param(0.3, lo=0.0, hi=50.0)
    rate_neighbourhood: float = param(0.15, lo=0.0, hi=50.0)
    #: how much participation propensity scales a household's encounter rate (0: not at all)
    sociability_weight: float = param(1.0, lo=0.0, hi=1.0)
    #: how much fragility keeps a household indoors (rate x (1 - w x fragility)); it also lowers its visits
    #: to shared spaces and, with ``partner_presence``, how often others meet it
    fragility_weight: float = param(0.9, lo=0.0, hi=1.0)
    #: how much being met by a neighbour needs being out: the partner of a proximity encounter is drawn in
    #: proportion to 1 - p + p x presence, presence = 1 - fragility_weight x fragility (0: uniformly)
    partner_presence: float = param(1.0, lo=0.0, hi=1.0)
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
        #: demand / weekly capacity of each shared space this week (read by the conflict submodel)
        self.crowding = np.zeros(len(model.space.spaces))
        #: which shared space each unit's household visited this week (-1: none)
        self.unit = model.households.declare("encounters", visited=Column(np.int64, -1))

    @property
    def visited(self) -> np.ndarray:
        return self.unit.visited

    def levels(self, nb) -> list:
        """The proximity groups (landing, stairwell, building, neighbourhood) with their encounter rates."""
        p = self.p
        return [(nb.landing, p.rate_landing), (nb.stairwell, p.rate_stairwell), (nb.building, p.rate_building),
                (nb.whole, p.rate_neighbourhood)]

    # --- the weekly step ------------------------------------------------------------------------
    def step(self, model) -> None:
        """This week's proximity and shared-space encounters, met in one batch (one merge into the tie graph).

        Each encounter carries its occasion: the proximity level (0-3) or 4 + the shared space's index.
        """
        a1, b1, o1 = self.proximity_pairs(model)
        a2, b2, o2 = self.shared_space_pairs(model)
        self.meet(model, np.concatenate([a1, a2]), np.concatenate([b1, b2]),
                  occasion=np.concatenate([o1, len(LEVELS) + o2]))

    def proximity_pairs(self, model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Encounters on the landing, stairwell, in the building and the neighbourhood: Poisson numbers per
        household scaled by sociability, each with a random member of the household's own group.
        Returns the pairs and the level (0-3) of each."""
        hh = model.households
        slots = np.flatnonzero(hh.occupied)
        w = self.p.sociability_weight
        presence = self.presence(hh)
        sociability = weighted(w, hh.participation[slots]) * presence[slots]
        # who is around to be met: occupied units in proportion to their presence, empty ones not at all
        m = self.p.partner_presence
        weight = np.where(hh.occupied, 1.0 - m + m * presence, 0.0)
        who, partner, level = [], [], []
        for i, (groups, rate) in enumerate(self.levels(model.space)):
            if rate <= 0:
                continue
            n = self.rng.poisson(rate * sociability)
            a = np.repeat(slots, n)
            who.append(a)
            b = groups.random_member(a, self.rng)
            if m > 0:
                # an encounter finds someone as often as the group's occupied units allow (as a uniform
                # draw); who it is depends on who is out
                found = hh.occupied[b]
                b[found] = groups.weighted_member(a[found], weight, self.rng)
            partner.append(b)
            level.append(np.full(len(a), i, dtype=np.int64))
        return _joined(who), _joined(partner), _joined(level)

    def presence(self, hh) -> np.ndarray:
        """How much each household is out and about, per slot: 1 - fragility_weight x fragility."""
        return 1.0 - self.p.fragility_weight * hh.fragility

    def shared_space_pairs(self, model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Visits to every shared space at once: eligible households come with a probability that grows with
        participation and falls with fragility (``presence``), the first ``weekly_capacity`` (in random order)
        get in, and each visitor meets ``partners_per_visit`` others of its session.  Sets ``crowding`` and ``visited``; returns the pairs
        and the space of each."""
        hh, spaces = model.households, model.space.spaces
        self.unit.visited[:] = -1
        self.crowding = np.zeros(len(spaces))
        if not spaces:
            return _EMPTY, _EMPTY, _EMPTY
        cap = np.array([s.weekly_capacity for s in spaces], dtype=np.int64)
        use = np.array([s.spec.use_probability for s in spaces])
        sessions = np.array([s.spec.sessions_per_week for s in spaces], dtype=np.int64)
        sizes = np.array([len(s.eligible) for s in spaces], dtype=np.int64)
        unit = np.concatenate([s.eligible for s in spaces]).astype(np.int64, copy=False)
        space = np.repeat(np.arange(len(spaces)), sizes)
        keep = hh.occupied[unit] & (cap[space] > 0)
        unit, space = unit[keep], space[keep]
        p_use = np.minimum(1.0, at_reference(use[space], hh.participation[unit]) * self.presence(hh)[unit])
        came = self.rng.random(len(unit)) < p_use
        unit, space = unit[came], space[came]
        demand = np.bincount(space, minlength=len(spaces))
        np.divide(demand, cap, out=self.crowding, where=cap > 0)
        # a random order within each space; the first ``cap`` visitors get in
        order = np.lexsort((self.rng.random(len(unit)), space))
        unit, space = unit[order], space[order]
        rank = np.arange(len(unit)) - (np.cumsum(demand) - demand)[space]
        inside = rank < cap[space]
        unit, space, rank = unit[inside], space[inside], rank[inside]
        np.maximum.at(self.unit.visited, unit, space)  # several spaces: the last in the list counts, as before
        return self.session_pairs(unit, space, rank, sessions, self.p.partners_per_visit)

    def unmanaged_crowding(self, model, slots: np.ndarray) -> np.ndarray:
        """For each household, how overcrowded (demand / capacity - 1, at least 0) the unmanaged shared
        space it used this week was; 0 if it used none or a managed one."""
        space = self.unit.visited[slots]
        used = space >= 0
        out = np.zeros(len(slots))
        if used.any():
            s = space[used]
            out[used] = np.where(model.space.managed[s], 0.0, np.maximum(self.crowding[s] - 1.0, 0.0))
        return out

    # --- shared mechanics (also used by assemblies and organised events) -----------------------------
    def session_pairs(self, people: np.ndarray, gathering: np.ndarray, rank: np.ndarray,
                      sessions: np.ndarray, partners: int,
                      rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs for several gatherings at once: person ``i`` (``rank[i]``-th of gathering ``gathering[i]``)
        joins session ``rank % s`` with ``s = max(1, min(sessions[gathering], n // 2))`` for the gathering's
        ``n`` people, and meets ``partners`` random others of its session.  Returns the pairs and the
        gathering of each."""
        if len(people) == 0 or partners == 0:
            return _EMPTY, _EMPTY, _EMPTY
        n = np.bincount(gathering)
        s = np.maximum(1, np.minimum(sessions[: len(n)], n // 2))
        ok = (n >= 2) & (sessions[: len(n)] > 0)
        keep = ok[gathering]
        people, gathering, rank = people[keep], gathering[keep], rank[keep]
        group = (np.cumsum(s) - s)[gathering] + rank % s[gathering]
        groups = Groups(group)
        pos = np.repeat(np.arange(len(people)), partners)
        other = groups.random_member(pos, self.rng if rng is None else rng)
        return people[pos], people[other], gathering[pos]

    def meet_in_sessions(self, model, people: np.ndarray, sessions: int, partners: int,
                         rng: np.random.Generator | None = None, boost: float = 1.0) -> None:
        """``people`` are spread evenly over ``sessions``; each meets ``partners`` others of their session.

        ``rng`` and ``boost`` as in :meth:`meet` (organisers pass their own stream).
        """
        people = np.asarray(people, dtype=np.int64)
        a, b, _ = self.session_pairs(people, np.zeros(len(people), dtype=np.int64), np.arange(len(people)),
                                     np.array([sessions]), partners, rng=rng)
        self.meet(model, a, b, rng=rng, boost=boost)

    def meet(self, model, a: np.ndarray, b: np.ndarray, occasion: np.ndarray | None = None,
             rng: np.random.Generator | None = None, boost: float | np.ndarray = 1.0) -> None:
        """Households ``a[i]`` and ``b[i]`` meet: an existing tie strengthens, otherwise one may form.

        A lever that arranges the meeting passes its own random stream as ``rng`` (so it does not shift
        this submodel's stream) and may pass ``boost`` > 1: an introduced or organised encounter is more
        likely to start a tie than a chance one (the formation probability is multiplied, capped at 1).

        ``occasion`` (default: all one occasion) lets one call stand for several occasions met one after
        another in increasing order: a tie formed on one occasion is already there on the later ones (their
        encounters of that pair are contacts), while within one occasion ties are looked up once, before
        any forms - exactly as separate calls, one per occasion, would do.
        """
        rng = self.rng if rng is None else rng
        hh = model.households
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        ok = (a != b) & hh.occupied[a] & hh.occupied[b]
        a, b = a[ok], b[ok]
        if occasion is not None:
            occasion = np.asarray(occasion, dtype=np.int64)[ok]
        if len(a) == 0:
            return
        ties = model.ties
        edge = ties.find(a, b)
        has = edge >= 0
        ties.strengthen(edge[has], self.p.contact_gain, model.week)
        a, b = a[~has], b[~has]
        if occasion is not None:
            occasion = occasion[~has]
        p = self.formation_probability(model, a, b)
        if not np.isscalar(boost):
            boost = np.asarray(boost)[ok][~has]
        if np.any(boost != 1.0):
            p = np.minimum(p * boost, 1.0)
        form = rng.random(len(a)) < p
        if not form.any():
            return
        ties.add(a[form], b[form], self.p.initial_strength, model.week)
        if occasion is None:
            return
        # encounters on a later occasion than the one where the pair's tie formed are contacts on it
        key = pair_key(a, b)
        order = np.lexsort((occasion[form], key[form]))
        formed, first = np.unique(key[form][order], return_index=True)
        formed_on = occasion[form][order][first]
        at = np.minimum(np.searchsorted(formed, key), len(formed) - 1)
        later = (formed[at] == key) & (occasion > formed_on[at])
        if later.any():
            ties.strengthen(ties.find(a[later], b[later]), self.p.contact_gain, model.week)

    def formation_probability(self, model, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Probability that an encounter of households ``a[i]`` and ``b[i]``, who have no tie, starts one (before
        any boost): tie_formation x (1 + homophily_origin if they share an origin group) x (1 + homophily_age
        if both or neither are elderly) x (trust_a / 0.5) x (trust_b / 0.5)."""
        hh, q = model.households, self.p
        same_origin = hh.origin[a] == hh.origin[b]
        elderly = hh.elderly(model.config.population)
        same_age = elderly[a] == elderly[b]
        return at_reference(q.tie_formation * (1.0 + q.homophily_origin * same_origin)
                            * (1.0 + q.homophily_age * same_age), hh.trust[a], hh.trust[b])

    def decay_ties(self, model) -> None:
        """Ties without contact this week lose strength; those below the threshold dissolve."""
        ties = model.ties
        ties.decay(ties.last_contact < model.week, self.p.decay_rate)
        ties.prune(self.p.dissolve_threshold)


_EMPTY = np.zeros(0, dtype=np.int64)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else _EMPTY
