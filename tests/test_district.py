"""The generated district (neighbourhood=city_district): size, consistency, determinism, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.config import compose
from abm.errors import ConfigError
from abm.model import NeighbourhoodModel
from abm.params import validate
from abm.space import DistrictSpec, Neighbourhood, NeighbourhoodConfig
from abm.vocabulary import TENURE_CODE, TENURES


def district_config(households: int, **district) -> NeighbourhoodConfig:
    cfg = compose(["neighbourhood=city_district", f"neighbourhood.households={households}"]).neighbourhood
    for k, v in district.items():
        setattr(cfg.district, k, v)
    return cfg


def check_groups(nb: Neighbourhood) -> None:
    """Every landing lies in one stairwell, every stairwell in one building; groups partition the units."""
    for finer, coarser in ((nb.landing, nb.stairwell), (nb.stairwell, nb.building)):
        inside = coarser.of_unit[finer.members]
        first = inside[finer.start[finer.size > 0]]
        assert np.array_equal(inside, np.repeat(first, finer.size[finer.size > 0]))
    for g in (nb.landing, nb.stairwell, nb.building, nb.whole):
        assert np.array_equal(np.sort(g.members), np.arange(nb.n_units))
        assert g.size.sum() == nb.n_units


@pytest.mark.parametrize("households", [5000, 20000])
def test_preset_has_the_households_asked_for(households):
    cfg = district_config(households)
    buildings, spaces = cfg.layout()
    nb = Neighbourhood(buildings, spaces)
    occupied = int((nb.habitable & ~nb.initially_vacant).sum())
    assert occupied == households
    check_groups(nb)
    # the tenure mix follows the shares (by dwellings), within one estate's worth of units
    share = np.bincount(nb.unit_tenure, minlength=len(TENURES)) / nb.n_units
    wanted = np.array([cfg.district.tenure_shares[t] for t in TENURES])
    assert np.abs(share - wanted).max() < 0.03
    # ERP stock awaiting works exists only in ERP buildings
    assert set(np.unique(nb.unit_tenure[~nb.habitable])) <= {TENURE_CODE["erp"]}


def test_shared_spaces_serve_their_buildings():
    cfg = district_config(3000)
    buildings, spaces = cfg.layout()
    nb = Neighbourhood(buildings, spaces)
    by_name = {b.name: i for i, b in enumerate(buildings)}
    kinds = {s.spec.name.rsplit("_", 1)[0] if s.spec.name[-1].isdigit() else s.spec.name for s in nb.spaces}
    assert kinds == {"courtyard", "common_room", "laundry", "casa_di_quartiere"}
    for s in nb.spaces:
        users = s.spec.users()
        if not users:  # the casa di quartiere: the whole district
            assert len(s.eligible) == nb.n_units
            continue
        expected = np.flatnonzero(np.isin(nb.unit_building, [by_name[b] for b in users]))
        assert np.array_equal(np.sort(s.eligible), expected)
        if s.spec.kind == "laundry":
            assert {buildings[by_name[b]].tenure for b in users} == {"ers"}
    courtyards = [s for s in nb.spaces if s.spec.kind == "courtyard"]
    assert all(1 <= len(s.spec.users()) <= 4 for s in courtyards)
    served = sorted(b for s in courtyards for b in s.spec.users())
    assert served == sorted(by_name)  # every building has exactly one courtyard


def test_layout_is_deterministic_and_independent_of_the_run_seed():
    a = NeighbourhoodModel(config=compose(["neighbourhood=city_district", "neighbourhood.households=600",
                                           "seed=1"]), collect=False)
    b = NeighbourhoodModel(config=compose(["neighbourhood=city_district", "neighbourhood.households=600",
                                           "seed=2"]), collect=False)
    assert [x.__dict__ for x in a.space.buildings] == [x.__dict__ for x in b.space.buildings]
    assert np.array_equal(a.space.unit_tenure, b.space.unit_tenure)
    other = district_config(600, layout_seed=7).layout()[0]
    assert [x.__dict__ for x in other] != [x.__dict__ for x in a.space.buildings]


@settings(max_examples=30, deadline=None)
@given(households=st.integers(1, 4000), floors=st.tuples(st.integers(1, 12), st.integers(0, 6)),
       per_landing=st.tuples(st.integers(1, 6), st.integers(0, 3)), vacant=st.floats(0.0, 0.5),
       erp=st.floats(0.0, 1.0), seed=st.integers(0, 1000))
def test_any_district_has_exactly_the_households(households, floors, per_landing, vacant, erp, seed):
    spec = DistrictSpec(tenure_shares={"erp": erp, "owner": 1.0 - erp},
                        floors=[floors[0], floors[0] + floors[1]],
                        units_per_landing=[per_landing[0], per_landing[0] + per_landing[1]],
                        vacant_share=vacant, layout_seed=seed)
    validate(spec)
    buildings, _ = spec.generate(households)
    for b in buildings:
        validate(b)
    occupied = sum(b.stairwells * b.floors * b.units_per_landing - b.unusable_units - b.vacant_units
                   for b in buildings)
    assert occupied == households
    assert len({b.name for b in buildings}) == len(buildings)


@pytest.mark.parametrize("overrides, key", [
    (["neighbourhood=acer_estate", "neighbourhood.households=100"], "neighbourhood.households"),
    (["neighbourhood=city_district", "neighbourhood.district.tenure_shares.erp=0.9"],
     "neighbourhood.district.tenure_shares"),
    (["neighbourhood=city_district", "neighbourhood.district.floors=[6,3]"], "neighbourhood.district.floors"),
    (["neighbourhood=city_district", "neighbourhood.district.vacant_share=1.5"],
     "neighbourhood.district.vacant_share"),
    (["neighbourhood=city_district", "neighbourhood.households=-5"], "neighbourhood.households"),
])
def test_bad_district_input_names_the_key(overrides, key):
    with pytest.raises(ConfigError) as e:
        compose(overrides)
    assert e.value.key == key


def test_bad_space_template_names_the_key():
    cfg = compose(["neighbourhood=city_district"])
    cfg.neighbourhood.district.spaces[1].tenures = ["castle"]
    with pytest.raises(ConfigError) as e:
        validate(cfg)
    assert e.value.key == "neighbourhood.district.spaces[1].tenures[0]"
    cfg.neighbourhood.district.spaces[1].tenures = ["coop"]
    cfg.neighbourhood.district.spaces[1].name = cfg.neighbourhood.district.spaces[0].name
    with pytest.raises(ConfigError) as e:
        validate(cfg)
    assert e.value.key == "neighbourhood.district.spaces"


def test_a_listed_space_may_name_generated_buildings():
    cfg = compose(["neighbourhood=city_district", "neighbourhood.households=400"])
    first = cfg.neighbourhood.layout()[0][0].name
    ok = compose(["neighbourhood=city_district", "neighbourhood.households=400",
                  f"+neighbourhood.shared_spaces=[{{name: orto, kind: garden, building: {first}}}]"])
    assert ok.neighbourhood.layout()[1][-1].name == "orto"
    with pytest.raises(ConfigError) as e:
        compose(["neighbourhood=city_district", "neighbourhood.households=400",
                 "+neighbourhood.shared_spaces=[{name: orto, kind: garden, building: NOWHERE}]"])
    assert e.value.key == "neighbourhood.shared_spaces[0].building"


def test_district_model_runs_and_is_reproducible():
    def series(seed):
        m = NeighbourhoodModel(config=compose(["neighbourhood=city_district", "neighbourhood.households=500",
                                               f"seed={seed}"]))
        for _ in range(6):
            m.step()
        return m.datacollector.get_model_vars_dataframe().drop(columns="by_type")

    a, b = series(4), series(4)
    assert a.equals(b)
    assert not a.equals(series(5))
    assert a["ties_mean"].iloc[-1] > 0 and a["occupancy_share"].iloc[-1] > 0.9
