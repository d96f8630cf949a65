"""Needs and help: ties are asked first, services have limited capacity, help builds trust and ledgers."""

import numpy as np

from abm.submodels.help import MET_NEIGHBOUR, PENDING, Needs
from conftest import make_model, mean_indicator


def test_more_formal_care_capacity_lowers_unmet_needs():
    low = mean_indicator("needs_unmet_share", "services.formal.0.hours_per_100_households=0", seeds=range(5), weeks=26)
    high = mean_indicator("needs_unmet_share", "services.formal.0.hours_per_100_households=40", seeds=range(5), weeks=26)
    assert high < low - 0.05


def test_without_asking_ties_no_need_is_met_by_neighbours():
    assert mean_indicator("needs_met_neighbours_share", "help.max_asks=0", seeds=range(2), weeks=8) == 0.0
    assert mean_indicator("needs_met_neighbours_share", seeds=range(2), weeks=8) > 0.0


def test_more_willing_neighbours_meet_more_needs():
    """Willingness multiplies every tie's probability of agreeing (7.5): at 0.9 instead of 0.2 each ask is 4.5
    times as likely to succeed (before the clip at 1), so neighbours meet more than twice as many needs."""
    low = mean_indicator("needs_met_neighbours_share", "help.willingness=0.2", seeds=range(4), weeks=26)
    high = mean_indicator("needs_met_neighbours_share", "help.willingness=0.9", seeds=range(4), weeks=26)
    assert high > 2 * low > 0


def test_a_helper_never_gives_more_hours_than_it_has():
    m = make_model(seed=4, collect=False)
    m.households.help_hours[:] = 1.0  # one hour each (newcomers bring their own): a care need (3 h) won't fit
    total = 0.0
    for _ in range(10):
        m.step()
        needs = m.last_needs
        met = needs.outcome == MET_NEIGHBOUR
        given = np.bincount(needs.helper[met], weights=needs.hours[met], minlength=m.space.n_units)
        # households that moved in since bring their own help hours
        hours = m.households.help_hours
        assert (given <= hours + 1e-9).all()
        assert not (met & (needs.hours > hours[needs.helper])).any()
        old = m.households.moved_in <= 0
        assert not (met & old[needs.helper] & (needs.hours > 1.0)).any()
        total += given.sum()
    assert total > 0  # the checks above were exercised


def test_help_writes_the_reciprocity_ledger_and_raises_trust():
    m = make_model(seed=5, collect=False)
    t = m.ties
    e = int(np.argmax(t.strength))
    a, b = int(t.u[e]), int(t.v[e])
    m.help.free_hours[:] = 10.0
    needs = Needs(np.array([a]), np.array([2]), np.array([1.0]))
    trust_before = m.households.trust[a]
    given_before, owed_before = t.given_vu[e], t.balance(np.array([e]), np.array([a]))[0]  # the spin-up's help
    m.help.try_helpers(m, needs, np.array([0]), np.array([b]), np.array([e]), channel=0, willing=np.array([1.0]))
    assert needs.outcome[0] == MET_NEIGHBOUR and needs.outcome[0] != PENDING
    m.help.settle(m, needs)
    e2 = t.find(np.array([a]), np.array([b]))[0]
    assert t.given_vu[e2] == given_before + 1.0 and t.last_help_vu[e2] == m.week
    assert t.balance(np.array([e2]), np.array([a]))[0] == owed_before + 1.0  # a received one more hour from b
    assert m.households.trust[a] > trust_before
