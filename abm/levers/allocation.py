"""Allocation of social-tenure vacancies: ranked need or social mix, and a share reserved for cooperative members.

ODD: lever "Allocation of vacancies".  The waiting list is a count of applicants; an applicant household is
drawn only when a unit is allocated to it.  Without this lever the next applicant is drawn from the
household-type shares of the unit's tenure ("first on the list": no selection).  With it:

- ``ranked_need``: ``candidates`` applicants from the top of the list are drawn (capped by the list's
  length) and the unit goes to the most fragile, as an ERP ranking by need (ISEE, age, disability,
  household situation) does;
- ``social_mix``: of ``candidates`` applicants the unit goes to the one whose household type is most
  under-represented, against ``mix_target``, among the households now living in the unit's building
  (``mix_scope: building``) or the whole neighbourhood;
- ``coop_share``: each social vacancy is reserved with this probability for a member of a residents'
  cooperative (drawn from the ``coop`` tenure's type and income shares, not taken from the waiting list;
  the cooperative's own members are assumed always available).  If the neighbourhood has no residents'
  cooperative, one is formed for them.

The same selection functions serve the regeneration and ERS-fund levers when they let their new units
(``let_from_waiting_list``); every letting that follows the lever's rule, re-let or first letting, is paid
for (``cost_per_letting``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.params import check_shares, param
from abm.levers.base import CostRow, Lever, register
from abm.vocabulary import HOUSEHOLD_TYPES, PAYERS, SOCIAL_TENURES, TENURE_CODE

RULES = ("ranked_need", "social_mix")
#: how the applicant for a unit is chosen ("plain": first on the list, no selection)
SELECTIONS = ("plain", *RULES, "coop_members")


@dataclass
class AllocationParams:
    """Who gets a social-tenure vacancy."""

    enabled: bool = False
    payer: str = param("acer", choices=PAYERS)
    rule: str = param("ranked_need", choices=RULES)
    #: applicants compared for each vacancy (at most the waiting list's length)
    candidates: int = param(5, lo=1, hi=100)
    #: target household-type shares of the social mix rule
    mix_target: dict[str, float] = param(default_factory=lambda: {
        "elderly_alone": 0.15, "elderly_couple": 0.15, "family_children": 0.25, "single_parent": 0.10,
        "single_adult": 0.15, "young_sharers": 0.10, "new_migrant": 0.10})
    #: where the mix is balanced: among the households of the unit's building, or of the whole neighbourhood
    mix_scope: str = param("building", choices=("building", "neighbourhood"))
    #: probability that a social vacancy is reserved for a cooperative member (not from the waiting list)
    coop_share: float = param(0.0, lo=0.0, hi=1.0)
    #: assessment cost of one allocation (ISEE check, interview, social-services report), EUR
    cost_per_letting: float = param(200.0, lo=0.0, hi=100_000.0)

    def check(self, prefix: str) -> None:
        check_shares(f"{prefix}mix_target", self.mix_target, HOUSEHOLD_TYPES)


# --- selection of applicants (shared with regeneration and the ERS fund) -------------------------------------
def _take(attrs: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in attrs.items()}


def _most_fragile(cand: dict[str, np.ndarray], n: int, k: int) -> np.ndarray:
    """Row of the most fragile of each unit's ``k`` candidates (rows ``i*k .. i*k+k-1``)."""
    return np.arange(n) * k + cand["fragility"].reshape(n, k).argmax(axis=1)


def _best_mix(model, units: np.ndarray, cand: dict[str, np.ndarray], k: int, target: np.ndarray,
              scope: str) -> np.ndarray:
    """Row of the candidate whose type is most under-represented in the unit's scope, unit after unit."""
    hh, nb = model.households, model.space
    scope_of = nb.unit_building if scope == "building" else np.zeros(nb.n_units, dtype=np.int64)
    occ = np.flatnonzero(hh.occupied)
    counts = np.zeros((int(scope_of.max()) + 1, len(HOUSEHOLD_TYPES)))
    np.add.at(counts, (scope_of[occ], hh.htype[occ]), 1.0)
    rows = np.empty(len(units), dtype=np.int64)
    for i, u in enumerate(units):
        g = scope_of[u]
        c = counts[g]
        shares = c / c.sum() if c.sum() > 0 else np.zeros_like(c)
        types = cand["htype"][i * k: (i + 1) * k]
        rows[i] = i * k + int(np.argmax((target - shares)[types]))  # first candidate wins ties
        counts[g, cand["htype"][rows[i]]] += 1.0
    return rows


def applicants(model, rng: np.random.Generator, units: np.ndarray, selection: str,
               params: AllocationParams, pool: int | None = None) -> dict[str, np.ndarray]:
    """Attributes of the households chosen for ``units`` by ``selection`` (one of SELECTIONS).

    ``pool`` is the number of applicants on the list (caps the candidates compared; None: no cap).
    """
    gen, nb = model.generator, model.space
    tenure, m2 = nb.unit_tenure[units], nb.unit_m2[units]
    n = len(units)
    if selection == "plain":
        return gen.draw(rng, tenure, m2)
    if selection == "coop_members":
        attrs = gen.draw(rng, np.full(n, TENURE_CODE["coop"], dtype=tenure.dtype), m2)
        attrs["rent"] = gen.rent(tenure, m2, attrs["income"])  # they pay the rent of the unit they get
        return attrs
    k = params.candidates if pool is None else max(1, min(params.candidates, pool))
    cand = gen.draw(rng, np.repeat(tenure, k), np.repeat(m2, k))
    if selection == "ranked_need":
        rows = _most_fragile(cand, n, k)
    else:
        target = np.array([params.mix_target[t] for t in HOUSEHOLD_TYPES])
        rows = _best_mix(model, units, cand, k, target, params.mix_scope)
    return _take(cand, rows)


def waiting_list_selection(model) -> str:
    """How applicants from the waiting list are chosen now: the allocation lever's rule, or plain."""
    return model.allocation.p.rule if model.allocation is not None else "plain"


def let_from_waiting_list(model, rng: np.random.Generator, units: np.ndarray, selection: str | None = None) -> None:
    """Applicants from the waiting list move into the new or regenerated ``units`` (first lettings), chosen by
    ``selection`` (None: as the allocation lever says); a letting by the lever's rule is one of its lettings."""
    selection = selection or waiting_list_selection(model)
    attrs = applicants(model, rng, units, selection, model.config.policy.allocation, pool=model.waiting_list)
    model.waiting_list -= len(units)
    if len(units):
        model.add_households(units, attrs)
    if model.allocation is not None and selection == model.allocation.p.rule:
        model.allocation.count(len(units), selection, first=True)


def ensure_residents_coop(model) -> None:
    """Households let a unit as cooperative members need a residents' cooperative: form one if there is none."""
    from abm.agents import ResidentsCooperative

    if len(model.cooperatives) == 0:
        model.cooperatives.add(ResidentsCooperative(model, model.config.cooperative))


# --- the lever ------------------------------------------------------------------------------------------------
@register
class Allocation(Lever):
    """Chooses the applicants of social-tenure vacancies re-let by the moving submodel, and of the first lettings
    of regenerated and new units from the waiting list (those levers ask it); pays for each letting."""

    name = "allocation"

    def __init__(self, model, params: AllocationParams):
        super().__init__(model, params)
        self.social = np.isin(np.arange(len(TENURE_CODE)), [TENURE_CODE[t] for t in SOCIAL_TENURES])
        #: week of each allocation made in the last 52 weeks (for the yearly cost)
        self.lettings: list[int] = []
        #: units it let so far to applicants from the waiting list, and to cooperative members
        self.let_from_list = 0
        self.let_to_members = 0
        #: of which first lettings of regenerated or new units (the rest are re-lets of the moving submodel)
        self.first_lettings = 0
        model.allocation = self
        if params.coop_share > 0:
            ensure_residents_coop(model)

    def reserve(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split social vacancies into those reserved for cooperative members and those for the list."""
        if self.p.coop_share == 0 or len(units) == 0:
            return units[:0], units
        member = self.draw.random(len(units)) < self.p.coop_share
        return units[member], units[~member]

    def choose(self, units: np.ndarray, attrs: dict[str, np.ndarray], coop_members: np.ndarray | None) -> None:
        """Replace, in ``attrs``, the applicants of social units by those the rule selects."""
        model = self.model
        members = np.isin(units, coop_members) if coop_members is not None else np.zeros(len(units), bool)
        queue = self.social[model.space.unit_tenure[units]] & ~members
        for mask, selection in ((queue, self.p.rule), (members, "coop_members")):
            idx = np.flatnonzero(mask)
            if len(idx) == 0:
                continue
            chosen = applicants(model, self.draw, units[idx], selection, self.p,
                                pool=model.waiting_list + len(idx))
            for k, v in chosen.items():
                attrs[k][idx] = v
            self.count(len(idx), selection)

    def count(self, n: int, selection: str, first: bool = False) -> None:
        """``n`` lettings made this week by ``selection`` (``first``: first lettings of new or regenerated units)."""
        week = self.model.week
        self.lettings = [w for w in self.lettings if w > week - 52] + [week] * n
        if selection == "coop_members":
            self.let_to_members += n
        else:
            self.let_from_list += n
        self.first_lettings += n if first else 0

    def summary(self) -> dict[str, float]:
        return {"let_from_list": self.let_from_list, "let_to_members": self.let_to_members,
                "first_lettings": self.first_lettings}

    def yearly_cost(self) -> float:
        """Assessment cost of the allocations of the last 52 weeks, annualised."""
        week = self.model.week
        recent = sum(1 for w in self.lettings if w > week - 52)
        return self.p.cost_per_letting * recent * 52.0 / max(1, min(52, week))

    def costs(self) -> list[CostRow]:
        """The assessments of this week's allocations."""
        week = self.model.week
        made = sum(1 for w in self.lettings if w == week)
        return [CostRow(self.p.payer, "running", self.p.cost_per_letting * made)] if made else []
