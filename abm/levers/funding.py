"""Funding: who pays for a lever, and how capital costs become a yearly cost.

Every lever has a ``payer`` (one of :data:`abm.vocabulary.PAYERS`) and reports ``yearly_cost()``, EUR per
year at the current rate; :meth:`abm.model.NeighbourhoodModel.costs_by_payer` adds them up by payer.
``sieg`` means that the cost is borne by an operator (ACER, an ERS manager, a cooperative) and compensated
by the public authority as a public-service obligation under the EU rules on services of general economic
interest (SIEG/SGEI, social housing being one): the money is public, but it is paid as compensation of a
defined service, not as a grant.  The model does not treat it differently; it keeps it apart in the
costs by payer so that scenarios can compare funding models.

Capital (set-up costs of shared spaces, regeneration works, new buildings) is counted in one of two ways
(``cost_mode`` of the lever):

- ``outlay``: the money spent on works over the trailing 52 weeks (fewer at the start of a run, then
  annualised): each unit's cost is spread evenly over its weeks of works.  A programme of ``u`` units a
  year at ``c`` EUR a unit costs ``u x c`` a year while it runs, and nothing a year after its last works.
- ``annuity``: each finished unit costs the constant yearly instalment of a loan of its capital over
  ``annuity_years`` at ``policy.funding.interest_rate`` (from delivery, for those years): comparable with
  running costs, as in a cost-effectiveness analysis.

Set-up costs of shared spaces are always annualised (``annuity`` over the space's ``setup_years``).

Both are ways of showing a yearly rate (the ``cost_year_*`` indicators).  What was spent week by week, over
the whole run, is each lever's :meth:`~abm.levers.base.Lever.costs` (written to ``costs.parquet``): capital
as it is spent on the works (:func:`outlay_this_week`), whatever the ``cost_mode``, with the asset it creates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from abm.levers.base import CostRow
from abm.params import param

COST_MODES = ("outlay", "annuity")


@dataclass
class FundingParams:
    """How capital costs are annualised (shared by every lever)."""

    #: annual interest rate of the loans that finance capital costs (annuity mode, shared-space set-up)
    interest_rate: float = param(0.03, lo=0.0, hi=0.5)


def annuity(capital: float, rate: float, years: int) -> float:
    """The constant yearly instalment that repays ``capital`` over ``years`` at interest ``rate``."""
    if capital == 0.0:
        return 0.0
    if rate * years < 1e-12:  # no interest, or too little to change the instalment by 1e-12: straight line
        return capital / years
    # 1 - (1 + rate)^-years, accurate for rates near 0 too
    return capital * rate / -math.expm1(-years * math.log1p(rate))


def outlay_per_year(cost: np.ndarray | float, start: np.ndarray, weeks: int, now: int) -> float:
    """Money spent over the trailing year (weeks ``now-51 .. now``, fewer at the start), annualised, on works
    that cost ``cost`` each and are spread evenly over ``weeks`` from their ``start`` week."""
    weeks = max(int(weeks), 1)
    lo = max(0, now - 51)
    span = now - lo + 1
    start = np.asarray(start)
    overlap = np.clip(np.minimum(start + weeks - 1, now) - np.maximum(start, lo) + 1, 0, None)
    return float(np.sum(np.asarray(cost) * overlap / weeks) * 52.0 / span)


def outlay_this_week(cost: np.ndarray | float, start: np.ndarray, weeks: int, now: int) -> np.ndarray:
    """Money spent in week ``now`` on each of the works of :func:`outlay_per_year` (the same spreading: ``cost``
    evenly over ``weeks`` from its ``start``, all of it in its start week when ``weeks`` is 0)."""
    weeks = max(int(weeks), 1)
    start = np.asarray(start)
    under_way = (start <= now) & (now <= start + weeks - 1)
    return np.where(under_way, np.asarray(cost, dtype=float) / weeks, 0.0)


def capital_rows(payer: str, asset: str, cost: np.ndarray | float, start: np.ndarray, delay_weeks: int,
                 now: int) -> list[CostRow]:
    """This week's capital outlay on works started at ``start`` (see :func:`outlay_this_week`), one
    :class:`CostRow` per week in which the works enter service (``start + delay_weeks``)."""
    start = np.asarray(start, dtype=np.int64)
    spent = outlay_this_week(cost, start, delay_weeks, now)
    service = start + delay_weeks
    return [CostRow(payer, "capital", float(spent[service == w].sum()), asset, int(w))
            for w in np.unique(service[spent > 0])]


def capital_per_year(mode: str, cost: float, start: np.ndarray, delivered: np.ndarray, delay_weeks: int,
                     annuity_years: int, interest_rate: float, now: int) -> float:
    """Yearly capital cost of works (units or buildings) costing ``cost`` each, started at ``start`` and lasting
    ``delay_weeks``: their trailing-year outlay, or the instalments of the ``delivered`` ones still being repaid."""
    if mode == "outlay":
        return outlay_per_year(cost, start, delay_weeks, now)
    repaying = delivered & (now - (start + delay_weeks) < 52 * annuity_years)
    return float(repaying.sum() * annuity(cost, interest_rate, annuity_years))
