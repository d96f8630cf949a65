"""Social mediation (mediazione sociale): trained mediators take neighbour conflicts referred by the
portierato or escalated (open for a long time and reported), and try to bring the parties to a joint
meeting.  Uptake, not skill, is the bottleneck: 14-36 % of cases not referred by a court reach a joint meeting and
60-80 % of those end in an agreement (SOURCES.md).  An agreement ends the conflict as
``resolved_mediation``, restores part of both parties' trust and of the tie between them.

The mediators' weekly hours are a running balance: each week adds ``hours_per_week`` (unused hours are
not banked beyond one week); taking a case costs its intake hours at once and a joint meeting costs its
hours in the week it is held, so a busy week delays the next intakes.  Cases wait in a queue (referrals
first, then escalations, oldest first) for at most ``max_wait_weeks``.  ODD: docs/ODD.md, "Policy levers".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.events import WeeklyCounts, per_year
from abm.levers.base import register
from abm.levers.common import StaffedLever, StaffedParams
from abm.params import param
from abm.vocabulary import PAYERS


@dataclass
class MediationParams(StaffedParams):
    """The social mediation service: its hours, the stages of a case, and what an agreement restores."""

    payer: str = param("municipality", choices=PAYERS)
    #: mediators' hourly cost, EUR (CCNL cooperative sociali, levels D2-E1; assumption within the F range)
    hourly_cost: float = param(27.0, lo=0.0, hi=200.0)
    #: mediators' hours a week
    hours_per_week: float = param(4.0, lo=0.0, hi=1000.0)
    #: hours to take a case: first contacts and separate meetings with each party
    intake_hours: float = param(2.0, lo=0.0, hi=100.0, lo_open=True)
    #: hours to prepare and hold the joint meeting
    meeting_hours: float = param(4.0, lo=0.0, hi=100.0)
    #: probability that a case taken reaches a joint meeting (referrals not from a court: 14-36 %, UK about 30 %,
    #: Turin about 30 %; docs/evidence/interventions.md §3)
    uptake: float = param(0.3, lo=0.0, hi=1.0)
    #: probability that a joint meeting ends in an agreement (60-80 %, F)
    agreement: float = param(0.7, lo=0.0, hi=1.0)
    #: weeks from intake to the joint meeting
    weeks_to_meeting: int = param(3, lo=0, hi=52)
    #: a conflict open at least this many weeks has escalated ...
    escalation_weeks: int = param(4, lo=1, hi=520)
    #: ... and is reported to the service with this weekly probability (complaints to ACER, the municipality):
    #: set so that about 5 disputes per 100 households a year reach it, as formal mediation requests to ACER do
    #: (3.6-5.2 per 100 ERP dwellings a year; docs/evidence/interventions.md §7.4)
    escalation_report: float = param(0.011, lo=0.0, hi=1.0)
    #: a case not taken within this many weeks drops out of the queue
    max_wait_weeks: int = param(8, lo=0, hi=520)
    #: share of the gap to full trust each party regains with an agreement
    trust_restored: float = param(0.05, lo=0.0, hi=1.0)
    #: share of the gap to full strength regained by their tie (if none is left, the meeting may start one)
    tie_restored: float = param(0.3, lo=0.0, hi=1.0)
    #: a fee per case taken, EUR, on top of the staff cost (e.g. a room, a second mediator); 0 = none
    cost_per_case: float = param(0.0, lo=0.0, hi=100_000.0)


@register
class Mediation(StaffedLever):
    """Takes conflicts by referral or escalation, within its hours; agreements resolve them."""

    name = "mediation"

    def __init__(self, model, params: MediationParams):
        super().__init__(model, params)
        self.balance = 0.0
        #: waiting cases: conflict id, week queued, referred (1) or escalated (0)
        self.queue = np.zeros((0, 3), dtype=np.int64)
        #: cases waiting for their joint meeting: conflict id, week of the meeting
        self.meetings = np.zeros((0, 2), dtype=np.int64)
        #: conflict ids the service has already queued or taken (each conflict is taken at most once)
        self.known = np.zeros(0, dtype=np.int64)
        #: week of each intake (for the per-case cost at the current rate)
        self.intakes = WeeklyCounts()
        self.acts = dict.fromkeys(("referrals", "escalations", "cases", "joint_meetings", "agreements",
                                   "no_uptake", "no_agreement", "lost", "ended_meanwhile"), 0)

    def refer(self, ids: np.ndarray) -> None:
        """The portierato refers conflicts it could not defuse."""
        ids = np.setdiff1d(np.asarray(ids, dtype=np.int64), self.known)
        self._enqueue(ids, referred=True)
        self.acts["referrals"] += len(ids)

    def _enqueue(self, ids: np.ndarray, referred: bool) -> None:
        rows = np.column_stack([ids, np.full(len(ids), self.model.week), np.full(len(ids), int(referred))])
        self.queue = np.concatenate([self.queue, rows])
        self.known = np.union1d(self.known, ids)

    def handle_conflicts(self) -> None:
        """In an open week: the week's hours, joint meetings due, escalations, intakes (closed: cases wait)."""
        if not self.is_open():
            return
        p = self.p
        self.balance = min(self.balance, 0.0) + p.hours_per_week
        self.hold_meetings()
        self.escalate()
        self.take_cases()

    def escalate(self) -> None:
        """Conflicts open for ``escalation_weeks`` or more are reported with a weekly probability."""
        reg = self.model.conflicts
        old = np.flatnonzero((self.model.week - reg.start >= self.p.escalation_weeks) & ~np.isin(reg.id, self.known))
        reported = old[self.rng.random(len(old)) < self.p.escalation_report]
        self._enqueue(reg.id[reported], referred=False)
        self.acts["escalations"] += len(reported)

    def take_cases(self) -> None:
        p, model = self.p, self.model
        reg = model.conflicts
        pos = reg.index_of(self.queue[:, 0])
        waited = model.week - self.queue[:, 1]
        lost = (pos >= 0) & (waited > p.max_wait_weeks)
        self.acts["lost"] += int(lost.sum())
        self.queue = self.queue[(pos >= 0) & ~lost]
        # referrals first, then the longest waiting
        self.queue = self.queue[np.lexsort((self.queue[:, 1], -self.queue[:, 2]))]
        n = 0
        while n < len(self.queue) and self.balance > 1e-9:
            self.balance -= p.intake_hours
            n += 1
        if n == 0:
            return
        taken, self.queue = self.queue[:n, 0], self.queue[n:]
        self.acts["cases"] += n
        self.intakes.add(model.week, n)
        up = self.rng.random(n) < p.uptake
        self.acts["no_uptake"] += int((~up).sum())
        rows = np.column_stack([taken[up], np.full(int(up.sum()), model.week + p.weeks_to_meeting)])
        self.meetings = np.concatenate([self.meetings, rows])

    def hold_meetings(self) -> None:
        """Joint meetings due this week: an agreement resolves the conflict and mends trust and the tie."""
        p, model = self.p, self.model
        due = self.meetings[:, 1] <= model.week
        ids, self.meetings = self.meetings[due, 0], self.meetings[~due]
        idx = model.conflicts.index_of(ids)
        self.acts["ended_meanwhile"] += int((idx < 0).sum())
        idx = idx[idx >= 0]
        if len(idx) == 0:
            return
        self.balance -= p.meeting_hours * len(idx)
        self.acts["joint_meetings"] += len(idx)
        agreed = idx[self.rng.random(len(idx)) < p.agreement]
        self.acts["no_agreement"] += len(idx) - len(agreed)
        self.acts["agreements"] += len(agreed)
        reg = model.conflicts
        a, b = reg.a[agreed], reg.b[agreed]
        edge = model.ties.find(a, b)
        model.ties.strengthen(edge[edge >= 0], p.tie_restored, model.week)
        model.encounters.meet(model, a[edge < 0], b[edge < 0], rng=self.rng)
        model.conflict.resolve(model, agreed, "resolved_mediation", trust_restored=p.trust_restored)

    def cases_per_year(self) -> float:
        """Cases taken over the last 52 weeks (fewer at the start of a run), annualised."""
        week = self.model.week
        return per_year(self.intakes.last_year(week), week)

    def other_costs_year(self) -> float:
        return self.p.cost_per_case * self.cases_per_year()

    def other_costs_week(self) -> float:
        """The fees of the cases taken this week."""
        return self.p.cost_per_case * self.intakes.in_week(self.model.week)
