"""A week's encounters are met in one batch, which behaves as one call per occasion (level, shared space)."""

from __future__ import annotations

import numpy as np
import pytest

from abm.config import compose
from abm.model import NeighbourhoodModel


def quiet_model(**encounters):
    overrides = ["spinup.min_weeks=0", "spinup.max_weeks=0", *(f"encounters.{k}={v}" for k, v in encounters.items())]
    return NeighbourhoodModel(config=compose(overrides), collect=False)


def test_a_batch_of_occasions_is_met_as_one_call_per_occasion():
    m = quiet_model(tie_formation=1.0)
    hh, p = m.households, m.config.encounters
    hh.trust[:] = 1.0   # formation probability >= 1: the first encounter of a pair forms its tie
    a, b, c = np.flatnonzero(hh.occupied)[:3]
    m.week = 3
    m.ties.keep(np.zeros(len(m.ties), dtype=bool))
    m.encounters.meet(m, np.array([a, b, a, a, c, b]), np.array([b, a, b, a, a, a]),
                      occasion=np.array([0, 0, 1, 1, 1, 1]))
    ab = m.ties.find(np.array([a]), np.array([b]))[0]
    ac = m.ties.find(np.array([a]), np.array([c]))[0]
    assert ab >= 0 and ac >= 0 and len(m.ties) == 2
    # (a, b) formed on occasion 0, where its second encounter found no tie yet (ties are looked up once per
    # occasion); on occasion 1 both of its encounters are contacts; (a, a) is no encounter
    s0, g = p.initial_strength, p.contact_gain
    assert m.ties.strength[ab] == pytest.approx(1.0 - (1.0 - s0) * (1.0 - g) ** 2)
    assert m.ties.strength[ac] == pytest.approx(s0)
    assert m.ties.born[ab] == 3 and m.ties.last_contact[ab] == 3


def test_one_occasion_forms_a_tie_once_without_contacts():
    m = quiet_model(tie_formation=1.0)
    hh = m.households
    hh.trust[:] = 1.0
    a, b = np.flatnonzero(hh.occupied)[:2]
    m.ties.keep(np.zeros(len(m.ties), dtype=bool))
    m.encounters.meet(m, np.array([a, b, a]), np.array([b, a, b]))
    assert len(m.ties) == 1 and m.ties.strength[0] == pytest.approx(m.config.encounters.initial_strength)
    m.encounters.meet(m, np.array([a, b]), np.array([b, a]))   # the next call: two contacts
    s0, g = m.config.encounters.initial_strength, m.config.encounters.contact_gain
    assert m.ties.strength[0] == pytest.approx(1.0 - (1.0 - s0) * (1.0 - g) ** 2)


def test_shared_spaces_respect_capacity_and_record_visits():
    m = NeighbourhoodModel(config=compose(["neighbourhood=city_district", "neighbourhood.households=2000",
                                           "spinup.min_weeks=0", "spinup.max_weeks=0"]), collect=False)
    enc, nb = m.encounters, m.space
    for s in nb.spaces:      # crowd them: everyone wants to come, few fit
        s.spec.use_probability = 0.0 if s.spec.name == "casa_di_quartiere" else 1.0
    m.households.participation[:] = 1.0
    m.households.fragility[:] = 0.0    # nobody is kept indoors
    a, b, where = enc.shared_space_pairs(m)
    cap = np.array([s.weekly_capacity for s in nb.spaces])
    demand = np.array([m.households.occupied[s.eligible].sum() for s in nb.spaces])
    demand[[i for i, s in enumerate(nb.spaces) if s.spec.name == "casa_di_quartiere"]] = 0
    assert np.allclose(enc.crowding, demand / cap)
    # nobody beyond capacity got in (a unit's recorded space is the last one, in list order, it visited)
    admitted = np.bincount(enc.visited[enc.visited >= 0], minlength=len(cap))
    assert np.all(admitted <= cap) and admitted.sum() > 0
    # a courtyard whose block has no other space: exactly min(capacity, demand) got in
    others = np.zeros(nb.n_units, dtype=bool)
    for s in nb.spaces:
        if s.spec.kind in ("common_room", "laundry") and s.spec.name != "casa_di_quartiere":
            others[s.eligible] = True
    alone = [i for i, s in enumerate(nb.spaces) if s.spec.kind == "courtyard" and not others[s.eligible].any()]
    assert alone and all(admitted[i] == min(cap[i], demand[i]) for i in alone)
    # without the district-wide space, partners always share a courtyard block (and meet someone)
    block = np.full(nb.n_units, -1)
    for i, s in enumerate(nb.spaces):
        if s.spec.kind == "courtyard":
            block[s.eligible] = i
    assert len(a) == len(b) == len(where) > 0
    assert np.all(block[a] == block[b])
    assert np.all(np.diff(where) >= 0)   # occasions in list order
    for i in np.unique(where):
        assert np.isin(a[where == i], nb.spaces[i].eligible).all() and np.isin(b[where == i], nb.spaces[i].eligible).all()


def test_meet_in_sessions_pairs_stay_within_sessions():
    m = quiet_model()
    people = np.flatnonzero(m.households.occupied)[:40]
    a, b, _ = m.encounters.session_pairs(people, np.zeros(40, dtype=np.int64), np.arange(40), np.array([4]), 3)
    assert len(a) == 120
    rank = {int(x): i for i, x in enumerate(people)}
    assert all(rank[int(x)] % 4 == rank[int(y)] % 4 for x, y in zip(a, b))
    # fewer than two people, no partners or no sessions: nobody meets
    for args in ((people[:1], 3, 3), (people, 0, 3), (people, 3, 0)):
        x, y, _ = m.encounters.session_pairs(args[0], np.zeros(len(args[0]), dtype=np.int64),
                                          np.arange(len(args[0])), np.array([args[1]]), args[2])
        assert len(x) == 0
