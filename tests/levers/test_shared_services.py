"""Shared services: spaces go through the core encounters mechanism and raise ties; a visit is not
participation; spaces cost what they are declared to cost; an unmanaged crowded space raises conflicts; bad
inputs fail early."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from levers.housing_runs import assert_same_as_baseline, check_bad_value, config, indicator, run, runs

from abm.config import compose
from abm.errors import ConfigError
from abm.levers.funding import annuity
from abm.levers.shared_services import ServiceSpaceSpec
from abm.model import NeighbourhoodModel

STEPS = 52


@pytest.fixture(scope="module")
def paired():
    return runs(config(), STEPS), runs(config("policy=shared_services"), STEPS)


def test_shared_services_raise_ties(paired):
    base, lever = paired
    diff = indicator(lever, "ties_mean") - indicator(base, "ties_mean")
    assert diff.mean() > 0 and (diff > 0).sum() >= 8, diff


def test_a_visit_is_not_participation():
    # without residents' own activities and without a cooperative nothing is a collective activity: visits to
    # the lever's spaces (none self-managed by default) mark nobody as taking part
    cfg = config("policy=shared_services", "participation.initiative=0")
    for m in runs(cfg, 26, seeds=range(3)):
        assert (m.encounters.visited >= len(cfg.neighbourhood.shared_spaces)).any()  # its spaces were used
        assert (m.households.last_participation < 0).all()


def test_cost_is_counted_by_lever_and_payer(paired):
    base, lever = paired
    spaces = config("policy=shared_services").policy.shared_services.spaces
    expected = sum(s.running_cost_year + annuity(s.setup_cost, 0.03, s.setup_years) for s in spaces)
    for m in lever:
        ind = m.indicators()
        assert ind["cost_year_shared_services"] == pytest.approx(expected)
        assert ind["cost_year_total"] == pytest.approx(expected)
        assert m.costs_by_payer()["municipality"] == pytest.approx(expected)
    assert all(m.indicators()["cost_year_total"] == 0.0 for m in base)


def test_lever_spaces_go_through_the_core_encounters():
    cfg = config("policy=shared_services")
    m = run(cfg, 1, 4)
    n_core = len(cfg.neighbourhood.shared_spaces)
    assert len(m.space.spaces) == n_core + len(cfg.policy.shared_services.spaces)
    assert len(m.encounters.crowding) == len(m.space.managed) == len(m.space.spaces)
    lever_idx = [s.index for s in m.space.spaces[n_core:]]
    assert np.isin(m.encounters.visited, lever_idx).any()
    assert list(m.space.managed[n_core:]) == [s.manager != "none" for s in cfg.policy.shared_services.spaces]


def _laundry(manager: str) -> ServiceSpaceSpec:
    return ServiceSpaceSpec(name="lavanderia", kind="laundry", capacity=2, sessions_per_week=3,
                            use_probability=0.6, manager=manager, volunteer_probability=0.0)


def test_unmanaged_crowded_space_raises_conflicts_against_a_managed_one():
    totals = {}
    for manager in ("none", "municipality"):
        cfg = config("policy=shared_services")
        cfg.policy.shared_services.spaces = [_laundry(manager)]
        # 78 weeks: the crowded space adds conflicts every week, so the paired difference grows with the horizon
        # and its noise with the square root (39 weeks were enough before issue 13's baseline: 7 of 10 now)
        totals[manager] = np.array([m.totals["conflicts_new"] for m in runs(cfg, 78)])
    m = run(cfg, 0, 2)
    assert m.encounters.crowding[-1] > 1.0  # the space is crowded
    diff = totals["none"] - totals["municipality"]
    assert diff.mean() > 0 and (diff > 0).sum() >= 8, diff


def test_self_managed_space_recruits_volunteers():
    # no other volunteering: no cooperative tasks, no residents' own activities (organising one is volunteering)
    cfg = compose(["neighbourhood=coop_housing", "spinup=short", "policy=shared_services",
                   "cooperative.volunteering=0", "participation.initiative=0"])
    for s in cfg.policy.shared_services.spaces:
        s.manager, s.volunteer_probability = "residents_coop", 0.3
    off = compose(["neighbourhood=coop_housing", "spinup=short", "cooperative.volunteering=0",
                   "participation.initiative=0"])
    on_v = indicator(runs(cfg, 26, seeds=range(3)), "volunteers_share")
    off_v = indicator(runs(off, 26, seeds=range(3)), "volunteers_share")
    assert (on_v > off_v).all() and off_v.max() == 0.0


def test_switched_off_changes_nothing():
    assert_same_as_baseline(5, "policy.shared_services.enabled=false",
                            "policy.shared_services.spaces.0.capacity=3",
                            "policy.shared_services.payer=foundations")


@pytest.mark.parametrize("dotted, value, key", [
    ("policy.shared_services.spaces.0.building", "Z", "policy.shared_services.spaces[0].building"),
    ("policy.shared_services.spaces.1.manager", "portierato", "policy.shared_services.spaces[1].manager"),
    ("policy.shared_services.spaces.2.manager", "community_coop", "policy.shared_services.spaces[2].manager"),
    ("policy.shared_services.spaces.0.manager", "residents_coop", "policy.shared_services.spaces[0].manager"),
    ("policy.shared_services.spaces.0.capacity", 0, "policy.shared_services.spaces[0].capacity"),
    ("policy.shared_services.spaces.0.running_cost_year", -5, "policy.shared_services.spaces[0].running_cost_year"),
    ("policy.shared_services.spaces.0.use_probability", 1.5, "policy.shared_services.spaces[0].use_probability"),
    ("policy.shared_services.spaces.3.name", "orto", "policy.shared_services.spaces"),
    ("policy.shared_services.payer", "bank", "policy.shared_services.payer"),
])
def test_bad_input_names_the_key(dotted, value, key):
    check_bad_value("shared_services", dotted, value, key)


def test_bad_input_on_the_command_line_fails_at_composition():
    with pytest.raises(ConfigError) as e:
        compose(["policy=shared_services", "policy.shared_services.spaces.0.building=Z"])
    assert e.value.key == "policy.shared_services.spaces[0].building"


def test_residents_coop_manager_is_fine_where_there_is_a_cooperative():
    cfg = compose(["neighbourhood=coop_housing", "policy=shared_services",
                   "policy.shared_services.spaces.0.manager=residents_coop"])
    assert cfg.policy.shared_services.spaces[0].manager == "residents_coop"


def test_unknown_building_from_a_buildings_csv_fails_in_the_builder(tmp_path):
    csv = tmp_path / "buildings.csv"
    csv.write_text("building,tenure,stairwells,floors,units_per_landing\nX,erp,1,3,2\n")
    cfg = compose(["policy=shared_services", f"neighbourhood.buildings_csv={csv}", "neighbourhood.shared_spaces=[]",
                   "policy.shared_services.spaces.1.building=A"])
    with pytest.raises(ConfigError) as e:
        NeighbourhoodModel(config=copy.deepcopy(cfg))
    assert e.value.key == "policy.shared_services.spaces[1].building" and e.value.value == "A"
    cfg.policy.shared_services.spaces[1].building = "X"
    assert NeighbourhoodModel(config=cfg, collect=False).space.spaces[-3].eligible.tolist() == list(range(6))
