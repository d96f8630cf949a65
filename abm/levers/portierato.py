"""Portierato sociale (social concierge): a social cooperative under contract with ACER/ASP puts staff hours
into the buildings it covers.  Its five functions, each switchable, all draw on the same weekly hours:

- events: organised encounters in a common space (who comes is decided by the participation rule);
- outreach: from what a porter can observe (whom it meets in the common parts, referrals from neighbours
  and from the formal services), judged with limited accuracy, visits households it thinks isolated
  (elderly living alone first) and introduces them to neighbours: each introduction may start a tie;
- brokering: matches a need that the household's own ties did not meet with a willing neighbour of the
  same stairwell or building who is not yet a tie; the help is an encounter that may leave a tie;
- small practical help: the porter meets a small need directly (met by a service);
- prevention: defuses new conflicts early, or refers them to social mediation when that lever is on.

The week's hours are split among the enabled functions by their ``share`` of the work plan; hours a
function leaves unused pass to the functions after it in the week (in the order above, which is the
order of the model's schedule), and what is left at the end of the week is lost (desk time).  Outreach
cases and conflicts wait in queues for at most ``max_wait_weeks``; a need the porter cannot take this
week is lost for the portierato (needs last one week).  ODD: docs/ODD.md, "Policy levers".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.errors import ConfigError
from abm.levers.base import register
from abm.levers.common import (StaffedLever, StaffedParams, check_building_names, covered_units, find_lever,
                               unit_mask)
from abm.params import param
from abm.store import Column
from abm.submodels.help import BROKERED, PENDING
from abm.ties import NEVER
from abm.vocabulary import NEED_CATEGORIES, TYPE_CODE

#: the order in which the functions act within a week (the model's schedule)
FUNCTIONS = ("events", "outreach", "brokering", "small_help", "prevention")


@dataclass
class EventsParams:
    """Organised encounters (a coffee morning, a courtyard party, a workshop) in a common space."""

    enabled: bool = True
    #: share of the weekly hours the work plan gives to events (normalised over enabled functions)
    share: float = param(0.15, lo=0.0, hi=1.0)
    #: staff hours to prepare and run one event
    hours_per_act: float = param(6.0, lo=0.0, hi=100.0, lo_open=True)
    #: at most one event every this many weeks
    every_weeks: int = param(4, lo=1, hi=52)
    #: probability that a covered household at the reference propensities comes (the event's appeal): about 6
    #: households of 225 an event, a quarter in a year (reach of community activities: docs/evidence §2.3c, §6.4)
    attendance: float = param(0.05, lo=0.0, hi=1.0)
    #: attendance multiplier for a household the porter visited (outreach) since the last event
    invited_factor: float = param(3.0, lo=1.0, hi=20.0)
    #: people an event can host
    capacity: int = param(40, lo=1, hi=10_000)
    #: people each attendee talks with
    partners: int = param(3, lo=0, hi=50)
    #: tie-formation multiplier of an encounter at an organised event (vs a chance encounter)
    boost: float = param(2.0, lo=1.0, hi=50.0)


@dataclass
class OutreachParams:
    """Finding isolated households from what a porter can observe and introducing them to suitable neighbours."""

    enabled: bool = True
    share: float = param(0.2, lo=0.0, hi=1.0)
    #: staff hours of one home visit with its introductions
    hours_per_act: float = param(1.5, lo=0.0, hi=100.0, lo_open=True)
    #: weekly probability that the porter meets, in the common parts, a household that is always out (presence
    #: 1); a household is met in proportion to its presence (1 - encounters.fragility_weight x fragility)
    sighting: float = param(0.3, lo=0.0, hi=1.0)
    #: weekly probability that neighbours tell the porter about a household that is never out (x (1 - presence))
    neighbour_referral: float = param(0.02, lo=0.0, hi=1.0)
    #: probability that the formal services tell the porter about a household they served in the week
    service_referral: float = param(0.1, lo=0.0, hi=1.0)
    #: probability that the porter judges a household it hears of isolated when it has no tie (sensitivity) ...
    sensitivity: float = param(0.7, lo=0.0, hi=1.0)
    #: ... and not isolated when it has one (specificity: 1 - specificity of those are false alarms)
    specificity: float = param(0.9, lo=0.0, hi=1.0)
    #: visit elderly people living alone first (known from the tenant registry), then the most fragile
    registry_first: bool = True
    #: neighbours (same stairwell first, then building) introduced at one visit
    introductions: int = param(2, lo=1, hi=20)
    #: the porter picks them among this many random units of the stairwell per introduction (and as many of
    #: the building)
    draws_per_introduction: int = param(3, lo=1, hi=20)
    #: tie-formation multiplier of an introduction by the porter (vs a chance encounter)
    boost: float = param(3.0, lo=1.0, hi=100.0)
    #: a household judged isolated and not visited within this many weeks drops out of the queue (case lost)
    max_wait_weeks: int = param(8, lo=0, hi=520)
    #: a visited household is not looked for again before this many weeks
    revisit_after_weeks: int = param(8, lo=1, hi=520)


@dataclass
class BrokeringParams:
    """Matching a need that the household's own ties did not meet with a willing neighbour not yet a tie."""

    enabled: bool = True
    share: float = param(0.35, lo=0.0, hi=1.0)
    #: staff hours to find and ask neighbours for one need
    hours_per_act: float = param(1.0, lo=0.0, hi=100.0, lo_open=True)
    #: neighbours asked, one after another, for one need
    candidates: int = param(3, lo=1, hi=20)
    #: they are picked among this many random units of the stairwell per candidate (and as many of the building)
    draws_per_candidate: int = param(2, lo=1, hi=20)
    #: multiplier on a neighbour's willingness when asked by the porter (someone they know vouches)
    endorsement: float = param(1.3, lo=0.0, hi=10.0)
    #: tie-formation multiplier of the encounter a brokered help is (the porter introduces the two, who spend the
    #: help's hours together; a tie may form), as an introduction at an outreach visit
    boost: float = param(3.0, lo=1.0, hi=100.0)
    #: need categories the porter brokers
    categories: list[str] = param(default_factory=lambda: list(NEED_CATEGORIES), choices=NEED_CATEGORIES)


@dataclass
class SmallHelpParams:
    """Small practical help by the porter: an errand, a form, a small repair, a chat (met by a service)."""

    enabled: bool = True
    share: float = param(0.15, lo=0.0, hi=1.0)
    #: need categories the porter meets itself; each act takes the need's hours (help.need_hours)
    categories: list[str] = param(default_factory=lambda: ["errands", "paperwork", "repairs", "company"],
                                  choices=NEED_CATEGORIES)
    #: the porter only takes needs of at most this many hours
    max_need_hours: float = param(2.0, lo=0.0, hi=40.0)


@dataclass
class PreventionParams:
    """Defusing small, new conflicts before they fester."""

    enabled: bool = True
    share: float = param(0.15, lo=0.0, hi=1.0)
    #: staff hours of one defusing talk with the parties
    hours_per_act: float = param(1.5, lo=0.0, hi=100.0, lo_open=True)
    #: weekly probability that the porter hears of a new conflict in its buildings (1 - 0.9^4: about a third
    #: heard of while new, twice the share of disputes that reach a formal mediation desk)
    detection: float = param(0.1, lo=0.0, hi=1.0)
    #: conflicts open for fewer weeks than this are small and new: the porter can defuse them
    window_weeks: int = param(4, lo=1, hi=520)
    #: probability that a defusing talk ends the conflict (resolved_portierato)
    success: float = param(0.45, lo=0.0, hi=1.0)
    #: refer a conflict the porter could not defuse to social mediation (ignored when mediation is off)
    refer_to_mediation: bool = True
    #: a conflict heard of but not dealt with within this many weeks drops out of the queue
    max_wait_weeks: int = param(2, lo=0, hi=520)


@dataclass
class PortieratoParams(StaffedParams):
    """The portierato sociale: contracted hours, buildings covered, and its functions."""

    #: staff hours a week under contract for each covered building (the team's week is this x the buildings)
    hours_per_week: float = param(20.0, lo=0.0, hi=1000.0)
    #: share of the hours that goes to custodial work not modelled as acts (desk, post, watching the
    #: common parts, reporting repairs to ACER); the rest is split among the functions below
    custodial_share: float = param(0.4, lo=0.0, hi=1.0)
    #: probability that a household brings a need its own ties did not meet to the porter (brokering, small help)
    reach: float = param(0.3, lo=0.0, hi=1.0)
    #: names of the buildings covered; [] = every building of the neighbourhood
    buildings: list[str] = field(default_factory=list)
    events: EventsParams = field(default_factory=EventsParams)
    outreach: OutreachParams = field(default_factory=OutreachParams)
    brokering: BrokeringParams = field(default_factory=BrokeringParams)
    small_help: SmallHelpParams = field(default_factory=SmallHelpParams)
    prevention: PreventionParams = field(default_factory=PreventionParams)

    def check(self, prefix: str) -> None:
        super().check(prefix)
        on = [f for f in FUNCTIONS if getattr(self, f).enabled]
        if self.enabled and on and sum(getattr(self, f).share for f in on) <= 0:
            raise ConfigError(f"{prefix}{on[0]}.share", 0.0, "shares of the enabled functions that sum to more than 0")

    def check_neighbourhood(self, policy, buildings, spaces, prefix: str) -> None:
        check_building_names(self.buildings, buildings, f"{prefix}buildings")


class WorkPlan:
    """The week's hours split among the functions by their shares.

    Hours a function cannot use because it has no more work pass on to the functions after it in the week;
    hours too few for one more act of a function that still has work stay with it (work in progress, up
    to ``keep`` hours) for next week; what is left at the end of the week is lost.
    """

    def __init__(self):
        self.allot: dict[str, float] = {}
        self.bank = dict.fromkeys(FUNCTIONS, 0.0)
        self.carry = 0.0
        self.used = dict.fromkeys(FUNCTIONS, 0.0)

    def start_week(self, hours: float, shares: dict[str, float]) -> None:
        total = sum(shares.values())
        self.allot = {f: hours * s / total if total > 0 else 0.0 for f, s in shares.items()}
        self.carry = 0.0
        self.used = dict.fromkeys(FUNCTIONS, 0.0)

    def available(self, function: str) -> float:
        return self.allot.get(function, 0.0) + self.bank[function] + self.carry

    def book(self, function: str, hours_per_act: float, queued: int) -> int:
        """How many of ``queued`` acts of ``hours_per_act`` the hours of ``function`` allow this week (the acts
        that fit the hours; the rest of the queue waits).  Books them: the hours of one more act stay with the
        function if acts are left waiting, what is left beyond goes on."""
        n = min(int((self.available(function) + 1e-9) // hours_per_act), queued)
        self.close(function, n * hours_per_act, keep=hours_per_act if queued > n else 0.0)
        return n

    def close(self, function: str, used: float, keep: float = 0.0) -> None:
        """``function`` used ``used`` hours; up to ``keep`` of the rest stays with it, the rest goes on."""
        left = max(self.available(function) - used, 0.0)
        self.bank[function] = min(left, keep)
        self.carry = left - self.bank[function]
        self.used[function] += used


@register
class Portierato(StaffedLever):
    """The social concierge of an estate: events, outreach, brokering, small help and prevention."""

    name = "portierato"

    def __init__(self, model, params: PortieratoParams):
        super().__init__(model, params)
        p = params
        self.cover()
        model.households.on_grow(lambda n_units: self.cover())  # with buildings: [] new units are covered too
        self.on = {f: getattr(p, f).enabled for f in FUNCTIONS}
        self.plan = WorkPlan()
        self.last_event = NEVER
        #: outreach: the week the porter last visited each household
        self.unit = model.households.declare(self.name, visited_week=Column(np.int64, NEVER))
        self.outreach_queue = np.zeros((0, 3), dtype=np.int64)  # slot, household id, week noticed
        self.conflict_queue = np.zeros((0, 2), dtype=np.int64)  # conflict id, week heard of
        self.conflicts_seen = np.zeros(0, dtype=np.int64)
        self.small_help_categories = np.array([NEED_CATEGORIES.index(c) for c in p.small_help.categories])
        self.brokering_categories = np.array([NEED_CATEGORIES.index(c) for c in p.brokering.categories])
        #: what it did since the start of the run
        self.acts = dict.fromkeys(("events", "attendances", "cases_heard", "cases_judged_isolated", "visits",
                                   "visits_not_isolated", "introductions", "brokered", "broker_attempts",
                                   "small_help", "defused", "referred", "outreach_lost", "conflicts_lost"), 0)
        self.hours_used = dict.fromkeys(FUNCTIONS, 0.0)

    # --- hooks of the weekly schedule --------------------------------------------------------------
    def organise(self) -> None:
        p = self.p
        shares = {f: getattr(p, f).share for f in FUNCTIONS if self.on[f]}
        self.plan.start_week(self.staff_hours() * (1.0 - p.custodial_share) if self.is_open() else 0.0, shares)
        if not self.is_open():
            return
        self.events()
        self.outreach()

    def broker(self, needs) -> None:
        """Needs that households bring to the porter: brokered first, then small help for what is left."""
        if not self.is_open():
            return
        idx = needs.pending()
        idx = idx[self.covered[needs.requester[idx]]]
        brought = idx[self.rng.random(len(idx)) < self.p.reach]
        self.brokering(needs, brought)
        self.small_help(needs, brought)

    def handle_conflicts(self) -> None:
        if self.is_open():
            self.prevention()
        for f, used in self.plan.used.items():
            self.hours_used[f] += used

    def summary(self) -> dict[str, float]:
        return {**self.acts, **{f"hours_{f}": h for f, h in self.hours_used.items()}, "covered_units": len(self.units),
                "covered_buildings": self.buildings}

    def cover(self) -> None:
        """The units of the covered buildings (``buildings: []``: every building, those built later too)."""
        self.units = covered_units(self.model, self.p.buildings, "policy.portierato.buildings")
        self.covered = unit_mask(self.model, self.units)
        self.buildings = len(np.unique(self.model.space.unit_building[self.units]))

    def staff_hours(self) -> float:
        """Contracted hours a week: ``hours_per_week`` for each covered building (one team for all of them)."""
        return self.p.hours_per_week * self.buildings

    # --- events ----------------------------------------------------------------------------------------
    def events(self) -> None:
        """Hours planned for events are kept for preparing the next one; an event is held when it is due and
        its hours are there."""
        if not self.on["events"]:
            return
        q, model = self.p.events, self.model
        used = 0.0
        if self.plan.available("events") >= q.hours_per_act - 1e-9 and model.week - self.last_event >= q.every_weeks:
            self.hold_event()
            used = q.hours_per_act
        self.plan.close("events", used, keep=q.hours_per_act)

    def hold_event(self) -> None:
        """The households of the covered buildings are invited; they come by the participation rule (a household
        the porter visited since the last event holds a personal invitation) and meet at the event."""
        q, model = self.p.events, self.model
        hh = model.households
        people = self.units[hh.occupied[self.units]]
        invited = self.unit.visited_week[people] > self.last_event
        came = model.participation.gather(model, people, q.attendance, self.rng, q.partners, boost=q.boost,
                                          invited=invited, factor=q.invited_factor, capacity=q.capacity)
        self.last_event = model.week
        self.acts["events"] += 1
        self.acts["attendances"] += len(came)

    # --- outreach --------------------------------------------------------------------------------------
    def outreach(self) -> None:
        """The porter hears of households (:meth:`hear_of`), judges each isolated or not with its accuracy, queues
        those it judges isolated, and visits as many as its hours allow."""
        if not self.on["outreach"]:
            return
        q, model = self.p.outreach, self.model
        hh = model.households
        week = model.week
        # households that moved out leave the queue; cases waiting too long are lost
        qs, qa, qw = self.outreach_queue.T
        alive = hh.still_there(qs, qa)
        lost = alive & (week - qw > q.max_wait_weeks)
        self.acts["outreach_lost"] += int(lost.sum())
        self.outreach_queue = self.outreach_queue[alive & ~lost]
        people = self.units[hh.occupied[self.units]]
        recent = week - self.unit.visited_week[people] < q.revisit_after_weeks
        queued = np.isin(people, self.outreach_queue[:, 0])
        heard = self.hear_of(people[~recent & ~queued])
        judged = self.judge(heard)
        if len(judged):
            new = np.column_stack([judged, hh.hid[judged], np.full(len(judged), week)])
            self.outreach_queue = np.concatenate([self.outreach_queue, new])
        # visits: elderly living alone first (tenant registry), then the most fragile, then the longest waiting
        n_visits = self.plan.book("outreach", q.hours_per_act, len(self.outreach_queue))
        if n_visits == 0:
            return
        qs = self.outreach_queue[:, 0]
        registry = hh.htype[qs] != TYPE_CODE["elderly_alone"] if q.registry_first else np.zeros(len(qs), bool)
        order = np.lexsort((self.outreach_queue[:, 2], -hh.fragility[qs], registry))
        visit, rest = order[:n_visits], order[n_visits:]
        targets = qs[visit]
        self.outreach_queue = self.outreach_queue[np.sort(rest)]
        self.acts["visits_not_isolated"] += int((model.ties.degree()[targets] > 0).sum())
        self.introduce(targets)
        self.unit.visited_week[targets] = week
        self.acts["visits"] += len(targets)

    def hear_of(self, people: np.ndarray) -> np.ndarray:
        """Which of ``people`` the porter hears of this week: it meets them in the common parts (in proportion to
        their presence: the frail are out less), neighbours tell it about those who are seldom out, or the
        formal services about those they served last week."""
        q, model = self.p.outreach, self.model
        presence = model.encounters.presence(model.households)[people]
        seen = self.rng.random(len(people)) < q.sighting * presence
        told = self.rng.random(len(people)) < q.neighbour_referral * (1.0 - presence)
        served = np.concatenate([np.zeros(0, dtype=np.int64), *(s.served for s in model.services)])
        referred = np.isin(people, served) & (self.rng.random(len(people)) < q.service_referral)
        heard = people[seen | told | referred]
        self.acts["cases_heard"] += len(heard)
        return heard

    def judge(self, cases: np.ndarray) -> np.ndarray:
        """The cases the porter judges isolated: a household with no tie with probability ``sensitivity``, one
        with ties with probability 1 - ``specificity`` (a false alarm that takes a visit's hours)."""
        q = self.p.outreach
        isolated = self.model.ties.degree()[cases] == 0
        judged = cases[self.rng.random(len(cases)) < np.where(isolated, q.sensitivity, 1.0 - q.specificity)]
        self.acts["cases_judged_isolated"] += len(judged)
        return judged

    def introduce(self, targets: np.ndarray) -> None:
        """Each target meets the ``introductions`` most suitable neighbours found (trusting and sociable ones),
        of its stairwell first, then of its building, not already tied to it."""
        q, model = self.p.outreach, self.model
        hh = model.households
        cand = self._neighbour_candidates(targets, q.draws_per_introduction * q.introductions)
        target_rep = np.repeat(targets, cand.shape[1])
        ok = (cand.ravel() != target_rep) & hh.occupied[cand.ravel()]
        ok &= model.ties.find(target_rep, cand.ravel()) < 0
        score = np.where(ok, hh.trust[cand.ravel()] * hh.participation[cand.ravel()], -np.inf).reshape(cand.shape)
        score = _unique_in_rows(cand, score)
        score[:, : cand.shape[1] // 2] += 10.0  # the same stairwell before the rest of the building
        best = np.argsort(-score, axis=1, kind="stable")[:, : q.introductions]
        rows = np.repeat(np.arange(len(targets)), best.shape[1])
        chosen = cand[rows, best.ravel()]
        valid = np.isfinite(score[rows, best.ravel()])
        a, b = targets[rows][valid], chosen[valid]
        model.encounters.meet(model, a, b, rng=self.rng, boost=q.boost)
        self.acts["introductions"] += len(a)

    def _neighbour_candidates(self, slots: np.ndarray, k: int) -> np.ndarray:
        """A (len(slots), 2k) matrix: k random units of each slot's stairwell, then k of its building."""
        space = self.model.space
        rep = np.repeat(slots, k)
        stair = space.stairwell.random_member(rep, self.rng).reshape(len(slots), k)
        build = space.building.random_member(rep, self.rng).reshape(len(slots), k)
        return np.hstack([stair, build])

    # --- brokering -------------------------------------------------------------------------------------
    def brokering(self, needs, brought: np.ndarray) -> None:
        if not self.on["brokering"]:
            return
        q, model = self.p.brokering, self.model
        hh, helpsub = model.households, model.help
        idx = brought[np.isin(needs.category[brought], self.brokering_categories)]
        n = self.plan.book("brokering", q.hours_per_act, len(idx))
        if n == 0:
            return
        # the most fragile requesters first
        idx = idx[np.lexsort((self.rng.random(len(idx)), -hh.fragility[needs.requester[idx]]))][:n]
        req, hours = needs.requester[idx], needs.hours[idx]
        cand = self._neighbour_candidates(req, q.draws_per_candidate * q.candidates)
        req_rep, hours_rep = np.repeat(req, cand.shape[1]), np.repeat(hours, cand.shape[1])
        c = cand.ravel()
        ok = (c != req_rep) & hh.occupied[c] & (helpsub.free_hours[c] >= hours_rep - 1e-9)
        ok &= model.ties.find(req_rep, c) < 0
        rank = np.tile(-np.arange(cand.shape[1], dtype=float), n)  # the same stairwell first, in draw order
        score = np.where(ok, rank, -np.inf).reshape(cand.shape)
        score = _unique_in_rows(cand, score)
        order = np.argsort(-score, axis=1, kind="stable")[:, : q.candidates]
        for r in range(order.shape[1]):
            col = order[:, r]
            usable = np.isfinite(score[np.arange(n), col]) & (needs.outcome[idx] == PENDING)
            rows, helper = idx[usable], cand[np.arange(n), col][usable]
            if len(rows) == 0:
                continue
            willing = np.clip(helpsub.willingness(model, helper, None, needs.hours[rows]) * q.endorsement, 0.0, 1.0)
            met = helpsub.try_helpers(model, needs, rows, helper, None, channel=BROKERED, willing=willing, rng=self.rng)
            self.acts["brokered"] += len(met)
            # helping someone is meeting them: a tie may form, by the encounters' rule with the porter's boost
            model.encounters.meet(model, needs.requester[met], needs.helper[met], rng=self.rng, boost=q.boost)
        self.acts["broker_attempts"] += n

    # --- small practical help ---------------------------------------------------------------------------
    def small_help(self, needs, brought: np.ndarray) -> None:
        if not self.on["small_help"]:
            return
        q, hh = self.p.small_help, self.model.households
        idx = brought[(needs.outcome[brought] == PENDING) & np.isin(needs.category[brought], self.small_help_categories)
                      & (needs.hours[brought] <= q.max_need_hours + 1e-9)]
        idx = idx[np.lexsort((self.rng.random(len(idx)), -hh.fragility[needs.requester[idx]]))]
        avail = self.plan.available("small_help")
        done = idx[np.cumsum(needs.hours[idx]) <= avail + 1e-9]
        needs.serve(done)
        self.acts["small_help"] += len(done)
        waiting = q.max_need_hours if len(idx) > len(done) else 0.0
        self.plan.close("small_help", float(needs.hours[done].sum()), keep=waiting)

    # --- prevention ---------------------------------------------------------------------------------------
    def prevention(self) -> None:
        if not self.on["prevention"]:
            return
        q, model = self.p.prevention, self.model
        reg, week = model.conflicts, model.week
        # queued conflicts that ended, grew old or waited too long drop out
        pos = reg.index_of(self.conflict_queue[:, 0])
        still = pos >= 0
        age = np.zeros(len(pos), dtype=np.int64)
        age[still] = week - reg.start[pos[still]]
        young = still & (age < q.window_weeks)
        lost = still & (~young | (week - self.conflict_queue[:, 1] > q.max_wait_weeks))
        self.acts["conflicts_lost"] += int(lost.sum())
        self.conflict_queue = self.conflict_queue[still & ~lost]
        # the porter hears of new conflicts in its buildings
        new = np.flatnonzero((self.covered[reg.a] | self.covered[reg.b]) & (week - reg.start < q.window_weeks)
                             & ~np.isin(reg.id, self.conflicts_seen))
        heard = new[self.rng.random(len(new)) < q.detection]
        self.conflicts_seen = np.concatenate([self.conflicts_seen[self.conflicts_seen >= (reg.id.min() if len(reg) else 0)],
                                              reg.id[heard]])
        self.conflict_queue = np.concatenate([self.conflict_queue,
                                              np.column_stack([reg.id[heard], np.full(len(heard), week)])])
        n = self.plan.book("prevention", q.hours_per_act, len(self.conflict_queue))
        if n == 0:
            return
        ids, self.conflict_queue = self.conflict_queue[:n, 0], self.conflict_queue[n:]
        idx = reg.index_of(ids)
        defused = self.rng.random(n) < q.success
        failed_ids = ids[~defused]
        model.conflict.resolve(model, idx[defused], "resolved_portierato")
        self.acts["defused"] += int(defused.sum())
        mediation = find_lever(model, "mediation")
        if q.refer_to_mediation and mediation is not None and len(failed_ids):
            mediation.refer(failed_ids)
            self.acts["referred"] += len(failed_ids)


def _unique_in_rows(cand: np.ndarray, score: np.ndarray) -> np.ndarray:
    """``score`` with repeats of a unit within a row set to -inf (first occurrence kept)."""
    score = score.copy()
    for j in range(1, cand.shape[1]):
        dup = (cand[:, :j] == cand[:, j: j + 1]).any(axis=1)
        score[dup, j] = -np.inf
    return score
