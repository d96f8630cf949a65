"""Needs and help: needs arise by household type and go through the channels of help in a week.

ODD: submodel "Needs and help".  In this order: relatives outside the neighbourhood (households that have
them nearby), the household's own neighbour ties, the levers, formal services, paid help, the household's
own resources.  Every need ends the week in exactly one outcome (``abm.vocabulary.OUTCOMES``): met by kin,
a neighbour, a service, the market or the household itself, or unmet after every channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.dynamics import below_reference, weighted
from abm.errors import ConfigError
from abm.params import param
from abm.store import Column
from abm.vocabulary import HOUSEHOLD_TYPES, NEED_CATEGORIES, OUTCOMES

MET_KIN, MET_NEIGHBOUR, MET_SERVICE, MET_MARKET, MET_OWN, UNMET = range(len(OUTCOMES))
PENDING = -1
#: how a need met by a neighbour was met: the requester asked its own tie, a lever brokered the help, or
#: a time bank matched the two members
CHANNELS = ("own_tie", "brokered", "timebank")
OWN_TIE, BROKERED, TIMEBANK = range(len(CHANNELS))


def _rates():
    # elderly living alone: paperwork, chores (errands) and company above personal care (ISTAT FSS 2016:
    # among lone elderly helped, 56.2 % paperwork, 55.4 % chores, 54.5 % company, 28.1 % care)
    return {
        "elderly_alone": {"care": 0.06, "childcare": 0.0, "errands": 0.12, "paperwork": 0.12, "repairs": 0.04, "company": 0.12},
        "elderly_couple": {"care": 0.03, "childcare": 0.0, "errands": 0.06, "paperwork": 0.06, "repairs": 0.04, "company": 0.06},
        "family_children": {"care": 0.01, "childcare": 0.12, "errands": 0.04, "paperwork": 0.03, "repairs": 0.04, "company": 0.01},
        "single_parent": {"care": 0.02, "childcare": 0.18, "errands": 0.06, "paperwork": 0.05, "repairs": 0.04, "company": 0.03},
        "single_adult": {"care": 0.01, "childcare": 0.0, "errands": 0.02, "paperwork": 0.03, "repairs": 0.04, "company": 0.04},
        "young_sharers": {"care": 0.0, "childcare": 0.0, "errands": 0.02, "paperwork": 0.02, "repairs": 0.03, "company": 0.02},
        "new_migrant": {"care": 0.02, "childcare": 0.06, "errands": 0.05, "paperwork": 0.12, "repairs": 0.03, "company": 0.06},
    }


def _per_category(**values):
    return lambda: {c: values[c] for c in NEED_CATEGORIES}


@dataclass
class HelpParams:
    """Parameters of needs and of the help households give each other."""

    #: weekly probability of a need of each category, by household type
    need_rates: dict[str, dict[str, float]] = param(default_factory=_rates, lo=0.0, hi=1.0)
    #: hours of help a need of each category takes
    need_hours: dict[str, float] = param(default_factory=lambda: {
        "care": 3.0, "childcare": 2.0, "errands": 1.0, "paperwork": 1.5, "repairs": 2.0, "company": 1.0},
        lo=0.0, hi=40.0)
    #: how strongly fragility scales need rates (rate x (1 - w + 2 w fragility))
    fragility_weight: float = param(0.6, lo=0.0, hi=1.0)
    #: probability that relatives living nearby meet a need of each category in its week (channel 1, for
    #: households that have them: population.kin_nearby)
    kin_help: dict[str, float] = param(default_factory=_per_category(
        care=0.3, childcare=0.6, errands=0.2, paperwork=0.25, repairs=0.15, company=0.2), lo=0.0, hi=1.0)
    #: ties a household asks, one after another, before turning to services
    max_asks: int = param(3, lo=0, hi=20)
    #: willingness of a tie to help, before strength, need size, trust, reciprocity, fragility and free time
    willingness: float = param(0.7, lo=0.0, hi=1.0)
    #: the strength factor of willingness is strength_floor + (1 - strength_floor) x strength^strength_exponent:
    #: strength_floor for a helper without a tie (strength 0), 1 at full strength
    strength_floor: float = param(0.05, lo=0.0, hi=1.0)
    #: how steeply willingness grows with tie strength (1: linearly; above 1 weak ties help rarely)
    strength_exponent: float = param(2.0, lo=0.1, hi=10.0)
    #: need-size factor exp(-size_aversion x (1 - strength) x hours): weak ties help mainly with small needs
    size_aversion: float = param(0.5, lo=0.0, hi=10.0)
    #: the helper's fragility factor of willingness, 1 - helper_fragility_weight x fragility
    helper_fragility_weight: float = param(0.5, lo=0.0, hi=1.0)
    #: the trust factor of willingness is trust_offset + the helper's trust (1 at trust 0.5 by default)
    trust_offset: float = param(0.5, lo=0.0, hi=2.0)
    #: change in willingness per hour the helper owes the asker (reciprocity ledger)
    reciprocity_weight: float = param(0.1, lo=0.0, hi=5.0)
    #: the reciprocity factor 1 + reciprocity_weight x balance is kept within [reciprocity_min, reciprocity_max]
    reciprocity_min: float = param(0.2, lo=0.0, hi=1.0)
    reciprocity_max: float = param(2.0, lo=1.0, hi=10.0)
    #: share of the gap to 1 closed in the asker's trust when helped by a neighbour
    trust_gain_helped: float = param(0.01, lo=0.0, hi=1.0)
    #: the same for the helper
    trust_gain_helper: float = param(0.005, lo=0.0, hi=1.0)
    #: tie contact gain of one help act (on top of being a contact)
    tie_gain_help: float = param(0.12, lo=0.0, hi=1.0)
    #: probability that paid help (the market) meets a pending need of each category, at an income of
    #: market_income_ref (channel 5); it grows in proportion to income
    market_help: dict[str, float] = param(default_factory=_per_category(
        care=0.3, childcare=0.2, errands=0.05, paperwork=0.1, repairs=0.4, company=0.0), lo=0.0, hi=1.0)
    #: the monthly household income at which market_help is the probability
    market_income_ref: float = param(1500.0, lo=1.0, hi=100000.0)
    #: probability that the household meets a still pending need of each category itself, at fragility 0.5
    #: (channel 6); x (1 + own_fragility_weight x (1 - 2 x fragility)): less likely the frailer it is
    own_help: dict[str, float] = param(default_factory=_per_category(
        care=0.2, childcare=0.5, errands=0.6, paperwork=0.5, repairs=0.5, company=0.5), lo=0.0, hi=1.0)
    own_fragility_weight: float = param(0.8, lo=0.0, hi=1.0)
    #: satisfaction change when a need is met by a neighbour / by a service / left unmet
    satisfaction_helped: float = param(0.02, lo=0.0, hi=1.0)
    satisfaction_served: float = param(0.01, lo=0.0, hi=1.0)
    satisfaction_unmet: float = param(0.03, lo=0.0, hi=1.0)
    #: satisfaction change when a need is met by relatives / paid help / the household itself (none of them
    #: is help between households: no tie, ledger or trust changes)
    satisfaction_kin: float = param(0.01, lo=0.0, hi=1.0)
    satisfaction_market: float = param(0.005, lo=0.0, hi=1.0)
    satisfaction_own: float = param(0.0, lo=0.0, hi=1.0)
    #: trust lost when a need stays unmet
    trust_loss_unmet: float = param(0.005, lo=0.0, hi=1.0)

    def check(self, prefix: str) -> None:
        for t in HOUSEHOLD_TYPES:
            if t not in self.need_rates:
                raise ConfigError(f"{prefix}need_rates", sorted(self.need_rates), f"a row for household type '{t}'")
        for t, row in self.need_rates.items():
            if t not in HOUSEHOLD_TYPES:
                raise ConfigError(f"{prefix}need_rates.{t}", row, "household types " + ", ".join(HOUSEHOLD_TYPES))
            for c in row:
                if c not in NEED_CATEGORIES:
                    raise ConfigError(f"{prefix}need_rates.{t}.{c}", row[c], "need categories " + ", ".join(NEED_CATEGORIES))
        if self.reciprocity_min > self.reciprocity_max:
            raise ConfigError(f"{prefix}reciprocity_min", self.reciprocity_min,
                              f"a value <= reciprocity_max ({self.reciprocity_max})")
        for name in ("need_hours", "kin_help", "market_help", "own_help"):
            for c in NEED_CATEGORIES:
                if c not in getattr(self, name):
                    raise ConfigError(f"{prefix}{name}", sorted(getattr(self, name)), f"a value for need category '{c}'")


class Needs:
    """This week's needs, one row each; ``outcome`` stays PENDING until someone meets it or it is given up."""

    def __init__(self, requester: np.ndarray, category: np.ndarray, hours: np.ndarray):
        self.requester = requester
        self.category = category
        self.hours = hours
        self.outcome = np.full(len(requester), PENDING, dtype=np.int64)
        self.helper = np.full(len(requester), -1, dtype=np.int64)
        self.edge = np.full(len(requester), -1, dtype=np.int64)
        #: how the need was met by a neighbour (one of CHANNELS; -1 otherwise)
        self.channel = np.full(len(requester), -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.requester)

    def pending(self) -> np.ndarray:
        return np.flatnonzero(self.outcome == PENDING)

    def meet(self, idx: np.ndarray, helper: np.ndarray, channel: int, edge: np.ndarray | None = None) -> None:
        """Needs ``idx`` are met by the neighbours ``helper`` through ``channel`` (over tie ``edge``, if known)."""
        self.outcome[idx] = MET_NEIGHBOUR
        self.helper[idx] = helper
        self.channel[idx] = channel
        if edge is not None:
            self.edge[idx] = edge

    def serve(self, idx: np.ndarray) -> None:
        """Needs ``idx`` are met by a formal or cooperative service (or a lever's own staff)."""
        self.outcome[idx] = MET_SERVICE

    def met_outside(self, idx: np.ndarray, outcome: int) -> None:
        """Needs ``idx`` are met outside the neighbourhood: by relatives, paid help or the household itself."""
        if outcome not in (MET_KIN, MET_MARKET, MET_OWN):
            raise ValueError(f"{outcome} is not an outcome outside the neighbourhood")
        self.outcome[idx] = outcome

    def close(self) -> None:
        """The week is over: needs still pending are unmet."""
        self.outcome[self.outcome == PENDING] = UNMET


class NeedsAndHelp:
    """Needs arise, households ask ties, then services; help updates trust, ties and the ledger."""

    def __init__(self, params: HelpParams, model):
        self.p = params
        self.rng = model.stream("help")
        self.rates = np.array([[params.need_rates[t].get(c, 0.0) for c in NEED_CATEGORIES] for t in HOUSEHOLD_TYPES])
        self.hours = np.array([params.need_hours[c] for c in NEED_CATEGORIES])
        self.kin = np.array([params.kin_help[c] for c in NEED_CATEGORIES])
        self.market = np.array([params.market_help[c] for c in NEED_CATEGORIES])
        self.own = np.array([params.own_help[c] for c in NEED_CATEGORIES])
        #: hours each household can still give this week
        self.unit = model.households.declare("help", free_hours=Column(np.float64, 0.0))

    @property
    def free_hours(self) -> np.ndarray:
        return self.unit.free_hours

    def spend_hours(self, slots: np.ndarray, hours: np.ndarray) -> None:
        """Households ``slots`` give ``hours`` of their free time this week (repeats add up)."""
        np.subtract.at(self.unit.free_hours, slots, hours)

    def arise(self, model) -> Needs:
        """Draw this week's needs: each category independently, scaled by fragility."""
        hh = model.households
        slots = np.flatnonzero(hh.occupied)
        self.unit.free_hours[:] = np.where(hh.occupied, hh.help_hours, 0.0)
        w = self.p.fragility_weight
        rate = self.rates[hh.htype[slots]] * weighted(w, hh.fragility[slots])[:, None]
        hit = self.rng.random(rate.shape) < np.minimum(rate, 1.0)
        row, cat = np.nonzero(hit)
        order = self.rng.permutation(len(row))
        requester, category = slots[row][order], cat[order]
        return Needs(requester, category, self.hours[category])

    def ask_kin(self, model, needs: Needs) -> None:
        """Channel 1: relatives nearby meet a need of a household that has them with the category's
        probability ``kin_help``."""
        if len(needs) == 0:
            return
        has = model.households.kin[needs.requester]
        hit = has & (self.rng.random(len(needs)) < self.kin[needs.category])
        needs.met_outside(np.flatnonzero(hit), MET_KIN)

    def buy_or_cope(self, model, needs: Needs) -> None:
        """Channels 5 and 6, after formal services: paid help meets a pending need with probability
        ``market_help[c] x income / market_income_ref``; then the household meets what is still pending itself
        with probability ``own_help[c] x (1 + own_fragility_weight x (1 - 2 x fragility))``."""
        hh, p = model.households, self.p
        idx = needs.pending()
        req, cat = needs.requester[idx], needs.category[idx]
        p_market = np.clip(self.market[cat] * hh.income[req] / p.market_income_ref, 0.0, 1.0)
        bought = self.rng.random(len(idx)) < p_market
        needs.met_outside(idx[bought], MET_MARKET)
        idx, req, cat = idx[~bought], req[~bought], cat[~bought]
        p_own = np.clip(self.own[cat] * (1.0 + p.own_fragility_weight * below_reference(hh.fragility[req])), 0.0, 1.0)
        coped = self.rng.random(len(idx)) < p_own
        needs.met_outside(idx[coped], MET_OWN)

    def ask_ties(self, model, needs: Needs) -> None:
        """Each need asks up to ``max_asks`` of the requester's ties, strongest most likely first."""
        if len(needs) == 0 or self.p.max_asks == 0 or len(model.ties) == 0:
            return
        ties = model.ties
        indptr, nbr, eid = ties.adjacency()
        deg = indptr[needs.requester + 1] - indptr[needs.requester]
        need_of = np.repeat(np.arange(len(needs)), deg)
        if len(need_of) == 0:
            return
        first = np.repeat(np.cumsum(deg) - deg, deg)
        pos = indptr[needs.requester][need_of] + (np.arange(len(need_of)) - first)
        helper, edge = nbr[pos], eid[pos]
        key = -np.log(self.rng.random(len(need_of))) / np.maximum(ties.strength[edge], 1e-9)
        order = np.lexsort((key, need_of))
        need_of, helper, edge = need_of[order], helper[order], edge[order]
        rank = np.arange(len(need_of)) - (np.cumsum(deg) - deg)[need_of]
        for r in range(self.p.max_asks):
            c = np.flatnonzero((rank == r) & (needs.outcome[need_of] == PENDING))
            if len(c) == 0:
                break
            self.try_helpers(model, needs, need_of[c], helper[c], edge[c], channel=OWN_TIE)

    def willingness(self, model, helper: np.ndarray, edge: np.ndarray | None,
                    hours: np.ndarray | None = None) -> np.ndarray:
        """Probability that ``helper`` agrees to help over tie ``edge`` (None: a neighbour without a tie, who
        owes nothing) with a need of ``hours`` hours (None: no need-size factor): willingness x strength
        factor x need-size factor x trust factor x availability, at most 1."""
        q, hh = self.p, model.households
        s = model.ties.strength[edge] if edge is not None else np.zeros(len(helper))
        balance = model.ties.balance(edge, helper) if edge is not None else np.zeros(len(helper))
        p = (q.willingness * self.strength_factor(s) * (q.trust_offset + hh.trust[helper])
             * self.availability(model, helper, balance))
        if hours is not None:
            p = p * self.size_factor(s, hours)
        return np.clip(p, 0.0, 1.0)

    def strength_factor(self, strength: np.ndarray) -> np.ndarray:
        """strength_floor + (1 - strength_floor) x strength^strength_exponent: weak ties help rarely."""
        q = self.p
        return q.strength_floor + (1.0 - q.strength_floor) * strength ** q.strength_exponent

    def size_factor(self, strength: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """exp(-size_aversion x (1 - strength) x hours): weak ties help mainly with small needs."""
        return np.exp(-self.p.size_aversion * (1.0 - strength) * hours)

    def availability(self, model, helper: np.ndarray, balance: np.ndarray) -> np.ndarray:
        """The helper-side factor of willingness, shared by every channel of help: reciprocity (``balance``:
        hours the helper owes the asker, from the ledger) times the helper's fragility factor
        1 - helper_fragility_weight x fragility times the share of its weekly free time left."""
        hh = model.households
        recip = np.clip(1.0 + self.p.reciprocity_weight * balance, self.p.reciprocity_min, self.p.reciprocity_max)
        frail = 1.0 - self.p.helper_fragility_weight * hh.fragility[helper]
        time = np.clip(self.unit.free_hours[helper] / np.maximum(hh.help_hours[helper], 1e-9), 0.0, 1.0)
        return recip * frail * time

    def try_helpers(self, model, needs: Needs, need_idx, helper, edge, channel: int,
                    willing: np.ndarray | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
        """Ask ``helper[i]`` about need ``need_idx[i]``; accepted ones are met. Returns the accepted need rows.

        A helper's free hours are shared among the needs that asked it this round, in random order.
        A lever that does the asking (brokering, time bank) passes its own random stream as ``rng``.
        """
        rng = self.rng if rng is None else rng
        hours = needs.hours[need_idx]
        if willing is None:
            willing = self.willingness(model, helper, edge, hours)
        yes = rng.random(len(need_idx)) < willing
        need_idx, helper, hours = need_idx[yes], helper[yes], hours[yes]
        edge = edge[yes] if edge is not None else None
        # a need asks one helper per round; several needs may share one helper's free hours
        order = np.lexsort((rng.random(len(need_idx)), helper))
        need_idx, helper, hours = need_idx[order], helper[order], hours[order]
        edge = edge[order] if edge is not None else None
        csum = np.cumsum(hours)
        group_start = np.r_[True, helper[1:] != helper[:-1]]
        base = np.maximum.accumulate(np.where(group_start, csum - hours, 0.0))
        fits = (csum - base) <= self.unit.free_hours[helper] + 1e-9
        need_idx, helper, hours = need_idx[fits], helper[fits], hours[fits]
        self.spend_hours(helper, hours)
        needs.meet(need_idx, helper, channel, edge[fits] if edge is not None else None)
        return need_idx

    def settle(self, model, needs: Needs) -> None:
        """Needs still pending are unmet; outcomes update trust, satisfaction, ties and the ledger."""
        needs.close()
        hh, p, ties = model.households, self.p, model.ties
        met = np.flatnonzero(needs.outcome == MET_NEIGHBOUR)
        req, helper = needs.requester[met], needs.helper[met]
        # a brokered or time-bank help may have created the tie only now: look it up again
        edge = ties.find(req, helper)
        has = edge >= 0
        ties.record_help(edge[has], helper[has], needs.hours[met][has], model.week)
        ties.strengthen(edge[has], model.config.encounters.contact_gain, model.week)  # a help act is a contact
        ties.strengthen(edge[has], p.tie_gain_help, model.week)                      # and builds the tie more
        hh.close_gap("trust", req, p.trust_gain_helped)
        hh.close_gap("trust", helper, p.trust_gain_helper)
        hh.close_gap("satisfaction", req, p.satisfaction_helped)
        served = needs.requester[needs.outcome == MET_SERVICE]
        hh.close_gap("satisfaction", served, p.satisfaction_served)
        for outcome, gain in ((MET_KIN, p.satisfaction_kin), (MET_MARKET, p.satisfaction_market),
                              (MET_OWN, p.satisfaction_own)):
            hh.close_gap("satisfaction", needs.requester[needs.outcome == outcome], gain)
        unmet = needs.requester[needs.outcome == UNMET]
        hh.lower("satisfaction", unmet, p.satisfaction_unmet)
        hh.lower("trust", unmet, p.trust_loss_unmet)
        model.events.add("help_acts", len(met))
        model.events.add_needs(hh.htype[needs.requester], needs.outcome)
