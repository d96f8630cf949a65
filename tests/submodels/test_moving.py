"""Moving: rent burden, dissatisfaction and conflict drive turnover; vacancies are re-let after a delay."""

import numpy as np
import pytest

from conftest import make_model, mean_indicator


def test_higher_rent_burden_gives_more_turnover():
    base = mean_indicator("turnover_per_year", seeds=range(5), weeks=52, last=1)
    burdened = mean_indicator("turnover_per_year", "population=high_rent", seeds=range(5), weeks=52, last=1)
    assert burdened > 1.3 * base


def test_leaving_households_take_their_ties_and_units_are_relet_after_the_delay():
    m = make_model("moving.relet_delay_weeks.erp=3", seed=8, collect=False)
    t = m.ties
    slot = int(t.u[0])
    m.events.start_week(1)
    m.remove_households(np.array([slot]))
    m.moving.relet_at[slot] = m.week + 3
    assert not m.households.occupied[slot]
    assert not ((t.u == slot) | (t.v == slot)).any()
    assert slot not in m.residents
    m.moving.waiting_list = 5
    for _ in range(2):
        m.step()
        assert not m.households.occupied[slot] or m.households.moved_in[slot] >= 3
    for _ in range(3):
        m.step()
    assert m.households.occupied[slot]
    assert m.households.moved_in[slot] >= 3


def test_social_units_wait_for_the_waiting_list():
    # without applicants the spin-up cannot reach a steady occupancy: two years of it are enough here
    m = make_model("moving.waiting_inflow_per_unit_year=0", "neighbourhood.initial_waiting_list=0",
                   "spinup.min_weeks=104", "spinup.max_weeks=104", seed=2)
    for _ in range(52):
        m.step()
    assert m.waiting_list == 0
    # nobody can move into ERP units without applicants: occupancy only falls
    df = m.datacollector.get_model_vars_dataframe()
    occ = df["occupancy_share"].to_numpy()
    assert (np.diff(occ) <= 1e-12).all() and occ[-1] < occ[0]


def test_the_waiting_list_loses_applicants_at_the_dropout_rate_and_gains_them_per_social_unit():
    """update_list: list -= Binomial(list, weekly(dropout)); list += Poisson(inflow x social units / 52)."""
    from abm.population import weekly

    m = make_model("spinup=short", "moving.waiting_inflow_per_unit_year=0", "moving.waiting_dropout_annual=0.5",
                   seed=1, collect=False)
    m.moving.waiting_list = 10_000
    for _ in range(52):
        m.moving.update_list(m)
    assert abs(m.moving.waiting_list - 5_000) < 4 * np.sqrt(10_000 * 0.25)  # half left in a year
    m = make_model("spinup=short", "moving.waiting_inflow_per_unit_year=2.6", "moving.waiting_dropout_annual=0",
                   seed=1, collect=False)
    units = int((m.space.habitable & m.moving.social[m.space.unit_tenure]).sum())
    m.moving.waiting_list = 0
    for _ in range(100):
        m.moving.update_list(m)
    expected = 100 * 2.6 * units / 52  # 0.05 a week per unit
    assert abs(m.moving.waiting_list - expected) < 4 * np.sqrt(expected)
    assert weekly(0.5) == 1 - 0.5 ** (1 / 52)


@pytest.mark.slow
def test_erp_tenants_leave_less_often_than_private_renters():
    """P2: in mixed_regeneration (ERP, ERS and private buildings), over two years after the steady spin-up,
    seeds 0-2.  The sources give ERP 3.5-4 and private renters about 12 moves out per 100 households a year
    (docs/ODD.md 7.9): three times as often; twice is the margin left for the noise of ~150 household-years
    of private renters a seed."""
    left, present = 0, 0
    for seed in range(3):
        l, p = _moves_by_tenure(make_model("neighbourhood=mixed_regeneration", "spinup=default", seed=seed,
                                           collect=False), weeks=104)
        left, present = left + l, present + p
    rate = left / np.maximum(present, 1) * 52
    from abm.vocabulary import TENURE_CODE

    assert rate[TENURE_CODE["private"]] > 2 * rate[TENURE_CODE["erp"]], rate


def _moves_by_tenure(m, weeks: int):
    """Households that moved out and household-weeks present, by tenure, over ``weeks`` weeks of ``m``."""
    left = np.zeros(len(m.moving.base))
    present = np.zeros(len(m.moving.base))
    for _ in range(weeks):
        before = m.households.hid.copy()
        occupied = m.households.occupied.copy()
        m.step()
        tenure = m.space.unit_tenure[: len(before)]
        gone = occupied & (m.households.hid[: len(before)] != before)
        left += np.bincount(tenure[gone], minlength=len(left))
        present += np.bincount(tenure[occupied], minlength=len(left))
    return left, present
