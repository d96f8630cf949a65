"""Time bank (banca del tempo): members exchange hours of help, credited to the one who gives and
debited to the one who receives, whoever they are (not only their ties); an exchange strengthens the tie
between them, and members without a tie meet through it (a tie may form, by the encounters' rule).  A facilitator keeps it alive: without the facilitator's hours the
members' activity decays week by week until they drop out.

Each member has an activity level in [0, 1]: the probability of posting a request for a pending need
and of answering one.  Activity decays by ``activity_decay`` a week; monthly members' meetings and the
facilitator's contacts (calls, matching, newsletter) restore it, and so does a completed exchange.
New members join with a probability that grows with their participation propensity and with the bank's
vitality (the mean activity of its members).  ODD: docs/ODD.md, "Policy levers".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.dynamics import at_reference, close_gap
from abm.levers.base import register
from abm.levers.common import Membership, StaffedLever, StaffedParams
from abm.params import param
from abm.store import Column
from abm.submodels.help import TIMEBANK
from abm.vocabulary import NEED_CATEGORIES, PAYERS


@dataclass
class TimebankParams(StaffedParams):
    """The time bank: its facilitator, members' activity, and the exchanges."""

    payer: str = param("municipality", choices=PAYERS)
    #: the facilitator's hourly cost, EUR (CCNL cooperative sociali, level C1)
    hourly_cost: float = param(22.0, lo=0.0, hi=200.0)
    #: facilitator hours a week
    hours_per_week: float = param(5.0, lo=0.0, hi=400.0)
    #: fixed running cost, EUR a year (room, insurance, exchange register)
    fixed_cost_year: float = param(1500.0, lo=0.0, hi=1e7)
    #: members at the start (the households with the highest participation propensity)
    founding_members: int = param(10, lo=0, hi=100_000)
    #: weekly probability that a non-member with participation propensity 0.5 joins a fully active bank
    recruitment: float = param(0.004, lo=0.0, hi=1.0)
    #: activity of a new member
    initial_activity: float = param(0.6, lo=0.0, hi=1.0)
    #: weekly fractional decay of every member's activity
    activity_decay: float = param(0.04, lo=0.0, hi=1.0)
    #: share of the gap to full activity closed by a facilitator's contact, a meeting or an exchange
    activity_restored: float = param(0.3, lo=0.0, hi=1.0)
    #: members the facilitator reaches in one hour (least active first)
    members_per_hour: float = param(4.0, lo=0.0, hi=100.0)
    #: a member whose activity falls below this leaves
    dropout_activity: float = param(0.1, lo=0.0, hi=1.0)
    #: members' meeting every this many weeks, costing the facilitator ``meeting_hours``
    meeting_every_weeks: int = param(4, lo=1, hi=52)
    meeting_hours: float = param(3.0, lo=0.0, hi=100.0)
    #: probability that a member with activity 1 at the reference propensities comes to a meeting
    meeting_attendance: float = param(1.0, lo=0.0, hi=1.0)
    #: people each attendee of a meeting talks with, and the tie-formation multiplier of those encounters
    meeting_partners: int = param(3, lo=0, hi=50)
    meeting_boost: float = param(2.0, lo=1.0, hi=50.0)
    #: need categories exchanged through the bank
    categories: list[str] = param(default_factory=lambda: ["childcare", "errands", "paperwork", "repairs", "company"],
                                  choices=NEED_CATEGORIES)
    #: probability that a member with full activity posts a pending need of its categories to the bank
    request_probability: float = param(0.4, lo=0.0, hi=1.0)
    #: probability that an asked member with full activity and enough free time gives the hours
    acceptance: float = param(0.6, lo=0.0, hi=1.0)
    #: members asked, one after another, for one request
    candidates: int = param(3, lo=1, hi=20)
    #: a member who owes more than this many hours cannot post requests
    max_debt_hours: float = param(10.0, lo=0.0, hi=1000.0)
    #: tie-formation multiplier of the encounter an exchange between members without a tie is
    exchange_boost: float = param(3.0, lo=1.0, hi=100.0)


@register
class Timebank(StaffedLever):
    """Members, their activity and hour balances; the facilitator; exchanges between members."""

    name = "timebank"

    def __init__(self, model, params: TimebankParams):
        super().__init__(model, params)
        self.members = Membership(model, self.name)
        #: each member's activity, and hours given minus hours received
        self.unit = model.households.declare(self.name, activity=Column(np.float64, 0.0),
                                             balance=Column(np.float64, 0.0))
        self.categories = np.array([NEED_CATEGORIES.index(c) for c in params.categories])
        self.acts = dict.fromkeys(("joined", "dropped", "meetings", "contacts", "requests", "exchanges"), 0)
        self.hours_exchanged = 0.0
        hh = model.households
        occ = np.flatnonzero(hh.occupied)
        order = np.lexsort((self.rng.random(len(occ)), -hh.participation[occ]))
        self.join(occ[order[: params.founding_members]])

    def timebank_members(self) -> int:
        return len(self.members)

    def other_costs_year(self) -> float:
        return self.p.fixed_cost_year

    def other_costs_week(self) -> float:
        return self.p.fixed_cost_year / 52.0

    def summary(self) -> dict[str, float]:
        return {**self.acts, "members": len(self.members), "hours_exchanged": self.hours_exchanged}

    def join(self, slots: np.ndarray) -> None:
        self.members.join(slots)
        self.unit.activity[slots] = self.p.initial_activity
        self.unit.balance[slots] = 0.0
        self.acts["joined"] += len(slots)

    # --- the facilitator's week ----------------------------------------------------------------------------
    def organise(self) -> None:
        p, model = self.p, self.model
        members = self.members.slots()
        self.unit.activity[members] *= 1.0 - p.activity_decay
        hours = p.hours_per_week if self.is_open() else 0.0  # the facilitator's week (none when closed)
        if model.week % p.meeting_every_weeks == 0 and hours >= p.meeting_hours and len(members):
            hours -= p.meeting_hours
            self.hold_meeting(members)
        self.contact(members, int(hours * p.members_per_hour + 1e-9))
        gone = members[self.unit.activity[members] < p.dropout_activity]
        self.members.leave(gone)
        self.acts["dropped"] += len(gone)
        self.recruit()

    def hold_meeting(self, members: np.ndarray) -> None:
        """Members come by the participation rule, the more active the likelier (appeal = meeting_attendance x
        activity); attending restores activity, and attendees meet."""
        p, model = self.p, self.model
        came = model.participation.gather(model, members, p.meeting_attendance * self.unit.activity[members],
                                          self.rng, p.meeting_partners, boost=p.meeting_boost)
        close_gap(self.unit.activity, came, p.activity_restored)
        self.acts["meetings"] += 1

    def contact(self, members: np.ndarray, k: int) -> None:
        """The facilitator reaches the ``k`` least active members (calls, matching, newsletter)."""
        reached = members[np.lexsort((self.rng.random(len(members)), self.unit.activity[members]))[:k]]
        close_gap(self.unit.activity, reached, self.p.activity_restored)
        self.acts["contacts"] += len(reached)

    def vitality(self) -> float:
        members = self.members.slots()
        return float(self.unit.activity[members].mean()) if len(members) else 0.0

    def recruit(self) -> None:
        hh = self.model.households
        others = np.flatnonzero(hh.occupied & ~self.members.mask())
        prob = np.clip(at_reference(self.p.recruitment, hh.participation[others]) * self.vitality(), 0.0, 1.0)
        self.join(others[self.rng.random(len(others)) < prob])

    # --- exchanges ----------------------------------------------------------------------------------------------
    def broker(self, needs) -> None:
        """Members post pending needs; other members (any, not only ties) are asked one after another."""
        p, model = self.p, self.model
        helpsub, ties = model.help, model.ties
        is_member = self.members.mask()
        idx = needs.pending()
        req = needs.requester[idx]
        post = (is_member[req] & np.isin(needs.category[idx], self.categories)
                & (self.unit.balance[req] > -p.max_debt_hours)
                & (self.rng.random(len(idx)) < p.request_probability * self.unit.activity[req]))
        idx = idx[post]
        members = np.flatnonzero(is_member)
        if len(idx) == 0 or len(members) < 2:
            return
        self.acts["requests"] += len(idx)
        weight = self.unit.activity[members] / self.unit.activity[members].sum()
        cand = self.rng.choice(members, size=(len(idx), p.candidates), p=weight)
        for r in range(p.candidates):
            pos = np.flatnonzero(needs.outcome[idx] < 0)
            rows, helper = idx[pos], cand[pos, r]
            asked = (cand[pos, :r] == helper[:, None]).any(axis=1)  # a member is asked once per request
            ok = ~asked & (helper != needs.requester[rows]) & (helpsub.free_hours[helper] >= needs.hours[rows] - 1e-9)
            rows, helper = rows[ok], helper[ok]
            if len(rows) == 0:
                continue
            requester = needs.requester[rows]
            edge = ties.find(requester, helper)
            owed = np.where(edge >= 0, ties.balance(np.maximum(edge, 0), helper), 0.0) if len(ties) else 0.0
            owed = np.broadcast_to(owed, helper.shape)
            willing = np.clip(p.acceptance * self.unit.activity[helper] * helpsub.availability(model, helper, owed), 0.0, 1.0)
            met = helpsub.try_helpers(model, needs, rows, helper, None, channel=TIMEBANK, willing=willing, rng=self.rng)
            self.record(needs.requester[met], needs.helper[met], needs.hours[met])

    def record(self, requester: np.ndarray, helper: np.ndarray, hours: np.ndarray) -> None:
        """Credit the helper, debit the requester; members who had no tie met through the exchange: a tie may
        form (the encounters' rule with ``exchange_boost``; an existing tie gains from the help at settle)."""
        model = self.model
        np.add.at(self.unit.balance, helper, hours)
        np.subtract.at(self.unit.balance, requester, hours)
        close_gap(self.unit.activity, np.concatenate([requester, helper]), self.p.activity_restored)
        new = model.ties.find(requester, helper) < 0
        model.encounters.meet(model, requester[new], helper[new], rng=self.rng, boost=self.p.exchange_boost)
        model.events.add("timebank_hours", float(hours.sum()))
        self.hours_exchanged += float(hours.sum())
        self.acts["exchanges"] += len(hours)
