"""Moving: rent burden, dissatisfaction and conflict drive turnover; vacancies are re-let after a delay."""

import numpy as np

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
    m = make_model("moving.waiting_inflow_per_week=0", "neighbourhood.initial_waiting_list=0", seed=2)
    for _ in range(52):
        m.step()
    assert m.waiting_list == 0
    # nobody can move into ERP units without applicants: occupancy only falls
    df = m.datacollector.get_model_vars_dataframe()
    occ = df["occupancy_share"].to_numpy()
    assert (np.diff(occ) <= 1e-12).all() and occ[-1] < occ[0]
