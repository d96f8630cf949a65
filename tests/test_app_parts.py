"""The workshop app's parts without a browser: settings and their validation, sessions, the plan, the
charts, the household card and the translations (the page itself: tests/test_app.py)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from abm.errors import ConfigError
from abm.i18n import t, table
from abm.params import param
from viz import controls as ctl
from viz.charts import LiveChart, euro
from viz.household import card
from abm.vocabulary import NEED_CATEGORIES, ORIGINS, OUTCOMES, SPACE_KINDS, TENURES
from viz.plan import COLOUR_BY, LEVEL_NAMES, colouring, layout, plan_json, tie_paths, unit_facts, week_json
from viz.simulation import CHARTED, RecentNeeds, Session

VIZ = Path(__file__).resolve().parent.parent / "viz"


@pytest.fixture(scope="module")
def session():
    s = Session()
    s.apply(ctl.Settings())
    s.step(6)
    return s


# --- settings ----------------------------------------------------------------------------------------------
def test_compare_mode_starts_side_b_with_another_policy():
    b = ctl.contrast(ctl.Policy("baseline"))
    if len(ctl.presets("policy")) > 1 and set(ctl.CONTRAST) & set(ctl.presets("policy")):
        assert b.preset != "baseline" and b.preset in ctl.presets("policy")
    else:
        assert b == ctl.Policy("baseline")


def test_seed_typed_on_screen_is_validated():
    assert ctl.parse_seed(" 12 ") == 12
    assert ctl.parse_seed("1_000") == 1000
    for bad in ("abc", "", "1.5", "-1", str(ctl.SEED_MAX + 1), "1e3"):
        with pytest.raises(ConfigError) as e:
            ctl.parse_seed(bad)
        assert e.value.key == "seed" and "whole number" in e.value.allowed


@given(st.integers(min_value=0, max_value=ctl.SEED_MAX))
@hsettings(max_examples=50, deadline=None)
def test_any_allowed_seed_round_trips(seed):
    assert ctl.parse_seed(str(seed)) == seed


@dataclasses.dataclass
class _Dose:
    enabled: bool = False
    hours_per_week: float = param(20.0, lo=0.0, hi=50.0)
    rule: str = param("ranked_need", choices=("ranked_need", "social_mix"))


@dataclasses.dataclass
class _Policy:
    name: str = "x"
    portierato: _Dose = dataclasses.field(default_factory=_Dose)
    allocation: _Dose = dataclasses.field(default_factory=_Dose)


@dataclasses.dataclass
class _Config:
    seed: int = 0
    policy: _Policy = dataclasses.field(default_factory=_Policy)


def test_lever_controls_show_only_for_keys_in_the_config():
    assert [lv.lever for lv in ctl.available(_Config())] == ["portierato", "allocation"]
    portierato = ctl.available(_Config())[0]
    assert [c.key for c in portierato.controls] == ["policy.portierato.enabled", "policy.portierato.hours_per_week"]
    # the table's slider range (0-60) is narrowed to what the parameter allows (0-50)
    assert ctl.slider_bounds(_Config(), portierato.controls[1]) == (0, 50.0)
    assert ctl.choices(_Config(), "policy.allocation.rule") == ("ranked_need", "social_mix")
    assert ctl.lever_values(_Config())["policy.portierato.hours_per_week"] == 20.0
    # every key in the table names a lever's parameter (policy.<lever>.<param>), labelled in both languages
    for lever in ctl.LEVERS:
        assert lever.label_key in table()
        for c in lever.controls:
            assert re.fullmatch(rf"policy\.{lever.lever}\.[a-z_]+", c.key)
            assert c.kind == "switch" or c.label_key in table(), c.key


def test_core_config_has_no_lever_controls_without_levers():
    cfg = ctl.preset_config("acer_estate", "baseline")
    names = {f.name for f in dataclasses.fields(cfg.policy)}
    assert {lv.lever for lv in ctl.available(cfg)} == {lv.lever for lv in ctl.LEVERS} & names


def test_set_key_casts_and_refuses_unknown_keys():
    cfg = _Config()
    ctl.set_key(cfg, "policy.portierato.hours_per_week", 30)
    assert cfg.policy.portierato.hours_per_week == 30.0 and isinstance(cfg.policy.portierato.hours_per_week, float)
    ctl.set_key(cfg, "policy.portierato.enabled", 1)
    assert cfg.policy.portierato.enabled is True
    ctl.set_key(cfg, "seed", 7.0)
    assert cfg.seed == 7 and isinstance(cfg.seed, int)
    with pytest.raises(ConfigError):
        ctl.set_key(cfg, "seed", 7.5)
    with pytest.raises(ConfigError):
        ctl.set_key(cfg, "policy.nothing.hours", 1)


def test_settings_are_validated_before_a_run():
    cfg = ctl.Settings(seed=5).config()
    assert cfg.seed == 5 and cfg.neighbourhood.name == "acer_estate"
    bad = ctl.Settings(a=ctl.Policy(levers=(("encounters.strong_threshold", 2.0),)))
    with pytest.raises(ConfigError) as e:
        bad.config()
    assert e.value.key == "encounters.strong_threshold"
    with pytest.raises(ConfigError):
        ctl.Settings(neighbourhood="atlantis").config()
    with pytest.raises(ConfigError):
        ctl.Settings(a=ctl.Policy("no_such_policy")).config()
    # the cached presets are never changed by a run's settings
    assert ctl.preset_config("acer_estate", "baseline").seed == 0


# --- sessions ------------------------------------------------------------------------------------------------
def test_a_bad_setting_leaves_the_running_model_alone(session):
    model, week = session.runs["A"].model, session.week
    with pytest.raises(ConfigError):
        session.apply(ctl.Settings(a=ctl.Policy(levers=(("encounters.strong_threshold", -1.0),))))
    assert session.runs["A"].model is model and session.week == week


def test_sessions_are_independent_and_deterministic():
    one, two = Session(), Session()
    one.apply(ctl.Settings(seed=3))
    two.apply(ctl.Settings(seed=3))
    one.step(4)
    assert (one.week, two.week) == (4, 0)
    two.step(4)
    for name in CHARTED:
        np.testing.assert_array_equal(one.runs["A"].series(name), two.runs["A"].series(name))


def test_a_new_setting_restarts_and_keeps_the_previous_run_in_grey():
    s = Session()
    s.apply(ctl.Settings(seed=1))
    s.step(5)
    before = s.runs["A"].series("isolated_share")
    s.apply(ctl.Settings(seed=2))
    assert s.week == 0 and s.previous is not None
    np.testing.assert_array_equal(s.previous["isolated_share"], before)
    s.reset()  # same settings again: the grey line stays
    assert s.previous is not None
    s.apply(ctl.Settings(neighbourhood="coop_housing", seed=2))  # another place: nothing to compare with
    assert s.previous is None


def test_compare_mode_runs_both_sides_on_the_same_neighbourhood_and_seed():
    s = Session()
    s.apply(ctl.Settings(seed=4, b=ctl.Policy()))
    s.step(3)
    a, b = s.runs["A"], s.runs["B"]
    assert a.week == b.week == 3
    assert a.config.seed == b.config.seed == 4
    # the same policy on both sides: the same weeks, to the last digit
    for name in CHARTED:
        np.testing.assert_array_equal(a.series(name), b.series(name))


def test_recent_needs_count_last_weeks_outcomes(session):
    run = session.runs["A"]
    model = run.model
    needs = model.last_needs
    row = run.recent.counts[model.week % run.recent.weeks]
    newcomers = model.households.moved_in == model.week
    expected = np.zeros_like(row)
    np.add.at(expected, (needs.outcome, needs.requester), 1.0)
    expected[:, newcomers] = 0.0
    np.testing.assert_array_equal(row, expected)
    assert run.recent.totals().sum() <= model.events.needs_window(run.recent.weeks).sum()


def test_recent_needs_grow_with_new_units():
    r = RecentNeeds(3)

    class Space:
        n_units = 5

    class Households:
        moved_in = np.array([0, 0, 0, 0, 1])

    class Model:
        week, space, households, last_needs = 1, Space(), Households(), None

    r.record(Model())
    assert r.counts.shape == (4, len(OUTCOMES), 5)


# --- the plan ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("neighbourhood", ctl.presets("neighbourhood"))
def test_plan_puts_every_flat_in_its_building_without_overlap(neighbourhood):
    from abm.space import Neighbourhood

    cfg = ctl.preset_config(neighbourhood, "baseline")
    space = Neighbourhood(*cfg.neighbourhood.layout())  # listed buildings, or a generated district
    lay = layout(space)
    assert len(set(zip(lay.x.round(3), lay.y.round(3)))) == space.n_units
    assert lay.x.min() >= 0 and lay.y.min() >= 0
    assert (lay.x + 1).max() <= lay.width and (lay.y + 1).max() <= lay.height
    for bi, (_, _, x0, y0, x1, y1) in enumerate(lay.buildings):
        mine = space.unit_building == bi
        assert (lay.x[mine] >= x0).all() and (lay.x[mine] + 1 <= x1 + 0.2).all()
        assert (lay.y[mine] >= y0).all() and (lay.y[mine] + 1 <= y1 + 0.2).all()
    # ground floor at the bottom
    b0 = space.unit_building == 0
    assert lay.y[b0 & (space.unit_floor == 0)].min() > lay.y[b0 & (space.unit_floor == space.unit_floor[b0].max())].max()


@pytest.mark.parametrize("attribute", COLOUR_BY)
def test_colouring_counts_every_flat_once(session, attribute):
    model = session.runs["A"].model
    col = colouring(model, attribute, session.runs["A"].recent.totals(), "it")
    assert len(col.index) == model.space.n_units
    assert sum(count for _, _, count in col.legend) == model.space.n_units
    assert set(col.index) <= set(range(len(col.palette)))


def test_isolation_colour_matches_the_indicator(session):
    model = session.runs["A"].model
    col = colouring(model, "isolation", session.runs["A"].recent.totals(), "en")
    isolated = col.legend[0][2]
    assert col.legend[0][1].startswith("Isolated")
    assert isolated == round(model.indicators()["isolated_share"] * model.households.occupied.sum())


def test_ties_are_drawn_once_each_and_the_selected_flats_stand_out(session):
    model = session.runs["A"].model
    lay = layout(model.space)
    unit = int(model.ties.u[0])
    paths = tie_paths(model, lay, selected=unit)
    assert paths.weak.count("M") + paths.strong.count("M") == len(model.ties)
    assert paths.n_strong == int((model.ties.strength >= model.config.encounters.strong_threshold).sum())
    assert paths.focus.count("M") == len(model.ties.neighbours(unit)) > 0
    assert tie_paths(model, lay, selected=-1).focus == ""


def test_the_browser_gets_consistent_plan_data(session):
    import json

    model = session.runs["A"].model
    lay = layout(model.space)
    static = json.loads(plan_json(lay, "<g/>", ["a"] * model.space.n_units, {"types": []}, "plan"))
    col = colouring(model, "htype", session.runs["A"].recent.totals(), "it")
    week = json.loads(week_json(model.week, col, unit_facts(model), tie_paths(model, lay), -1, "en"))
    n = model.space.n_units
    assert len(static["x"]) == len(static["y"]) == len(week["colour"]) == len(week["kind"]) == len(week["ties"]) == n
    assert week["kind"].count(-1) + week["kind"].count(-2) == n - model.households.occupied.sum()
    assert sum(count for _, _, count in week["legend"]) == n and "strong ties" in week["ties_text"]


# --- charts and the household card -------------------------------------------------------------------------------
def test_charts_draw_the_series_and_follow_the_language(session):
    chart = LiveChart("conflicts_open")
    series = session.runs["A"].series("conflicts_open")
    png = chart.render({"A": series}, None, "it")
    assert png.startswith(b"\x89PNG")
    assert chart.render({"A": series[:-2]}, None, "it") != png
    assert chart.render({"A": series}, None, "en") != png  # the axis label is translated
    grey = chart.render({"A": series}, series * 0.5, "en", generation=1)
    assert grey != chart.render({"A": series}, None, "en", generation=2)
    # a shares' axis stays 0-100 %; a count's axis grows in readable steps
    assert LiveChart("isolated_share")._axes_for(10, [np.array([0.2])], "it", 0)[1] == 1.0
    assert chart._axes_for(10, [np.array([37.0])], "it", 9)[1] == 50.0


def test_euro_ticks_use_the_language_decimal_mark():
    assert euro(0.5, "it") == "0,5 €" and euro(0.5, "en") == "0.5 €"
    assert euro(12_500.0, "it") == "12,5 k€" and euro(2e6, "en") == "2 M€"


def test_household_card_tells_who_lives_there(session):
    model = session.runs["A"].model
    totals = session.runs["A"].recent.totals()
    occupied = int(np.flatnonzero(model.households.occupied)[0])
    c = card(model, occupied, totals, "it")
    assert c.title.startswith(model.space.buildings[model.space.unit_building[occupied]].name)
    labels = dict(c.facts)
    assert labels["Famiglia"] == t(f"household_type.{model.residents[occupied].household_type}", "it")
    degree = len(model.ties.neighbours(occupied))
    assert len(c.ties) == min(degree, 8) + (degree > 8)
    empty = np.flatnonzero(~model.households.occupied)
    if len(empty):
        assert card(model, int(empty[0]), totals, "en").facts[0][0] == "Status"
    with pytest.raises(IndexError):
        card(model, model.space.n_units, totals, "it")


# --- translations -------------------------------------------------------------------------------------------------
def test_every_app_text_exists_in_italian_and_english():
    tb = table()
    app_keys = {k for k in tb if k.startswith("app.")}
    assert app_keys, "abm/locales/app.yaml is missing"
    for key in app_keys:
        assert set(tb[key]) == {"it", "en"} and all(tb[key].values()), key
    source = "\n".join(p.read_text(encoding="utf-8") for p in VIZ.glob("*.py"))
    used = set(re.findall(r'\bt\("(app\.[a-z0-9_.]+)"', source))
    assert used and used <= app_keys, sorted(used - app_keys)
    for name in CHARTED:
        assert f"indicator.{name}" in tb and f"explain.{name}" in tb
    for group in ("neighbourhood", "policy"):
        for preset in ctl.presets(group):
            assert f"app.{group}.{preset}" in tb, f"no label for the {group} preset {preset!r}"
    families = {"app.colour": COLOUR_BY, "app.ties": ("all", "strong", "none"), "app.need": NEED_CATEGORIES,
                "app.outcome": OUTCOMES, "app.origin": ORIGINS, "app.space_kind": SPACE_KINDS,
                "app.tenure_short": TENURES, "app.legend": LEVEL_NAMES}
    for prefix, names in families.items():
        missing = [n for n in names if f"{prefix}.{n}" not in tb]
        assert not missing, (prefix, missing)
