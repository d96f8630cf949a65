"""Calibration targets as data (configs/targets/): the shipped set is complete and valid; a bad key or value
is refused naming it before any simulation."""

from __future__ import annotations

import math

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from abm.errors import ConfigError
from experiments import statistics
from experiments.calibration.config import compose_calibrate
from experiments.targets import Target, load

#: indicators set by the configuration rather than by behaviour (stock, costs, rents): never a target
INPUT_DRIVEN = {"occupancy_share", "vacant_units", "waiting_list", "rent_burden_share", "units_created",
                "cost_year_total"}


@pytest.fixture(scope="module")
def shipped() -> dict[str, Target]:
    return load(compose_calibrate().targets)


def test_the_bologna_set_has_at_least_six_sourced_targets_the_model_computes(shipped):
    active = [n for n, t in shipped.items() if t.active]
    assert len(active) >= 6, active
    for name, t in shipped.items():
        s = t.source
        assert s.publisher.strip() and s.title.strip() and s.table.strip() and 1990 <= s.year <= 2026, name
        assert t.population.strip() and len(t.mapping) > 40 and t.se > 0 and math.isfinite(t.observed), name
        if t.active:
            assert t.statistic in statistics.STATISTICS, name
        assert t.args.get("indicator") not in INPUT_DRIVEN and not t.statistic.startswith("cost"), name


def test_shares_are_shares(shipped):
    for name, t in shipped.items():
        if "share" in t.unit:
            assert 0 <= t.observed <= 1 and t.se < 0.5, name


def valid() -> dict:
    return {"label": "x", "statistic": "strong_tie_share", "observed": 0.5, "se": 0.1, "unit": "share of households",
            "population": "p", "mapping": "m",
            "source": {"publisher": "ISTAT", "year": 2020, "title": "t", "table": "Tab. 1"}}


def with_(path: str, value) -> dict:
    d = valid()
    node = d
    *parents, last = path.split(".")
    for p in parents:
        node = node[p]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return d


BAD = [
    ("observd", 0.5, "targets.t.observd"),                      # a misspelt field
    ("observed", "many", "targets.t.observed"),                 # not a number
    ("observed", float("nan"), "targets.t.observed"),
    ("se", 0.0, "targets.t.se"),                                # no tolerance
    ("se", -0.1, "targets.t.se"),
    ("se", KeyError, "targets.t.se"),                           # missing
    ("label", "  ", "targets.t.label"),
    ("source.year", 1850, "targets.t.source.year"),
    ("source.read_in", "web", "targets.t.source.read_in"),
    ("source.table", KeyError, "targets.t.source.table"),
    ("source.tabel", "x", "targets.t.source.tabel"),
    ("statistic", "no_such_statistic", "targets.t.statistic"),
    ("args", {"x": 1}, "targets.t.args"),                        # strong_tie_share takes no arguments
    ("scenario", "policy=timebank", "targets.t.scenario"),       # not a list
    ("requires", " ", "targets.t.requires"),
]


@pytest.mark.parametrize("path,value,key", BAD, ids=[f"{b[0]}={b[1]!r}" for b in BAD])
def test_a_bad_target_is_refused_naming_the_key(path, value, key):
    with pytest.raises(ConfigError) as e:
        load({"t": with_(path, value)})
    assert e.value.key == key, str(e.value)


def test_a_target_marked_requires_may_name_a_statistic_the_model_lacks():
    t = load({"t": {**valid(), "statistic": "kin_support_share", "requires": "kin outside the estate"}})["t"]
    assert not t.active
    with pytest.raises(ConfigError):  # the same without the mark is a typo
        load({"t": {**valid(), "statistic": "kin_support_share"}})


def test_names_must_be_identifiers_and_the_set_not_empty():
    with pytest.raises(ConfigError) as e:
        load({"erp turnover": valid()})
    assert e.value.key == "targets.erp turnover"
    with pytest.raises(ConfigError):
        load({})


def test_hydra_refuses_a_misspelt_field_of_a_shipped_target_at_composition():
    with pytest.raises(ConfigCompositionException) as e:
        compose_calibrate(["targets.erp_turnover.observd=3"])
    assert "observd" in str(e.value.__cause__ or e.value)
    # the schema types the group: a value of the wrong type fails too
    with pytest.raises(ConfigCompositionException):
        compose_calibrate(["targets.erp_turnover.se=small"])


def test_the_composed_group_is_typed_by_the_schema():
    cfg = compose_calibrate()
    assert OmegaConf.get_type(cfg.targets.erp_turnover) is Target


def test_the_targets_table_of_the_documentation_is_generated_from_the_set():
    from experiments.calibration.doc import DOC, render

    doc = DOC.read_text(encoding="utf-8")
    assert render(doc) == doc, "docs/CALIBRATION.md is out of date: python -m experiments.calibration.doc"
    for name in load(compose_calibrate().targets):
        assert f"`{name}`" in doc
