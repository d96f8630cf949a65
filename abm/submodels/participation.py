"""Participation: one rule for who takes part in a collective activity, and the activities residents organise.

ODD: submodel "Participation" (7.12).  Every collective activity decides who comes through
:meth:`Participation.attend`, and who takes on a task through :meth:`Participation.volunteer`: the
assemblies and self-management tasks of a residents' cooperative or of a self-managed body, the
activities residents organise themselves (a courtyard gathering, a residents' committee), a lever's events
and members' meetings, a community cooperative's volunteering.  The rule is the household's own: its
participation propensity, its trust and its presence (frail people come out less), times the occasion's
appeal and, if the household holds one, a personal invitation.  An organiser (a resident, a cooperative, a
lever) adds occasions and invitations; it never marks who took part.  Visiting a shared space is an
encounter, not participation.

Residents' own activities exist without any lever: each week a household may take the initiative of
organising one for its building (or the whole neighbourhood, ``scope``), more likely if it took part in
something recently (engagement breeds initiative); the households of that scope are invited, come by
the rule, and meet others there.  Organising is volunteering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.dynamics import REFERENCE, weighted
from abm.params import param

SCOPES = ("building", "neighbourhood")


@dataclass
class ParticipationParams:
    """The attendance rule and the activities residents organise themselves."""

    #: how much trust scales attendance and volunteering: 1 - w + w x trust / 0.5 (0: not at all)
    trust_weight: float = param(1.0, lo=0.0, hi=1.0)
    #: how much fragility keeps a household from coming: 1 - w + w x (1 - fragility) / 0.5 (0: not at all)
    fragility_weight: float = param(0.9, lo=0.0, hi=1.0)
    #: weekly probability that a household at the reference propensities organises an activity for its scope
    initiative: float = param(0.002, lo=0.0, hi=1.0)
    #: initiative multiplier of a household that took part in a collective activity in the last ``engaged_weeks``
    engaged_factor: float = param(3.0, lo=1.0, hi=50.0)
    engaged_weeks: int = param(13, lo=1, hi=520)
    #: who residents' activities are for: the organiser's building, or the whole neighbourhood
    scope: str = param("building", choices=SCOPES)
    #: probability that an invited household at the reference propensities comes to a residents' activity
    attendance: float = param(0.15, lo=0.0, hi=1.0)
    #: people each attendee of a residents' activity talks with
    partners: int = param(3, lo=0, hi=50)


class Participation:
    """The attendance rule every collective activity uses, and residents' own activities (process 2)."""

    def __init__(self, params: ParticipationParams, model):
        self.p = params
        self.rng = model.stream("participation")
        #: residents' activities held since week 0 and households that came to them (attendance counts)
        self.activities = 0
        self.attendances = 0

    # --- the one rule -------------------------------------------------------------------------------------
    def propensity(self, model, slots: np.ndarray) -> np.ndarray:
        """The household's own factor: participation / 0.5 x (1 - wt + wt x trust / 0.5) x
        (1 - wf + wf x (1 - fragility) / 0.5); 1 for a household at the reference propensities."""
        hh, p = model.households, self.p
        return (hh.participation[slots] / REFERENCE * weighted(p.trust_weight, hh.trust[slots])
                * weighted(p.fragility_weight, 1.0 - hh.fragility[slots]))

    def probability(self, model, slots: np.ndarray, appeal, invited: np.ndarray | None = None,
                    factor: float = 1.0) -> np.ndarray:
        """clip(appeal x propensity x (factor if invited), 0, 1): the chance that each household comes.
        ``appeal`` (a number, or one per household) is the chance of a household at the reference
        propensities; ``invited`` marks those holding a personal invitation, which multiplies it by ``factor``."""
        prob = np.asarray(appeal, dtype=float) * self.propensity(model, slots)
        if invited is not None:
            prob = np.where(invited, prob * factor, prob)
        return np.clip(prob, 0.0, 1.0)

    def attend(self, model, people: np.ndarray, appeal, rng: np.random.Generator,
               invited: np.ndarray | None = None, factor: float = 1.0, capacity: int | None = None) -> np.ndarray:
        """Who of ``people`` comes to an occasion (at most ``capacity``, a random subset): they took part this
        week.  ``rng`` is the organiser's stream."""
        people = np.asarray(people, dtype=np.int64)
        came = people[rng.random(len(people)) < self.probability(model, people, appeal, invited, factor)]
        if capacity is not None and len(came) > capacity:
            came = rng.permutation(came)[:capacity]
        model.households.took_part(came, model.week)
        return came

    def volunteer(self, model, people: np.ndarray, rate, rng: np.random.Generator) -> np.ndarray:
        """Who of ``people`` takes on a task this week (volunteering, which is also taking part), by the same
        rule with the task's ``rate`` as its appeal."""
        people = np.asarray(people, dtype=np.int64)
        came = people[rng.random(len(people)) < self.probability(model, people, rate)]
        model.households.volunteered(came, model.week)
        return came

    def gather(self, model, people: np.ndarray, appeal, rng: np.random.Generator, partners: int,
               boost: float = 1.0, invited: np.ndarray | None = None, factor: float = 1.0,
               capacity: int | None = None) -> np.ndarray:
        """An occasion held in one session: who comes (:meth:`attend`), and each meets ``partners`` others there
        (``Encounters.meet_in_sessions`` with ``boost``, on the organiser's stream ``rng``).  Returns who came."""
        came = self.attend(model, people, appeal, rng, invited, factor, capacity)
        model.encounters.meet_in_sessions(model, came, 1, partners, rng=rng, boost=boost)
        return came

    # --- residents' own activities --------------------------------------------------------------------------
    def scope_of(self, model) -> np.ndarray:
        """The scope (building, or 0 for the whole neighbourhood) of each unit."""
        if self.p.scope == "building":
            return model.space.unit_building
        return np.zeros(model.space.n_units, dtype=np.int64)

    def step(self, model) -> None:
        """Households take the initiative (organisers volunteer); each scope with an organiser holds one activity
        this week, its other households come by the rule, and everyone there meets ``partners`` others."""
        p, hh, week = self.p, model.households, model.week
        slots = np.flatnonzero(hh.occupied)
        if len(slots) == 0 or p.initiative <= 0:
            return
        engaged = week - hh.last_participation[slots] < p.engaged_weeks
        rate = p.initiative * np.where(engaged, p.engaged_factor, 1.0)
        organisers = self.volunteer(model, slots, rate, self.rng)
        if len(organisers) == 0:
            return
        scope = self.scope_of(model)
        held = np.unique(scope[organisers])
        guests = slots[np.isin(scope[slots], held) & ~np.isin(slots, organisers)]
        came = self.attend(model, guests, p.attendance, self.rng)
        self.activities += len(held)
        self.attendances += len(came)
        people = np.concatenate([organisers, came])
        gathering = np.searchsorted(held, scope[people])
        a, b, _ = model.encounters.session_pairs(people, gathering, np.zeros(len(people), dtype=np.int64),
                                                 np.ones(len(held), dtype=np.int64), p.partners, rng=self.rng)
        model.encounters.meet(model, a, b, rng=self.rng)
