"""The channels of help outside the neighbourhood (docs/ODD.md 7.5): relatives, paid help, the household's own
resources; their unit formulas by hand and the directions of their mechanisms."""

from __future__ import annotations

import numpy as np
import pytest

from abm.submodels.help import MET_KIN, MET_MARKET, MET_OWN, PENDING, UNMET, Needs
from abm.vocabulary import NEED_CATEGORIES, OUTCOMES
from conftest import make_model, mean_indicator

CARE, ERRANDS = NEED_CATEGORIES.index("care"), NEED_CATEGORIES.index("errands")


@pytest.fixture(scope="module")
def model():
    return make_model("spinup=short", seed=7, collect=False)


def _needs(requester: int, category: int, n: int) -> Needs:
    return Needs(np.full(n, requester), np.full(n, category), np.full(n, 1.0))


def test_relatives_meet_needs_with_the_category_probability_and_only_for_households_that_have_them(model):
    m = model
    occ = np.flatnonzero(m.households.occupied)
    with_kin, without = occ[m.households.kin[occ]][0], occ[~m.households.kin[occ]][0]
    n = 20_000
    needs = _needs(with_kin, CARE, n)
    m.help.ask_kin(m, needs)
    p = m.config.help.kin_help["care"]  # 0.3
    assert abs(np.mean(needs.outcome == MET_KIN) - p) < 4 * np.sqrt(p * (1 - p) / n)
    assert set(np.unique(needs.outcome)) <= {MET_KIN, PENDING}
    needs = _needs(without, CARE, 100)
    m.help.ask_kin(m, needs)
    assert (needs.outcome == PENDING).all()


def test_paid_help_then_own_resources_by_hand(model):
    """p_market = clip(market_help[c] x income / 1500, 0, 1); then p_own = clip(own_help[c] x (1 + 0.8 x (1 -
    2 x fragility)), 0, 1) of what is left."""
    m = model
    i = int(np.flatnonzero(m.households.occupied)[0])
    m.households.income[i] = 1000.0
    m.households.fragility[i] = 0.75
    n = 40_000
    needs = _needs(i, CARE, n)
    m.help.buy_or_cope(m, needs)
    p_market = 0.3 * 1000.0 / 1500.0                      # 0.2
    p_own = 0.2 * (1.0 + 0.8 * (1.0 - 2 * 0.75))          # 0.2 x 0.6 = 0.12
    got_market = np.mean(needs.outcome == MET_MARKET)
    got_own = np.mean(needs.outcome == MET_OWN)
    assert abs(got_market - p_market) < 4 * np.sqrt(p_market * (1 - p_market) / n)
    expected_own = (1 - p_market) * p_own
    assert abs(got_own - expected_own) < 4 * np.sqrt(expected_own * (1 - expected_own) / n)
    assert set(np.unique(needs.outcome)) == {MET_MARKET, MET_OWN, PENDING}
    needs.close()
    assert set(np.unique(needs.outcome)) == {MET_MARKET, MET_OWN, UNMET}


def test_needs_already_met_are_not_met_again(model):
    m = model
    i = int(np.flatnonzero(m.households.occupied)[0])
    needs = _needs(i, ERRANDS, 50)
    needs.serve(np.arange(25))
    m.help.buy_or_cope(m, needs)
    assert (needs.outcome[:25] == OUTCOMES.index("met_service")).all()


def test_richer_households_buy_more_help_and_frail_ones_cope_alone_less(model):
    m = model
    i = int(np.flatnonzero(m.households.occupied)[0])
    shares = {}
    for income, frag in ((800.0, 0.5), (3000.0, 0.5), (800.0, 0.1), (800.0, 0.9)):
        m.households.income[i], m.households.fragility[i] = income, frag
        needs = _needs(i, ERRANDS, 20_000)
        m.help.buy_or_cope(m, needs)
        shares[income, frag] = (np.mean(needs.outcome == MET_MARKET), np.mean(needs.outcome == MET_OWN))
    assert shares[3000.0, 0.5][0] > 2 * shares[800.0, 0.5][0]
    assert shares[800.0, 0.1][1] > shares[800.0, 0.5][1] > shares[800.0, 0.9][1]


def test_help_from_outside_the_neighbourhood_changes_no_tie_and_no_help_act(model):
    m = make_model("spinup=short", seed=8, collect=False)
    i = int(np.flatnonzero(m.households.occupied & m.households.kin)[0])
    ties_before = (m.ties.key.copy(), m.ties.strength.copy(), m.ties.given_uv.copy())
    trust = m.households.trust[i]
    m.events.start_week(1)
    needs = Needs(np.array([i, i, i]), np.array([CARE, CARE, CARE]), np.array([3.0, 3.0, 3.0]))
    needs.met_outside(np.array([0]), MET_KIN)
    needs.met_outside(np.array([1]), MET_MARKET)
    needs.met_outside(np.array([2]), MET_OWN)
    m.help.settle(m, needs)
    assert np.array_equal(m.ties.key, ties_before[0]) and np.array_equal(m.ties.strength, ties_before[1])
    assert np.array_equal(m.ties.given_uv, ties_before[2]) and m.households.trust[i] == trust
    assert m.events.total("help_acts", 1) == 0
    with pytest.raises(ValueError):
        needs.met_outside(np.array([0]), OUTCOMES.index("met_neighbour"))


def test_more_relatives_leave_fewer_needs_unmet_and_fewer_for_neighbours():
    """Relatives come first: with every household having them (kin_nearby 1 for all types), more needs are
    met by kin, fewer remain for neighbours and fewer are unmet than with none."""
    none = [f"population.kin_nearby.{t}=0" for t in ("elderly_alone", "elderly_couple", "family_children",
                                                    "single_parent", "single_adult", "young_sharers", "new_migrant")]
    every = [o.replace("=0", "=1") for o in none]
    kw = dict(seeds=range(3), weeks=26)
    assert mean_indicator("needs_met_kin_share", "spinup=short", *none, **kw) == 0.0
    kin = mean_indicator("needs_met_kin_share", "spinup=short", *every, **kw)
    assert kin > 0.15
    assert (mean_indicator("needs_unmet_share", "spinup=short", *every, **kw)
            < mean_indicator("needs_unmet_share", "spinup=short", *none, **kw) - 0.05)
    assert (mean_indicator("needs_met_neighbours_share", "spinup=short", *every, **kw)
            < mean_indicator("needs_met_neighbours_share", "spinup=short", *none, **kw))
