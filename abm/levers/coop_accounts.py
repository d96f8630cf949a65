"""The community cooperative's economics (ODD 7.11.4): what it sells, its public contract, its grants and its
costs, week by week, and the rules by which a contract is awarded or renewed and a grant renewed.

The cooperative (abm/levers/community_coop.py) owns one :class:`Accounts`: each week it records what it
sold, whether it delivered its contract's work and its members; the accounts keep a 52-week ledger by
source and close each week into the budget.  Survival is an outcome of these parameters (price and demand
of its services, the contract's value, award and renewal, the grants' renewal, its costs), not of a
foregone arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.events import YEAR, per_year
from abm.levers.base import CostRow

#: the ledger's columns, EUR a week (income: fees, sales, contract, grant; costs: fixed, service, contract)
INCOME = ("fees", "sales", "contract", "grant")
COSTS = ("fixed_cost", "service_cost", "contract_cost")


@dataclass
class Week:
    """What the cooperative did in one week that its accounts need."""

    members: int
    hours_sold: float
    contract_delivered: bool


class Accounts:
    """Budget, a 52-week ledger by source, the public contract and the grants of a community cooperative."""

    def __init__(self, params, rng: np.random.Generator):
        self.p = params
        self.rng = rng
        self.budget = float(params.initial_capital)
        self.ledger = {k: np.zeros(YEAR) for k in (*INCOME, *COSTS)}
        self.hours_sold = np.zeros(YEAR)
        #: the public contract: held or not, and the weeks of the current term, delivered or not
        self.contract_held = False
        self.term_weeks = 0
        self.term_delivered = 0
        #: the last week covered by a grant (its first term: grant_years from week 1)
        self.grant_until = int(params.grant_years) * YEAR if params.grant_year > 0 else 0
        self.acts = dict.fromkeys(("contract_awards", "contract_renewals", "contract_losses", "contract_tenders_lost",
                                   "grant_renewals", "grant_ended"), 0)

    # --- rules of the contract and the grants (at the start of a week) --------------------------------------------
    def tender(self, week: int) -> None:
        """Every ``contract_years`` from week 1: a contract held is renewed if the share of its term's weeks in
        which the work was delivered reaches ``contract_min_delivery`` (otherwise lost); a cooperative without
        one wins the tender with probability ``contract_award``."""
        p = self.p
        term = int(p.contract_years) * YEAR
        if p.contract_value_year <= 0 or term <= 0 or (week - 1) % term != 0:
            return
        if self.contract_held:
            delivered = self.term_delivered / self.term_weeks if self.term_weeks else 0.0
            renewed = delivered >= p.contract_min_delivery
            self.contract_held = renewed
            self.acts["contract_renewals" if renewed else "contract_losses"] += 1
        elif self.rng.random() < p.contract_award:
            self.contract_held = True
            self.acts["contract_awards"] += 1
        else:
            self.acts["contract_tenders_lost"] += 1
        self.term_weeks = self.term_delivered = 0

    def renew_grant(self, week: int, members: int) -> None:
        """When a grant's term ends: renewed for ``grant_years`` with probability ``grant_renewal`` if the
        cooperative has at least ``grant_min_members`` members and sold at least ``grant_min_hours_year`` hours of
        service in the last 52 weeks; otherwise the grants end for good."""
        p = self.p
        if week != self.grant_until + 1 or self.grant_until == 0 or p.grant_years == 0:
            return
        eligible = members >= p.grant_min_members and self.hours_sold.sum() >= p.grant_min_hours_year
        if eligible and self.rng.random() < p.grant_renewal:
            self.grant_until += int(p.grant_years) * YEAR
            self.acts["grant_renewals"] += 1
        else:
            self.acts["grant_ended"] += 1

    def in_grant(self, week: int) -> bool:
        return 1 <= week <= self.grant_until

    # --- the week ------------------------------------------------------------------------------------------------
    def record(self, week: int, w: Week) -> None:
        """This week's income and costs by source (closed into the budget by :meth:`close`)."""
        p, row = self.p, week % YEAR
        paid = self.contract_held and w.contract_delivered
        entries = {
            "fees": w.members * p.member_fee_year / YEAR,
            "sales": w.hours_sold * p.price_per_hour,
            "contract": p.contract_value_year / YEAR if paid else 0.0,
            "grant": p.grant_year / YEAR if self.in_grant(week) else 0.0,
            "fixed_cost": p.fixed_cost_year / YEAR,
            "service_cost": w.hours_sold * p.cost_per_service_hour,
            "contract_cost": p.contract_cost_share * p.contract_value_year / YEAR if paid else 0.0,
        }
        for k, v in entries.items():
            self.ledger[k][row] = v
        self.hours_sold[row] = w.hours_sold
        if self.contract_held:
            self.term_weeks += 1
            self.term_delivered += int(w.contract_delivered)

    def close(self, week: int) -> float:
        """Week ``week``'s income less its costs into the budget; returns the budget."""
        row = week % YEAR
        self.budget += sum(self.ledger[k][row] for k in INCOME) - sum(self.ledger[k][row] for k in COSTS)
        return self.budget

    def end(self) -> None:
        """The cooperative failed: no contract, no grant, nothing recorded any more."""
        self.contract_held = False

    # --- cost to whom ---------------------------------------------------------------------------------------------
    def split(self, cost: float, residents: float, contract: float, payer: str, contract_payer: str) -> dict:
        """``cost`` by who pays it: residents (fees and purchases) first, then the contract's payer, the rest the
        cooperative's ``payer`` (its grants, or its own capital when they fall short)."""
        by_residents = min(residents, cost)
        by_contract = min(contract, cost - by_residents)
        out = {payer: cost - by_residents - by_contract}
        out["residents"] = out.get("residents", 0.0) + by_residents
        out[contract_payer] = out.get(contract_payer, 0.0) + by_contract
        return out

    def week_rows(self, week: int, payer: str, contract_payer: str) -> list[CostRow]:
        """What week ``week`` cost (its gross running cost) and who paid it."""
        row = week % YEAR
        cost = sum(self.ledger[k][row] for k in COSTS)
        residents = self.ledger["fees"][row] + self.ledger["sales"][row]
        split = self.split(cost, residents, self.ledger["contract"][row], payer, contract_payer)
        return [CostRow(who, "running", float(eur)) for who, eur in split.items() if eur]

    def yearly_cost(self, week: int) -> float:
        """Gross running cost at the current rate: the fixed cost, and the service and contract costs of the last
        52 weeks annualised."""
        variable = float(self.ledger["service_cost"].sum() + self.ledger["contract_cost"].sum())
        return self.p.fixed_cost_year + per_year(variable, week)

    def yearly_by_payer(self, week: int, payer: str, contract_payer: str) -> dict:
        residents = per_year(float(self.ledger["fees"].sum() + self.ledger["sales"].sum()), week)
        contract = per_year(float(self.ledger["contract"].sum()), week)
        return self.split(self.yearly_cost(week), residents, contract, payer, contract_payer)

    def summary(self) -> dict:
        return {**self.acts, "contract_held": self.contract_held, "grant_until_week": self.grant_until}
