"""The spin-up before week 0 (docs/ODD.md 3.2): its stop rule on synthetic series, the renumbering of its
weeks, its independence of the policy, and what it leaves at week 0."""

from __future__ import annotations

import numpy as np
import pytest

from abm.config import compose
from abm.errors import ConfigError
from abm.model import NeighbourhoodModel
from abm.spinup import Monitor, SpinupParams, differences, steady
from abm.ties import NEVER


def params(**kw) -> SpinupParams:
    base = dict(min_weeks=0, max_weeks=2000, window=10, check_every=5,
                tolerance_abs={"trust_mean": 0.01}, tolerance_rel={"ties_mean": 0.05})
    base.update(kw)
    return SpinupParams(**base)


# --- the stop rule on synthetic series ----------------------------------------------------------------------
def test_differences_are_the_last_window_mean_minus_the_one_before():
    x = np.arange(30.0)  # windows of 10: means 24.5 and 14.5
    assert differences({"a": x}, 10) == {"a": pytest.approx(10.0)}
    assert np.isnan(differences({"a": x[:19]}, 10)["a"])  # shorter than two windows


def test_a_flat_series_is_steady_and_a_trend_is_not():
    p = params()
    flat = {"trust_mean": np.full(40, 0.4), "ties_mean": np.full(40, 3.0)}
    assert steady(flat, p)
    # trust rising 0.002 a week: the two window means differ by 0.02 > 0.01
    trend = dict(flat, trust_mean=0.4 + 0.002 * np.arange(40))
    assert not steady(trend, p)
    # ties rising 1 % of their level per window: within 5 %; 10 % per window: not
    slow = dict(flat, ties_mean=3.0 * (1 + 0.001 * np.arange(40)))
    fast = dict(flat, ties_mean=3.0 * (1 + 0.01 * np.arange(40)))
    assert steady(slow, p) and not steady(fast, p)


def test_a_relative_tolerance_of_a_series_at_zero():
    p = params()
    zero = {"trust_mean": np.full(40, 0.4), "ties_mean": np.zeros(40)}
    assert steady(zero, p)
    rising = dict(zero, ties_mean=np.r_[np.zeros(30), np.ones(10)])
    assert not steady(rising, p)


def test_the_monitor_stops_when_an_exponential_approach_is_within_tolerance():
    """x(t) = 0.4 - 0.2 exp(-t / 50): the difference of two 10-week window means is about
    0.2 exp(-t / 50) (1 - exp(-10 / 50)) at the later window's start, within 0.01 once t > 50 ln(3.6) = 64,
    i.e. at the first check (every 5 weeks) after 10 + 64 = 74 weeks."""
    p = params(tolerance_rel={})
    m = Monitor(p)
    stop = None
    for week in range(1, 500):
        m.values["trust_mean"].append(0.4 - 0.2 * np.exp(-week / 50.0))
        if m.done(week):
            stop = week
            break
    x = 0.4 - 0.2 * np.exp(-np.arange(1, 500) / 50.0)
    expected = next(w for w in range(20, 500, 5) if abs(x[w - 10:w].mean() - x[w - 20:w - 10].mean()) <= 0.01)
    assert stop == expected and 70 <= stop <= 80 and m.converged


def test_the_monitor_waits_for_min_weeks_and_gives_up_at_max_weeks():
    p = params(min_weeks=100, max_weeks=300, tolerance_rel={})
    m = Monitor(p)
    weeks = 0
    while True:
        weeks += 1
        m.values["trust_mean"].append(0.4)  # flat from the start
        if m.done(weeks):
            break
    assert weeks == 100 and m.converged
    m = Monitor(p)
    weeks = 0
    while True:
        weeks += 1
        m.values["trust_mean"].append(0.002 * weeks)  # a trend for ever: 0.02 a window
        if m.done(weeks):
            break
    assert weeks == 300 and not m.converged


@pytest.mark.parametrize("override,key", [
    (["spinup.min_weeks=600", "spinup.max_weeks=500"], "spinup.max_weeks"),
    (["+spinup.tolerance_abs.ties_rising=0.1"], "spinup.tolerance_abs.ties_rising"),
    (["+spinup.tolerance_rel.trust_mean=0.1"], "spinup.tolerance_rel.trust_mean"),
    (["spinup.households=sometimes"], "spinup.households"),
])
def test_bad_spinup_settings_are_refused(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        compose(override)


# --- the model's spin-up ------------------------------------------------------------------------------------
SHORT = ("spinup.min_weeks=60", "spinup.window=20", "spinup.check_every=4")


def test_week_0_follows_the_spin_up_with_every_date_before_it():
    m = NeighbourhoodModel(config=compose([*SHORT, "spinup.max_weeks=200"]), seed=1)
    assert m.week == 0 and 60 <= m.spinup_weeks <= 200
    assert m.spinup_converged == (m.spinup_weeks < 200 or m.spinup.converged)
    hh, t = m.households, m.ties
    assert len(t) > 0 and t.born.max() <= -1 and t.last_contact.max() == -1
    helped = t.last_help_uv[t.last_help_uv != NEVER]
    assert len(helped) and helped.max() <= -1 and helped.min() >= -m.spinup_weeks
    assert hh.moved_in[hh.occupied].max() <= -1
    newcomers = hh.moved_in[hh.occupied] >= -m.spinup_weeks
    assert newcomers.any() and (~newcomers).any()  # households that arrived during the spin-up, and before
    assert (m.conflicts.start <= -1).all()
    # the event log kept the spin-up's weeks: at week 0 the windows are full
    assert m.events.weeks(52) == 52 and m.events.total("moves_out", 52) > 0
    ind = m.indicators()
    assert ind["needs_unmet_share"] == ind["needs_unmet_share"] and ind["turnover_per_year"] > 0


def test_renumbering_an_early_stop_changes_nothing():
    """A spin-up that stops early (after 104 weeks of at most 156) and one that runs exactly 104 weeks run the
    same weeks; the first is renumbered by 52 weeks (a multiple of the assemblies' 4 and the graph's 13),
    so both models are identical from week 0 on, bit for bit."""
    fixed = compose(["neighbourhood=coop_housing", "spinup.min_weeks=104", "spinup.max_weeks=104", "steps=30"])
    early = compose(["neighbourhood=coop_housing", "spinup.min_weeks=104", "spinup.max_weeks=156", "steps=30",
                     "spinup.check_every=52", "spinup.tolerance_abs.trust_mean=1", "spinup.tolerance_abs.satisfaction_mean=1",
                     "spinup.tolerance_abs.isolated_share=1", "spinup.tolerance_abs.occupancy_share=1",
                     "spinup.tolerance_rel.ties_mean=10", "spinup.tolerance_rel.conflicts_open=10"])
    a, b = NeighbourhoodModel(config=fixed, seed=4), NeighbourhoodModel(config=early, seed=4)
    assert a.spinup_weeks == b.spinup_weeks == 104 and b.spinup_converged
    for _ in range(30):
        a.step()
        b.step()
    da, db = a.datacollector.get_model_vars_dataframe(), b.datacollector.get_model_vars_dataframe()
    assert da.drop(columns="by_type").equals(db.drop(columns="by_type"))
    assert np.array_equal(a.ties.key, b.ties.key) and np.array_equal(a.ties.born, b.ties.born)


def test_every_policy_of_a_seed_starts_from_the_same_state():
    cfgs = [compose([*SHORT, "spinup.max_weeks=100", f"policy={p}"]) for p in ("baseline", "portierato", "full_package")]
    models = [NeighbourhoodModel(config=c, seed=2, collect=False) for c in cfgs]
    base = models[0]
    for m in models[1:]:
        assert m.spinup_weeks == base.spinup_weeks
        assert np.array_equal(m.ties.key, base.ties.key) and np.array_equal(m.ties.strength, base.ties.strength)
        assert np.array_equal(m.households.trust, base.households.trust)
        assert m.waiting_list == base.waiting_list and len(m.conflicts) == len(base.conflicts)


def test_keeping_the_households_keeps_them_and_their_ages():
    cfg = compose(["spinup.min_weeks=104", "spinup.max_weeks=104", "spinup.households=keep"])
    m = NeighbourhoodModel(config=cfg, seed=3, collect=False)
    renewed = NeighbourhoodModel(config=compose(["spinup.min_weeks=104", "spinup.max_weeks=104"]), seed=3,
                                 collect=False)
    assert (m.households.hid[m.households.occupied] < m.households.occupied.sum() + 10).all()
    assert m.households.next_hid == int(m.households.occupied.sum())  # nobody came: the ids of the start
    assert renewed.households.next_hid > renewed.households.occupied.sum()  # some came and went
    assert len(m.ties) > 0
    # heads did not age: the same ages as a model without a spin-up, drawn from the same stream
    none = NeighbourhoodModel(config=compose(["spinup.min_weeks=0", "spinup.max_weeks=0"]), seed=3, collect=False)
    occ = m.households.occupied
    assert np.array_equal(occ, none.households.occupied)
    assert np.array_equal(m.households.age_head[occ], none.households.age_head[occ])


def test_a_households_csv_is_kept_through_the_spin_up():
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs" / "examples"
    cfg = compose([f"neighbourhood.buildings_csv={docs / 'buildings.csv'}",
                   f"neighbourhood.households_csv={docs / 'households.csv'}", "spinup.max_weeks=104",
                   "spinup.min_weeks=104"])
    m = NeighbourhoodModel(config=cfg, collect=False)
    assert int(m.households.occupied.sum()) == 8 and m.households.next_hid == 8
    assert m.households.age_head[m.space.unit_at("Torre", 0, 0, 0)] == 82


# --- runs started from a shared spun-up state (experiments.spinups) -----------------------------------------
@pytest.mark.parametrize("policy", ["baseline", "portierato", "ers_fund", "regeneration", "full_package"])
def test_a_run_from_the_snapshot_writes_the_same_files_as_one_spinning_up_by_itself(policy, tmp_path):
    """One snapshot (taken under another policy) starts every policy: its result files are byte-identical to
    those of the run that spins up by itself, levers that add buildings and units (ers_fund, regeneration)
    included."""
    from experiments.outputs import write_run
    from experiments.run import simulate

    overrides = ["spinup=short", "steps=60", "seed=5"]
    state = NeighbourhoodModel(config=compose([*overrides, "policy=timebank"]), start=False).snapshot()
    # the ERS building is delivered within the run (its default delay is 104 weeks)
    cfg = compose([*overrides, f"policy={policy}", *(["policy.ers_fund.delay_weeks=20"] * (policy == "ers_fund"))])
    alone, shared = NeighbourhoodModel(config=cfg), NeighbourhoodModel.from_snapshot(state, cfg)
    units, habitable = alone.space.n_units, int(alone.space.habitable.sum())
    for model, name in ((alone, "alone"), (shared, "shared")):
        simulate(model, cfg.steps)
        write_run(tmp_path / name, model, cfg)
    for f in ("timeseries.parquet", "costs.parquet", "by_group.parquet", "config.yaml"):
        assert (tmp_path / "alone" / f).read_bytes() == (tmp_path / "shared" / f).read_bytes(), f
    assert shared.space.n_units == alone.space.n_units
    if policy == "ers_fund":  # the levers really changed the stock the state was taken with
        assert shared.space.n_units > units
    if policy == "regeneration":
        assert int(shared.space.habitable.sum()) > habitable


def test_a_snapshot_keeps_every_random_stream_and_the_agent_ids():
    import dataclasses

    cfg = compose(["spinup=short", "policy=portierato"])
    base = NeighbourhoodModel(config=cfg, seed=2, start=False)
    model = NeighbourhoodModel.from_snapshot(base.snapshot(), dataclasses.replace(cfg, seed=2))
    assert model.rng.bit_generator.state == base.rng.bit_generator.state
    assert model.random.getstate() == base.random.getstate()
    assert model.moving.rng.bit_generator.state == base.moving.rng.bit_generator.state
    alone = NeighbourhoodModel(config=cfg, seed=2)
    assert [a.unique_id for a in model.levers] == [a.unique_id for a in alone.levers]


def test_a_snapshot_refuses_another_seed_or_other_settings_and_a_started_model():
    import dataclasses

    cfg = compose(["spinup=short", "seed=1"])
    state = NeighbourhoodModel(config=cfg, start=False).snapshot()
    with pytest.raises(ValueError, match="seed"):
        NeighbourhoodModel.from_snapshot(state, dataclasses.replace(cfg, seed=2))
    other = compose(["spinup=short", "seed=1", "help.willingness=0.5"])
    with pytest.raises(ValueError, match="other settings"):
        NeighbourhoodModel.from_snapshot(state, other)
    NeighbourhoodModel.from_snapshot(state, compose(["spinup=short", "seed=1", "policy=mediation", "steps=9"]))
    with pytest.raises(RuntimeError, match="before the levers"):
        NeighbourhoodModel(config=cfg).snapshot()
