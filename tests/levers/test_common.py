"""What staffed levers share (abm/levers/common.py): the service calendar.  A staffed lever works, and its
staff are paid, in the open weeks of its calendar only; over a year its weekly staff costs add up to its
yearly cost (open weeks x hours x hourly cost x (1 + overhead))."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abm.levers.common import StaffedParams, staff_cost_week, staff_cost_year, week_of_year
from levers.paired import model, refused_key

STAFFED = ("portierato", "mediation", "timebank", "coop_governance")


def test_week_of_year_cycles_from_the_first_week_of_a_run():
    assert [week_of_year(w) for w in (1, 2, 52, 53, 104, 105)] == [1, 2, 52, 1, 52, 1]


def test_open_weeks_follow_the_calendar_and_cost_by_hand():
    p = StaffedParams(hourly_cost=20.0, overhead_share=0.1, closed_weeks=[1, 2, 3])
    assert p.weeks_per_year == 49
    assert staff_cost_week(10.0, p) == pytest.approx(10 * 20 * 1.1)
    assert staff_cost_year(10.0, p) == pytest.approx(10 * 20 * 1.1 * 49)
    assert StaffedParams().weeks_per_year == 46  # the sourced 46 weeks a year (portierato costs)


@pytest.mark.parametrize("name", STAFFED)
def test_a_repeated_closed_week_is_refused(name):
    assert refused_key(f"policy={name}", f"policy.{name}.closed_weeks=[3,3]") == f"policy.{name}.closed_weeks"
    assert refused_key(f"policy={name}", f"policy.{name}.closed_weeks=[53]") == f"policy.{name}.closed_weeks[0]"


def _weeks(name: str, *overrides: str, weeks: int = 60, seed: int = 1):
    """Per week: the lever's acts (summed over its counters) and what it spent."""
    m = model(f"policy={name}", *overrides, seed=seed)
    lever = m.levers[0]
    acts, spent = [], []
    for _ in range(weeks):
        before = sum(v for k, v in lever.acts.items() if k not in ("joined", "dropped", "skipped_assemblies"))
        m.step()
        acts.append(sum(v for k, v in lever.acts.items() if k not in ("joined", "dropped", "skipped_assemblies"))
                    - before)
    costs = pd.DataFrame(m.datacollector.get_table_dataframe("costs"))
    spent = costs.groupby("step")["eur"].sum().reindex(range(1, weeks + 1), fill_value=0.0).to_numpy()
    return m, lever, np.array(acts), spent


@pytest.mark.parametrize("name", STAFFED)
def test_a_closed_week_has_no_staffed_work_and_no_staff_cost(name):
    closed = [5, 6, 7, 8, 30]
    m, lever, acts, spent = _weeks(name, f"policy.{name}.closed_weeks={closed}".replace(" ", ""))
    weeks = np.arange(1, len(acts) + 1)
    shut = np.isin((weeks - 1) % 52 + 1, closed)
    other = lever.other_costs_year() / 52.0 if name == "timebank" else 0.0  # its fixed cost runs all year
    staff = staff_cost_week(lever.staff_hours(), lever.p)
    assert spent[shut] == pytest.approx(np.full(shut.sum(), other))
    if name != "mediation":  # mediation's fees per case are 0 by default: its open weeks cost exactly a week of staff
        assert spent[~shut] == pytest.approx(np.full((~shut).sum(), staff + other))
    else:
        assert spent[~shut] == pytest.approx(np.full((~shut).sum(), staff))
    if name == "timebank":  # members go on exchanging among themselves; the facilitator's contacts and meetings stop
        assert lever.p.hours_per_week > 0
    else:
        assert (acts[shut] == 0).all() and acts[~shut].sum() > 0


def test_the_time_bank_facilitator_does_not_work_in_a_closed_week():
    m = model("policy=timebank", "policy.timebank.closed_weeks=[2,3,4,5,6,7,8]", seed=2, collect=False)
    lever = m.levers[0]
    m.step()
    contacts = lever.acts["contacts"]
    assert contacts > 0
    for _ in range(7):
        m.step()
    assert lever.acts["contacts"] == contacts and lever.acts["meetings"] == 0  # week 4 and 8 meetings: closed


@pytest.mark.parametrize("name", STAFFED)
def test_a_year_of_weekly_costs_is_the_yearly_cost(name):
    m, lever, _, spent = _weeks(name, weeks=104)
    assert spent[-52:].sum() == pytest.approx(lever.yearly_cost())
    assert lever.yearly_cost() == pytest.approx(staff_cost_year(lever.staff_hours(), lever.p) + lever.other_costs_year())
