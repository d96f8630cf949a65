"""The ODD (docs/ODD.md) documents every parameter and every indicator, with the defaults the code uses.

Keys are written in the ODD as `dotted.key` in backticks; elements of a list of records as
`neighbourhood.buildings[i].floors`.  Parameter tables have the columns
| key | meaning | unit | default | range | source |, and the default of every scalar number parameter must
match the code.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import pytest

from abm.config import SimConfig
from abm.indicators import BY_TYPE, INDICATORS

DOCS = Path(__file__).resolve().parent.parent / "docs"
ODD = (DOCS / "ODD.md").read_text(encoding="utf-8")

#: `output` is not a model parameter (where and what a run writes); everything else, levers included, is documented
SKIP = {"output"}


def _list_item_type(cls, name):
    """The dataclass of the elements of a ``list[...]`` field, or None."""
    hint = typing.get_type_hints(cls)[name]
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        if dataclasses.is_dataclass(item):
            return item
    return None


def config_keys(obj=None, prefix=""):
    """(key, field, default) for every parameter of the SimConfig tree; dict/list fields by their own name,
    and the fields of list-of-record elements as ``key[i].field``."""
    obj = SimConfig() if obj is None else obj
    for f in dataclasses.fields(obj):
        key = prefix + f.name
        if key in SKIP:
            continue
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            yield from config_keys(value, key + ".")
            continue
        yield key, f, value
        item = _list_item_type(type(obj), f.name)
        if item is not None:
            yield from config_keys(item(), key + "[i].")


KEYS = list(config_keys())


def test_walk_finds_the_tree():
    keys = {k for k, _, _ in KEYS}
    # a few keys from different levels, so that a broken walk cannot pass silently
    for k in ("seed", "steps", "encounters.rate_landing", "population.type_shares", "neighbourhood.buildings",
              "neighbourhood.buildings[i].floors", "neighbourhood.shared_spaces[i].capacity",
              "services.formal", "services.formal[i].hours_per_100_households", "indicators.graph_every",
              "policy.name", "policy.funding.interest_rate", "policy.portierato.events.boost",
              "policy.shared_services.spaces[i].buildings", "policy.coop_governance.self_management.attendance"):
        assert k in keys
    assert not any(k.split(".")[0] in SKIP for k in keys)
    assert len(keys) > 100


@pytest.mark.parametrize("key", [k for k, _, _ in KEYS])
def test_parameter_documented(key):
    assert f"`{key}`" in ODD, f"parameter {key} is not documented in docs/ODD.md (write it as `{key}`)"


@pytest.mark.parametrize("name", list(INDICATORS) + list(BY_TYPE))
def test_indicator_documented(name):
    assert f"`{name}`" in ODD, f"indicator {name} is not documented in docs/ODD.md"


def _table_row(key):
    rows = [line for line in ODD.splitlines() if line.startswith(f"| `{key}` |")]
    assert rows, f"no parameter-table row for {key} in docs/ODD.md"
    assert len(rows) == 1, f"{key} has {len(rows)} parameter-table rows"
    cells = [c.strip() for c in rows[0].strip().strip("|").split("|")]
    assert len(cells) == 6, f"row of {key} should have 6 cells (key, meaning, unit, default, range, source)"
    return cells


def test_no_parameter_row_without_a_parameter():
    """Every parameter-table row names a parameter of the code: a removed or renamed one leaves no row behind."""
    keys = {k for k, _, _ in KEYS}
    rows = re.findall(r"^\| `([^`]+)` \|(?:[^|]*\|){5}\s*$", ODD, flags=re.M)
    assert len(rows) >= len(keys)
    stale = [r for r in rows if r not in keys]
    assert not stale, f"docs/ODD.md has parameter-table rows for keys the code does not have: {stale}"


NUMBERS = [(k, v) for k, f, v in KEYS if isinstance(v, (int, float)) and not isinstance(v, bool)]


@pytest.mark.parametrize("key,default", NUMBERS, ids=[k for k, _ in NUMBERS])
def test_numeric_default_matches_code(key, default):
    cell = _table_row(key)[3]
    assert float(cell.strip("`")) == float(default), f"{key}: ODD says {cell}, code default is {default}"


BOUNDED = [(k, f) for k, f, v in KEYS if (k, v) in NUMBERS and k != "seed"
           and f.metadata.get("lo") is not None and f.metadata.get("hi") is not None]


@pytest.mark.parametrize("key,field", BOUNDED, ids=[k for k, _ in BOUNDED])
def test_numeric_range_matches_code(key, field):
    lo, hi = field.metadata["lo"], field.metadata["hi"]
    left = "(" if field.metadata.get("lo_open") else "["
    cell = _table_row(key)[4]
    assert cell.startswith(f"{left}{lo:g}, {hi:g}]"), f"{key}: ODD range {cell}, code range {left}{lo:g}, {hi:g}]"


#: what a source cell may say: a figure of the source list (see the ODD's "Sources"), an entry of the evidence
#: notes (docs/evidence/<file>.md §n), the project's glossary, "assumption", or a non-empirical label for names,
#: paths, presets and scenario knobs
SOURCE_LABELS = re.compile(r"assumption|Nomisma/ACER 2020|ACER Bologna|Cooperativa Risanamento|Bologna 2023"
                           r"|Regeneration in Bologna|CCNL cooperative sociali|portierato costs|Milan 2007|Turin ATC"
                           r"|mediation services|time banks|GLOSSARY|docs/evidence/[a-z_]+\.md"
                           r"|^–$|^preset$|scenario knob|project requirement|INPUT_DATA\.md")


@pytest.mark.parametrize("key", [k for k, _, _ in KEYS])
def test_source_is_labelled(key):
    source = _table_row(key)[5]
    assert SOURCE_LABELS.search(source), f"{key}: source cell {source!r} names no listed source nor 'assumption'"


def test_input_data_and_examples_exist():
    text = (DOCS / "INPUT_DATA.md").read_text(encoding="utf-8")
    from abm.inputs import BUILDING_COLUMNS, BUILDING_OPTIONAL, HOUSEHOLD_COLUMNS, HOUSEHOLD_OPTIONAL

    for col in (*BUILDING_COLUMNS, *BUILDING_OPTIONAL, *HOUSEHOLD_COLUMNS, *HOUSEHOLD_OPTIONAL):
        assert re.search(rf"\| `{col}` \|", text), f"CSV column {col} is not documented in docs/INPUT_DATA.md"
    assert (DOCS / "examples" / "buildings.csv").is_file()
    assert (DOCS / "examples" / "households.csv").is_file()


def test_example_csv_builds_a_model():
    """The worked example of INPUT_DATA.md loads and runs a few weeks with the default shared spaces."""
    from abm.config import compose
    from abm.model import NeighbourhoodModel

    cfg = compose([f"neighbourhood.buildings_csv={DOCS / 'examples' / 'buildings.csv'}",
                   f"neighbourhood.households_csv={DOCS / 'examples' / 'households.csv'}"])
    model = NeighbourhoodModel(config=cfg, collect=False)
    assert model.space.n_units == 14
    assert int(model.households.occupied.sum()) == 8
    # values given in the file are kept (trust moves during the spin-up: the given trust is its anchor)
    unit = model.space.unit_at("Torre", 0, 0, 0)
    assert model.households.age_head[unit] == 82 and model.households.trust_anchor[unit] == 0.4
    for _ in range(3):
        model.step()


#: the project's indicator catalogue (shared design documents, beside the repository when they are there)
CATALOGUE = Path(__file__).resolve().parents[2] / "shared" / "design" / "INDICATORS.md"


@pytest.mark.skipif(not CATALOGUE.is_file(), reason=f"no indicator catalogue at {CATALOGUE}")
def test_every_catalogue_indicator_exists_under_its_name():
    from abm.indicators import LEVERS

    names = re.findall(r"^\| `([a-z0-9_<>]+)`", CATALOGUE.read_text(encoding="utf-8"), re.M)
    assert len(names) > 20
    expected = [e for n in names for e in ([n.replace("<lever>", lever) for lever in LEVERS] if "<lever>" in n else [n])]
    assert [n for n in expected if n not in INDICATORS] == []
