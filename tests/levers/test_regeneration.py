"""Regeneration: unusable units are restored on schedule and let by the rule; vacancies and the waiting list
fall, units are created, the works and the collaborative spaces are paid for; bad inputs fail early."""

from __future__ import annotations

import numpy as np
import pytest
from levers.housing_runs import assert_same_as_baseline, check_bad_value, config, indicator, newcomers, run, runs
from levers.paired import refused_key

from abm.config import compose
from abm.errors import ConfigError
from abm.levers.funding import annuity
from abm.vocabulary import TENURE_CODE

STEPS = 104
#: faster works so that the effect shows within two years
REGEN = ("policy=regeneration", "policy.regeneration.units_per_year=8", "policy.regeneration.delay_weeks=13")


@pytest.fixture(scope="module")
def paired():
    return runs(config(), STEPS), runs(config(*REGEN), STEPS)


def test_regeneration_lowers_vacancies_and_waiting_list_and_creates_units(paired):
    base, lever = paired
    created = indicator(lever, "units_created")
    assert (indicator(base, "units_created") == 0).all()
    assert (created >= 10).all()  # 8 a year started from week 7, 13 weeks of works
    for name in ("vacant_units", "waiting_list"):
        diff = indicator(lever, name) - indicator(base, name)
        assert diff.mean() < 0 and (diff < 0).sum() >= 8, (name, diff)
    # the regenerated units are habitable and let
    for m in lever:
        done = m.levers[0].units[m.levers[0].finished]
        assert m.space.habitable[done].all()
        assert int(m.space.habitable.sum()) - int((~m.space.habitable).sum()) >= 0


def test_cost_is_counted(paired):
    _, lever = paired
    for m in lever:
        ind = m.indicators()
        assert ind["cost_year_regeneration"] > 0
        assert ind["cost_year_total"] == pytest.approx(ind["cost_year_regeneration"])
        assert m.costs_by_payer()["acer"] == pytest.approx(ind["cost_year_regeneration"])


def test_outlay_is_units_per_year_times_cost_while_the_programme_runs():
    cfg = config("policy=regeneration", "policy.regeneration.units_per_year=4", "policy.regeneration.delay_weeks=0",
                 "policy.regeneration.collaborative=false", "policy.regeneration.cost_per_unit=30000")
    m = run(cfg, 2, 52)
    lever = m.levers[0]
    assert len(lever.units) == 4  # weeks 13, 26, 39, 52
    assert m.indicators()["cost_year_regeneration"] == pytest.approx(4 * 30000.0)


def test_annuity_mode_charges_each_finished_unit():
    cfg = config("policy=regeneration", "policy.regeneration.units_per_year=10", "policy.regeneration.delay_weeks=4",
                 "policy.regeneration.cost_mode=annuity", "policy.regeneration.annuity_years=20",
                 "policy.regeneration.shared_space.running_cost_year=0")
    m = run(cfg, 3, 40)
    lever = m.levers[0]
    expected = lever.finished.sum() * annuity(25000.0, 0.03, 20)
    assert lever.finished.sum() > 0
    assert m.indicators()["cost_year_regeneration"] == pytest.approx(expected)


def test_collaborative_units_share_a_space_used_through_encounters():
    m = run(config(*REGEN), 4, 60)
    lever = m.levers[0]
    done = lever.units[lever.finished]
    assert len(lever.spaces) == len(np.unique(m.space.unit_building[done]))
    for b, space in lever.spaces.items():
        assert set(space.eligible) == set(done[m.space.unit_building[done] == b])
        assert space in m.space.spaces and space.spec.kind == "common_room"
    assert len(m.encounters.crowding) == len(m.space.spaces)


def _first_lettings_from_the_list(cfg, seed: int, steps: int):
    """A run, and how many applicants the regenerated units took from the waiting list (``take_from_list``)."""
    import copy

    from abm.model import NeighbourhoodModel

    m = NeighbourhoodModel(config=copy.deepcopy(cfg), seed=seed, collect=False)
    taken = []
    take = m.moving.take_from_list
    m.moving.take_from_list = lambda n: (taken.append(n), take(n))
    for _ in range(steps):
        m.step()
    return m, sum(taken)


def test_coop_members_rule_lets_to_cooperative_members_outside_the_waiting_list():
    base, from_list = _first_lettings_from_the_list(config(*REGEN, "policy.regeneration.collaborative=false"), 6, 60)
    coop, from_list_coop = _first_lettings_from_the_list(
        config(*REGEN, "policy.regeneration.rule=coop_members", "policy.regeneration.shared_space.manager=residents_coop"),
        6, 60)
    lever = coop.levers[0]
    done = lever.units[lever.finished]
    let = done[coop.households.occupied[done] & (coop.households.moved_in[done] >= 1)]
    assert len(let) > 0
    assert coop.households.coop_member[let].all()
    assert (coop.space.unit_tenure[done] == TENURE_CODE["coop"]).all()
    assert len(coop.cooperatives) == 1  # formed for them
    assert from_list_coop == 0 and from_list > 0  # they did not come from the list (the waiting_list rule's do)


def test_social_mix_rule_chooses_under_represented_types():
    mix = runs(config(*REGEN, "policy.regeneration.rule=social_mix", "policy.regeneration.collaborative=false"), 60,
               seeds=range(4))
    plain = runs(config(*REGEN, "policy.regeneration.collaborative=false"), 60, seeds=range(4))

    def elderly_alone_share(models):
        types = np.concatenate([m.households.htype[np.intersect1d(newcomers(m), m.levers[0].units)] for m in models])
        return (types == 0).mean()

    # acer_estate has more elderly people living alone (28 %) than the mix target (15 %)
    assert elderly_alone_share(mix) < elderly_alone_share(plain)


def test_switched_off_changes_nothing():
    assert_same_as_baseline(7, "policy.regeneration.enabled=false",
                            "policy.regeneration.units_per_year=50",
                            "policy.regeneration.rule=coop_members")


@pytest.mark.parametrize("dotted, value, key", [
    ("policy.regeneration.units_per_year", -1, "policy.regeneration.units_per_year"),
    ("policy.regeneration.cost_per_unit", -10, "policy.regeneration.cost_per_unit"),
    ("policy.regeneration.delay_weeks", -2, "policy.regeneration.delay_weeks"),
    ("policy.regeneration.rule", "lottery", "policy.regeneration.rule"),
    ("policy.regeneration.cost_mode", "lump", "policy.regeneration.cost_mode"),
    ("policy.regeneration.shared_space.manager", "portierato", "policy.regeneration.shared_space.manager"),
    ("policy.regeneration.shared_space.manager", "residents_coop", "policy.regeneration.shared_space.manager"),
    ("policy.regeneration.payer", "nobody", "policy.regeneration.payer"),
])
def test_bad_input_names_the_key(dotted, value, key):
    check_bad_value("regeneration", dotted, value, key)


def test_bad_input_on_the_command_line_fails_at_composition():
    with pytest.raises(ConfigError) as e:
        compose(["policy=regeneration", "policy.regeneration.units_per_year=-1"])
    assert e.value.key == "policy.regeneration.units_per_year"


def test_shared_space_building_hosts_one_space_for_every_regenerated_unit_and_buildings_may_use_it():
    """``shared_space.building: A``: a single space in A for the regenerated units of every building;
    ``buildings: [D]``: the households of D may use it too.  The default opens one space per building."""
    one = run(config(*REGEN, "policy.regeneration.shared_space.building=A",
                     "policy.regeneration.shared_space.buildings=[D]"), 4, 0)
    lever, nb = one.levers[0], one.space
    visitors = np.zeros(len(nb.buildings), dtype=np.int64)  # visits to the space, by building of the visitor

    def weeks(n):
        for _ in range(n):
            one.step()
            for space in lever.spaces.values():
                users = space.eligible[one.encounters.visited[space.eligible] == space.index]
                visitors[:] += np.bincount(nb.unit_building[users], minlength=len(nb.buildings))

    weeks(60)
    done = lever.units[lever.finished]
    assert list(lever.spaces) == [nb.building_index["A"]]
    space = lever.spaces[nb.building_index["A"]]
    assert space.spec.building == "A" and space.spec.name == "sala_comune_rigenerata_A"
    assert set(space.eligible) == set(done) | set(nb.units_of(nb.building_index["D"]))
    assert len(np.unique(nb.unit_building[done])) >= 3  # regenerated units of A and other buildings share it
    cost_one = one.indicators()["cost_year_regeneration"]
    # 20 weeks more: the few regenerated households of B and C need time to come (a frail household rarely
    # visits); at week 60 B had none (5, 0, 1, 106)
    weeks(20)
    assert (visitors[1:] > 0).all(), visitors  # measured (seed 4, week 80): 10, 3, 3 and 140 visits from A, B, C, D
    # one space instead of one per building with regenerated units: the same works, fewer running costs
    per_building = run(config(*REGEN), 4, 60)
    done_there = per_building.levers[0].units[per_building.levers[0].finished]
    # one space per building with regenerated units (the same works in both runs: 3 or 4 buildings by week 60)
    assert len(per_building.levers[0].spaces) == len(np.unique(nb.unit_building[done_there])) >= 3
    saved = (len(per_building.levers[0].spaces) - 1) * 2500.0
    assert per_building.indicators()["cost_year_regeneration"] - cost_one == pytest.approx(saved)


@pytest.mark.parametrize("field, value", [("building", "Z"), ("buildings", "[Z]")])
def test_shared_space_buildings_must_exist(field, value):
    key = f"policy.regeneration.shared_space.{field}"
    assert refused_key("policy=regeneration", f"{key}={value}") == key
