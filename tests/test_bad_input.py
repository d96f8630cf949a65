"""Bad input: one clear error naming the key (or CSV row) and what is allowed, exit non-zero, nothing written."""

import pytest

from abm.errors import ConfigError
from conftest import make_model, run_cli

CASES = [
    # (overrides, words the message must contain)
    (["stepz=5"], ["stepz"]),                                       # unknown key
    (["steps=0"], ["steps", "0", "[1, 100000]"]),                    # horizon of 0
    (["encounters.decay_rate=-0.1"], ["encounters.decay_rate", "-0.1", "[0.0, 1.0]"]),  # negative rate
    (["help.willingness=1.5"], ["help.willingness", "1.5"]),         # share outside [0, 1]
    (["population.type_shares.erp.elderly_alone=0.5"], ["population.type_shares.erp", "sum to 1"]),
    (["steps=abc"], ["steps", "abc"]),                               # wrong type
    (["neighbourhood.buildings.0.vacant_units=100"],                 # more households than units
     ["neighbourhood.buildings[0].unusable_units", "60 units"]),
    (["neighbourhood.shared_spaces.0.building=Z"], ["neighbourhood.shared_spaces[0].building", "'Z'"]),
    (["neighbourhood.buildings.0.tenure=castle"], ["tenure", "castle", "erp"]),
    # levers: negative hours, a building that does not exist, a manager that is not defined
    (["policy=portierato", "policy.portierato.hours_per_week=-5"], ["policy.portierato.hours_per_week", "-5"]),
    (["policy=portierato", "policy.portierato.buildings=[Z]"], ["policy.portierato.buildings[0]", "'Z'", "A, B, C, D"]),
    (["policy=shared_services", "policy.shared_services.spaces.0.buildings=[Y]"],
     ["policy.shared_services.spaces[0].buildings", "'Y'"]),
    (["policy=shared_services", "policy.shared_services.spaces.0.manager=portierato"],
     ["policy.shared_services.spaces[0].manager", "portierato"]),
    (["policy=mediation", "policy.mediation.hours_per_week=-1"], ["policy.mediation.hours_per_week", "-1"]),
    (["policy=timebank", "policy.timebank.hours_per_week=-2"],
     ["policy.timebank.hours_per_week", "-2"]),
    (["policy=community_coop", "policy.community_coop.manage_spaces=[nowhere]"],
     ["policy.community_coop.manage_spaces[0]", "'nowhere'", "names of shared spaces"]),
    (["policy=coop_governance", "policy.coop_governance.buildings=[Z]"], ["policy.coop_governance.buildings[0]", "'Z'"]),
    (["policy=regeneration", "policy.regeneration.units_per_year=-3"], ["policy.regeneration.units_per_year", "-3"]),
    (["policy=regeneration", "policy.regeneration.shared_space.building=Z"],
     ["policy.regeneration.shared_space.building", "'Z'", "A, B, C, D"]),
    (["policy=ers_fund", "policy.ers_fund.cost_per_unit=-1"], ["policy.ers_fund.cost_per_unit", "-1"]),
    (["policy=allocation_mix", "policy.allocation.rule=lottery"], ["policy.allocation.rule", "lottery"]),
    (["policy=portierato", "policy.portierato.payer=nobody"], ["policy.portierato.payer", "nobody", "municipality"]),
    # a generated district: lever rules are checked against its generated buildings, before any work
    (["neighbourhood=city_district", "neighbourhood.households=400", "policy=portierato",
      "policy.portierato.buildings=[Z]"], ["policy.portierato.buildings[0]", "'Z'"]),
]


@pytest.mark.parametrize("overrides,words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_config_is_refused_before_anything_is_written(tmp_path, overrides, words):
    out = tmp_path / "run"
    r = run_cli(*overrides, f"hydra.run.dir={out}")
    assert r.returncode != 0
    message = r.stderr + r.stdout
    for w in words:
        assert w in message, (w, message)
    assert "Traceback" not in message
    assert not out.exists() or not any(out.iterdir())


def _csv(path, text):
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


BUILDINGS_OK = """
building,tenure,stairwells,floors,units_per_landing,unit_m2
A,erp,1,3,2,60
B,coop,1,2,2,70
"""
HOUSEHOLDS_OK = """
building,stairwell,floor,position,household_type,size,age_head,income,origin
A,0,0,0,elderly_alone,1,81,900,italian
A,0,1,1,family_children,4,40,1800,african
B,0,1,0,young_sharers,3,24,,
"""

CSV_CASES = [
    ("missing column", BUILDINGS_OK.replace("floors,", "").replace(",3,2,60", ",2,60").replace(",2,2,70", ",2,70"),
     HOUSEHOLDS_OK, ["buildings_csv", "floors"]),
    ("unknown tenure", BUILDINGS_OK.replace("B,coop", "B,castle"), HOUSEHOLDS_OK,
     ["buildings_csv row 2", "tenure", "castle", "erp"]),
    ("unit that does not exist", BUILDINGS_OK, HOUSEHOLDS_OK.replace("A,0,1,1", "A,0,7,1"),
     ["households_csv row 2", "A/0/7/1", "exists"]),
    ("two households in one unit", BUILDINGS_OK, HOUSEHOLDS_OK.replace("B,0,1,0", "A,0,0,0"),
     ["households_csv row 3", "one household per unit"]),
    ("unknown household type", BUILDINGS_OK, HOUSEHOLDS_OK.replace("young_sharers", "hermit"),
     ["households_csv row 3", "household_type", "hermit"]),
    ("trust out of range", BUILDINGS_OK, HOUSEHOLDS_OK.replace("income,origin", "income,origin,trust")
     .replace(",italian", ",italian,1.7").replace(",african", ",african,0.5").replace("24,,", "24,,,"),
     ["households_csv row 1", "trust", "1.7", "[0, 1]"]),
]


@pytest.mark.parametrize("name,buildings,households,words", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_bad_csv_is_refused_with_row_and_column(tmp_path, name, buildings, households, words):
    b = _csv(tmp_path / "buildings.csv", buildings)
    h = _csv(tmp_path / "households.csv", households)
    with pytest.raises(ConfigError) as e:
        make_model(f"neighbourhood.buildings_csv={b}", f"neighbourhood.households_csv={h}",
                   "neighbourhood.shared_spaces=[]", "steps=5")
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_bad_csv_on_the_command_line_writes_nothing(tmp_path):
    b = _csv(tmp_path / "buildings.csv", BUILDINGS_OK.replace("B,coop", "B,castle"))
    out = tmp_path / "run"
    r = run_cli(f"neighbourhood.buildings_csv={b}", "neighbourhood.shared_spaces=[]", f"hydra.run.dir={out}")
    assert r.returncode == 2
    assert "castle" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_a_valid_csv_estate_runs(tmp_path):
    b = _csv(tmp_path / "buildings.csv", BUILDINGS_OK)
    h = _csv(tmp_path / "households.csv", HOUSEHOLDS_OK)
    m = make_model(f"neighbourhood.buildings_csv={b}", f"neighbourhood.households_csv={h}",
                   "neighbourhood.shared_spaces=[]")
    assert m.space.n_units == 10
    assert m.households.occupied.sum() == 3
    a0 = m.space.unit_at("A", 0, 0, 0)
    assert m.households.htype[a0] == 0 and m.households.age_head[a0] == 81 and m.households.income[a0] == 900
    for _ in range(10):
        m.step()
