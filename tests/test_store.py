"""The per-unit store (abm/store.py): declared columns grow, reset or stay with the unit, households keep an
id; and a vacated unit is reused by a household that inherits nothing of the previous one."""

from __future__ import annotations

import numpy as np
import pytest

from abm.levers.common import find_lever
from abm.population import ATTRIBUTES
from abm.store import KEEP, RESET, Column, UnitStore
from abm.ties import NEVER
from conftest import make_model


def test_columns_grow_reset_and_keep():
    store = UnitStore(3)
    heard = []
    store.on_grow(heard.append)
    g = store.declare("lever", visits=Column(np.int64, NEVER), relet=Column(np.int64, -1, KEEP))
    hid = store.arrive(np.array([0, 2]))
    g.visits[[0, 2]] = 7
    g.relet[[0, 2]] = 9
    store.vacate(np.array([2]))
    assert g.visits.tolist() == [7, NEVER, NEVER] and g.relet.tolist() == [9, -1, 9]
    assert store.occupied.tolist() == [True, False, False] and store.hid.tolist() == [hid[0], -1, -1]
    store.grow(5)
    assert heard == [5] and len(g.visits) == len(g.relet) == len(store.occupied) == 5
    assert g.visits[3:].tolist() == [NEVER, NEVER] and g.relet[3:].tolist() == [-1, -1]
    again = store.arrive(np.array([2, 4]))
    assert set(again).isdisjoint(hid)  # ids are never reused
    assert store.still_there(np.array([0, 2]), np.array([hid[0], hid[1]])).tolist() == [True, False]
    with pytest.raises(RuntimeError):
        store.arrive(np.array([0]))
    with pytest.raises(ValueError):
        store.declare("lever", visits=Column(np.int64, 0))


def test_a_vacated_unit_is_reused_by_a_household_that_inherits_nothing():
    """Membership (time bank, community cooperative), the porter's visit and outreach case, invitations to
    assemblies, ties with their ledger and balances: none passes to the next household in the unit."""
    m = make_model("policy=full_package", "policy.allocation.coop_share=0.3", seed=3)
    for _ in range(6):
        m.step()
    hh, week = m.households, m.week
    bank, coop = find_lever(m, "timebank"), find_lever(m, "community_coop")
    porter, governance = find_lever(m, "portierato"), find_lever(m, "coop_governance")
    u, other = (int(x) for x in np.flatnonzero(hh.occupied)[:2])
    assert porter.covered[u] and u in governance.body.units
    old = int(hh.hid[u])
    # the household in u is everything at once
    bank.join(np.array([u]))
    coop.join(np.array([u]))
    coop.unit.last_volunteered[u] = week
    porter.unit.visited_week[u] = week
    porter.outreach_queue = np.vstack([porter.outreach_queue, [u, old, week]])
    governance.body.invite(np.array([u]), 2.0)
    for cooperative in m.cooperatives:
        cooperative.invite(np.array([u]), 2.0)
    m.ties.add(np.array([u]), np.array([other]), 0.5, week)
    e = m.ties.find(np.array([u]), np.array([other]))
    m.ties.record_help(e, np.array([other]), np.array([3.0]), week)
    hh.volunteered(np.array([u]), week)
    bank.record(np.array([u]), np.array([other]), np.array([2.0]))
    assert bank.unit.balance[u] == -2.0 and bank.members.mask()[u] and coop.members.mask()[u]

    m.remove_households(np.array([u]))
    m.add_households(np.array([u]))
    assert hh.occupied[u] and hh.hid[u] != old
    assert not bank.members.mask()[u] and bank.unit.activity[u] == 0.0 and bank.unit.balance[u] == 0.0
    assert not coop.members.mask()[u] and coop.unit.last_volunteered[u] == NEVER
    assert porter.unit.visited_week[u] == NEVER
    assert not hh.still_there(porter.outreach_queue[-1:, 0], porter.outreach_queue[-1:, 1])[0]
    assert not governance.body.invited(np.array([u]), 0)[0]
    assert all(not c.invited(np.array([u]), 0)[0] for c in m.cooperatives)
    assert len(m.ties.neighbours(u)) == 0  # no tie, so no ledger
    assert hh.last_participation[u] == NEVER and hh.last_volunteer[u] == NEVER
    # and in general: every column a household leaves behind is back to its empty value (but what the newcomer
    # brings with it: its attributes, arrival week and cooperative membership)
    brought = (*ATTRIBUTES, "moved_in", "coop_member", "trust_anchor")
    for name, (group, col, spec) in hh.columns().items():
        if spec.on_vacate == RESET and not (group is hh and col in brought):
            assert getattr(group, col)[u] == spec.empty, name
    # the next weeks run on
    for _ in range(3):
        m.step()
