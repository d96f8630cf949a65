"""ERS fund: new buildings grow every per-unit array consistently (model.add_building), are let from the
waiting list and the market, create units, lower the waiting list and are paid for, and are covered by the
levers that cover every building; bad inputs fail early."""

from __future__ import annotations

import numpy as np
import pytest
from levers.housing_runs import assert_same_as_baseline, check_bad_value, config, indicator, run, runs
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.config import compose
from abm.errors import ConfigError
from abm.levers.common import find_lever
from abm.levers.funding import annuity
from abm.space import BuildingSpec
from abm.submodels.help import BROKERED
from abm.ties import NEVER
from abm.vocabulary import TENURE_CODE

STEPS = 52
FUND = ("policy=ers_fund", "policy.ers_fund.delay_weeks=13")


@pytest.fixture(scope="module")
def paired():
    return runs(config(), STEPS), runs(config(*FUND), STEPS)


def test_ers_fund_creates_units_and_lowers_the_waiting_list(paired):
    base, lever = paired
    assert (indicator(base, "units_created") == 0).all()
    assert (indicator(lever, "units_created") == 16).all()
    diff = indicator(lever, "waiting_list") - indicator(base, "waiting_list")
    assert diff.mean() < 0 and (diff < 0).sum() >= 8, diff
    for m in lever:
        new = np.flatnonzero(m.space.unit_building == m.space.building_index["ERS_nuovo"])
        assert len(new) == 16 and m.space.n_units == 240 + 16
        assert (m.space.unit_tenure[new] == TENURE_CODE["ers"]).all()
        assert m.households.occupied[new].sum() >= 12  # let at once (a few may have moved out since)


def test_first_lettings_split_between_waiting_list_and_market():
    m = run(config(*FUND), 3, 12)  # the week before delivery
    assert m.space.n_units == 240
    waiting = m.waiting_list
    m.week += 1  # week 13: the lever's organise hook delivers the building
    m.levers.do("organise")
    new = np.arange(240, 256)
    assert m.space.n_units == 256 and m.households.occupied[new].all()
    assert waiting - m.waiting_list == 8  # half from the waiting list, half from the market
    assert (m.households.moved_in[new] == 13).all()


def test_cost_while_building_and_by_payer():
    cfg = config("policy=ers_fund", "policy.ers_fund.delay_weeks=26", "policy.ers_fund.cost_per_unit=150000")
    m = run(cfg, 1, 20)
    # 16 units x 150k spread over 26 weeks: spending at 2 x 2.4M a year while the works run
    expected = 16 * 150000.0 * 52 / 26
    assert m.indicators()["cost_year_ers_fund"] == pytest.approx(expected)
    assert m.costs_by_payer()["ers_fund"] == pytest.approx(expected)
    assert m.indicators()["cost_year_total"] == pytest.approx(expected)
    m2 = run(config("policy=ers_fund", "policy.ers_fund.delay_weeks=4", "policy.ers_fund.cost_mode=annuity"), 1, 10)
    assert m2.indicators()["cost_year_ers_fund"] == pytest.approx(16 * annuity(165000.0, 0.03, 30))


def test_several_buildings_on_schedule():
    cfg = config("policy=ers_fund", "policy.ers_fund.buildings=3", "policy.ers_fund.start_every_weeks=10",
                 "policy.ers_fund.delay_weeks=5")
    m = run(cfg, 2, 16)
    assert [b.name for b in m.space.buildings[-2:]] == ["ERS_nuovo_1", "ERS_nuovo_2"]
    assert m.space.units_created == 32
    m = run(cfg, 2, 25)
    assert m.space.units_created == 48 and m.space.buildings[-1].name == "ERS_nuovo_3"


def _check_invariants(m) -> None:
    nb, hh, ties = m.space, m.households, m.ties
    n = nb.n_units
    for arr in (nb.unit_building, nb.unit_tenure, nb.unit_m2, nb.habitable, nb.initially_vacant, hh.occupied,
                hh.htype, hh.trust, m.moving.relet_at, m.encounters.visited, m.help.free_hours):
        assert len(arr) == n
    assert nb.unit_xy.shape == (n, 2) and ties.n_slots == n and hh.n == n
    # one household per unit, each with its own agent
    occ = np.flatnonzero(hh.occupied)
    assert sorted(m.residents) == occ.tolist()
    assert len(set(hh.hid[occ].tolist())) == len(occ) and (hh.hid[~hh.occupied] == -1).all()
    for owner, (group, name, _) in hh.columns().items():  # every declared column grew with the estate
        assert len(getattr(group, name)) == n, owner
    # ties only among present households
    assert hh.occupied[ties.u].all() and hh.occupied[ties.v].all() and (ties.u < ties.v).all()
    # proximity groups: a landing is one floor of one stairwell of one building
    for groups, keys in ((nb.landing, (nb.unit_building, nb.unit_stairwell_local, nb.unit_floor)),
                         (nb.stairwell, (nb.unit_building, nb.unit_stairwell_local)), (nb.building, (nb.unit_building,))):
        assert groups.size.sum() == n
        for g in range(len(groups.size)):
            members = groups.members[groups.start[g]: groups.start[g] + groups.size[g]]
            for key in keys:
                assert len(np.unique(key[members])) == 1
    for space in nb.spaces:
        if space.open_to_all:
            assert len(space.eligible) == n
    expected = sum(b.stairwells * b.floors * b.units_per_landing for b in nb.buildings)
    assert n == expected


@settings(max_examples=6, deadline=None)
@given(stairwells=st.integers(1, 3), floors=st.integers(1, 6), per_landing=st.integers(1, 5),
       weeks_before=st.integers(0, 6), weeks_after=st.integers(0, 6))
def test_add_building_keeps_every_invariant(stairwells, floors, per_landing, weeks_before, weeks_after):
    m = run(config(), 11, weeks_before)
    before = {u: (int(m.households.htype[u]), int(m.space.unit_building[u]), int(m.space.unit_floor[u]))
              for u in np.flatnonzero(m.households.occupied)}
    n_ties = len(m.ties)
    new = m.add_building(BuildingSpec(name="NEW", tenure="ers", stairwells=stairwells, floors=floors,
                                      units_per_landing=per_landing))
    assert new.tolist() == list(range(240, 240 + stairwells * floors * per_landing))
    assert not m.households.occupied[new].any() and m.space.habitable[new].all()
    assert len(m.ties) == n_ties
    assert all((int(m.households.htype[u]), int(m.space.unit_building[u]), int(m.space.unit_floor[u])) == v
               for u, v in before.items())
    _check_invariants(m)
    m.add_households(new[::2])
    for _ in range(weeks_after):
        m.step()
    _check_invariants(m)


def _reach_of_levers_in_new_building(*overrides: str, seed: int, weeks: int = 40) -> dict[str, int]:
    """full_package with the ERS building delivered at week 4: what the portierato and supported
    self-management cover and do among the new units by the end of the run."""
    m = run(config("policy=full_package", "policy.ers_fund.delay_weeks=4", *overrides), seed, 0)
    porter, governance = find_lever(m, "portierato"), find_lever(m, "coop_governance")
    brokered, invited = 0, np.zeros(0, dtype=np.int64)
    for _ in range(weeks):
        m.step()
        new = np.arange(240, m.space.n_units)
        needs = m.last_needs
        brokered += int(np.isin(needs.requester[needs.channel == BROKERED], new).sum())
        invited = np.union1d(invited, new[governance.body.invited(new, 0)])
    new = np.arange(240, m.space.n_units)
    return {"units": len(new), "porter_covers": int(porter.covered[new].sum()),
            "visited": int((porter.unit.visited_week[new] > NEVER).sum()), "brokered": brokered,
            "self_management_covers": int(np.isin(new, governance.body.units).sum()),
            "members": int(np.isin(new, governance.body.members()).sum()), "invited": len(invited)}


@pytest.mark.parametrize("seed", range(3))
def test_levers_covering_every_building_cover_the_new_building(seed):
    every = _reach_of_levers_in_new_building(seed=seed)
    assert every["units"] == every["porter_covers"] == every["self_management_covers"] == 16
    # measured (seeds 0, 1, 2): visited 9, 6, 9; members 16, 16, 13; invited 12, 12, 11.  Brokering is not
    # required here: since issue 13 a neighbour without a tie rarely agrees to help (help.strength_floor), so
    # in 40 weeks the porter may broker nothing among 16 new units (0 in seeds 1 and 2)
    for key in ("visited", "members", "invited"):
        assert every[key] > 0, every
    listed = _reach_of_levers_in_new_building("policy.portierato.buildings=[A,B,C,D]",
                                              "policy.coop_governance.buildings=[A,B,C,D]", seed=seed)
    assert listed["units"] == 16
    assert all(v == 0 for k, v in listed.items() if k != "units"), listed


def test_add_building_rejects_a_taken_name():
    m = run(config(), 1, 0)
    with pytest.raises(ConfigError):
        m.add_building(BuildingSpec(name="A", tenure="ers"))


def test_switched_off_changes_nothing():
    assert_same_as_baseline(8, "policy.ers_fund.enabled=false",
                            "policy.ers_fund.delay_weeks=1",
                            "policy.ers_fund.buildings=4")


@pytest.mark.parametrize("dotted, value, key", [
    ("policy.ers_fund.cost_per_unit", -1, "policy.ers_fund.cost_per_unit"),
    ("policy.ers_fund.delay_weeks", -3, "policy.ers_fund.delay_weeks"),
    ("policy.ers_fund.buildings", -1, "policy.ers_fund.buildings"),
    ("policy.ers_fund.building.tenure", "private", "policy.ers_fund.building.tenure"),
    ("policy.ers_fund.building.unusable_units", 2, "policy.ers_fund.building.unusable_units"),
    ("policy.ers_fund.building.name", "A", "policy.ers_fund.building.name"),
    ("policy.ers_fund.waiting_list_share", 2, "policy.ers_fund.waiting_list_share"),
    ("policy.ers_fund.payer", "bank", "policy.ers_fund.payer"),
])
def test_bad_input_names_the_key(dotted, value, key):
    check_bad_value("ers_fund", dotted, value, key)


def test_bad_input_on_the_command_line_fails_at_composition():
    with pytest.raises(ConfigError) as e:
        compose(["policy=ers_fund", "policy.ers_fund.cost_per_unit=-1"])
    assert e.value.key == "policy.ers_fund.cost_per_unit"
