"""A config is validated once, a district laid out once, and the model never changes the caller's config."""

from __future__ import annotations

import dataclasses

import pytest

import abm.config
from abm.config import compose
from abm.errors import ConfigError
from abm.model import NeighbourhoodModel
from abm.space import DistrictSpec

DISTRICT = ["neighbourhood=city_district", "neighbourhood.households=333", "policy=portierato"]


@pytest.fixture
def counted(monkeypatch):
    """Counts of config validations and of district layouts from now on."""
    calls = {"validate": 0, "generate": 0}
    validate, generate = abm.config.validate, DistrictSpec.generate

    def counting_validate(*args, **kwargs):
        calls["validate"] += 1
        return validate(*args, **kwargs)

    def counting_generate(self, *args, **kwargs):
        calls["generate"] += 1
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(abm.config, "validate", counting_validate)
    monkeypatch.setattr(DistrictSpec, "generate", counting_generate)
    return calls


def test_a_run_validates_its_config_and_lays_out_its_district_once(counted):
    cfg = compose([*DISTRICT, "neighbourhood.district.layout_seed=4242"])  # a layout no other test asked for
    NeighbourhoodModel(config=cfg, collect=False)
    assert counted == {"validate": 1, "generate": 1}


def test_a_changed_config_is_validated_again(counted):
    cfg = compose([*DISTRICT, "neighbourhood.district.layout_seed=4343"])
    cfg.policy.portierato.hours_per_week = -3.0  # changed after the launcher checked it
    with pytest.raises(ConfigError) as e:
        NeighbourhoodModel(config=cfg, collect=False)
    assert e.value.key == "policy.portierato.hours_per_week"
    assert counted["validate"] == 2


def test_the_model_does_not_change_the_callers_config():
    cfg = compose(["policy=full_package", "seed=1", "steps=10"])
    before = dataclasses.asdict(cfg)
    m = NeighbourhoodModel(config=cfg, seed=7, collect=False)
    for _ in range(3):
        m.step()
    assert dataclasses.asdict(cfg) == before and cfg.seed == 1
    assert m.config.seed == 7
