"""Conflict: low trust breeds disputes; unresolved ones erode trust and satisfaction."""

import numpy as np

from conftest import make_model, mean_indicator


def test_low_trust_estate_has_more_conflicts_than_high_trust():
    low = mean_indicator("conflicts_new_per_100_year", "population=low_trust", seeds=range(5), weeks=39)
    high = mean_indicator("conflicts_new_per_100_year", "population=high_trust", seeds=range(5), weeks=39)
    assert low > 1.5 * high


def test_crowded_unmanaged_space_breeds_more_conflict_than_managed():
    crowded = ("neighbourhood.shared_spaces.0.capacity=2", "neighbourhood.shared_spaces.0.use_probability=0.8")
    unmanaged = mean_indicator("conflicts_new_per_100_year", *crowded, seeds=range(5), weeks=26)
    managed = mean_indicator("conflicts_new_per_100_year", *crowded,
                             "neighbourhood.shared_spaces.0.manager=municipality", seeds=range(5), weeks=26)
    assert unmanaged > managed


def test_open_conflicts_erode_trust_and_satisfaction_of_parties():
    m = make_model(seed=3, collect=False)
    occ = np.flatnonzero(m.households.occupied)
    a, b = occ[:10], occ[10:20]
    m.conflict.p.resolve_rate = 0.0
    m.conflict.p.fade_rate = 0.0
    m.conflicts.open(a, b, 0)
    before_t, before_s = m.households.trust[a].copy(), m.households.satisfaction[a].copy()
    for _ in range(4):
        m.conflict.erode(m)
    assert (m.households.trust[a] < before_t).all()
    assert (m.households.satisfaction[a] < before_s).all()


def test_conflicts_end_when_a_party_moves_and_count_as_not_resolved():
    m = make_model(seed=3, collect=False)
    # households in no conflict from the spin-up
    occ = np.flatnonzero(m.households.occupied & (m.conflicts.open_per_slot(m.space.n_units) == 0))
    before = len(m.conflicts)
    m.conflicts.open(occ[:3], occ[3:6], 0)
    m.events.start_week(1)
    m.remove_households(occ[:1])
    assert len(m.conflicts) == before + 2
    assert m.events.total("conflicts_ended", 1) == 1 and m.events.total("conflicts_resolved", 1) == 0
