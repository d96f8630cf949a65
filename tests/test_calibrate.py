"""python -m experiments.calibrate: the checks before any work, the priors and parameter setting, one evaluation,
the posterior file, and the `test` calibration run for real end to end, then resumed from its database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from abm.config import compose
from abm.errors import ConfigError
from experiments.calibrate import prepare
from experiments.calibration.config import compose_calibrate
from experiments.calibration.evaluate import seeds_for
from experiments.calibration.parameters import apply, locate, overrides, prior_of
from experiments.calibration.posterior import Posterior, read
from tests.sweep_helpers import ROOT


def calibrate_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "experiments.calibrate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


# --- priors and parameters ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base():
    return compose([])


def test_a_prior_is_the_declared_range_unless_narrowed(base):
    p = prior_of(base, "encounters.tie_formation", None, None)
    assert (p.lo, p.hi, p.integer) == (0.0, 1.0, False)       # declared param(0.03, lo=0.0, hi=1.0)
    p = prior_of(base, "encounters.tie_formation", 0.01, 0.1)
    assert (p.lo, p.hi, p.declared) == (0.01, 0.1, (0.0, 1.0))
    p = prior_of(base, "moving.base_annual.erp", None, 0.1)     # a dict-valued parameter: its range per entry
    assert (p.lo, p.hi) == (0.0, 0.1)
    assert prior_of(base, "help.max_asks", None, None).integer


PRIOR_ERRORS = [
    ("encounters.tie_formaton", None, None),        # no such parameter
    ("moving.base_annual.castle", None, None),      # no such entry
    ("encounters.tie_formation", 0.0, 2.0),         # beyond the declared range
    ("encounters.tie_formation", 0.2, 0.1),         # lo > hi
    ("policy.timebank.enabled", None, None),        # a switch
    ("policy.portierato.payer", None, None),        # a choice of texts
    ("help.need_rates", None, None),                # a table
    ("neighbourhood.initial_waiting_list", None, None),  # no finite declared upper bound, none given
]


@pytest.mark.parametrize("key,lo,hi", PRIOR_ERRORS, ids=[e[0] + f"[{e[1]},{e[2]}]" for e in PRIOR_ERRORS])
def test_a_bad_prior_is_refused_naming_the_parameter(base, key, lo, hi):
    with pytest.raises(ConfigError) as e:
        prior_of(base, key, lo, hi)
    assert e.value.key.startswith(f"calibration.parameters.{key}")


def test_apply_sets_values_rounds_integers_validates_and_leaves_the_base_alone(base):
    priors = {k: prior_of(base, k, None, None) for k in ("moving.base_annual.erp", "help.max_asks")}
    erp, asks = base.moving.base_annual["erp"], base.help.max_asks
    out = apply(base, priors, {"moving.base_annual.erp": 0.011, "help.max_asks": 4.6})
    assert out.moving.base_annual["erp"] == 0.011 and out.help.max_asks == 5 and isinstance(out.help.max_asks, int)
    assert base.moving.base_annual["erp"] == erp != 0.011 and base.help.max_asks == asks != 5
    # a cross-field rule refuses a set of values (initial strength below the dissolution threshold)
    two = {k: prior_of(base, k, None, None) for k in ("encounters.initial_strength", "encounters.dissolve_threshold")}
    with pytest.raises(ConfigError):
        apply(base, two, {"encounters.initial_strength": 0.1, "encounters.dissolve_threshold": 0.2})


def test_overrides_give_the_same_configuration_as_apply(base):
    priors = {k: prior_of(base, k, None, None) for k in ("moving.base_annual.erp", "help.max_asks",
                                                          "encounters.tie_formation")}
    values = {"moving.base_annual.erp": 0.0123456789012345, "help.max_asks": 2.4, "encounters.tie_formation": 0.07}
    via_hydra = compose(overrides(priors, values))
    via_apply = apply(base, priors, values)
    for key in priors:
        assert locate(via_hydra, key)[2] == locate(via_apply, key)[2]


def test_seeds_are_a_pure_function_of_seed_stream_values_and_draw():
    v = {"a": 0.1, "b": 2.0}
    s = seeds_for(0, "abc", v, 3)
    assert s == seeds_for(0, "abc", dict(reversed(list(v.items()))), 3)   # order of keys does not matter
    assert len(set(s)) == 3 and all(0 <= x < 2**63 for x in s)
    others = [seeds_for(1, "abc", v, 3), seeds_for(0, "predictive", v, 3),
              seeds_for(0, "abc", {**v, "a": 0.1 + 1e-15}, 3), seeds_for(0, "abc", v, 3, draw=1)]
    assert all(o != s for o in others)


# --- the configuration checked before any work ------------------------------------------------------------------------
BAD_CONFIG = [
    ("++calibration.parameters={encounters.tie_formaton:{}}", "calibration.parameters.encounters.tie_formaton"),
    ("calibration.population_size=1", "calibration.population_size"),
    ("calibration.replicates=0", "calibration.replicates"),
    ("calibration.sampler.kind=gpu", "calibration.sampler.kind"),
    ("calibration.distance=euclid", "calibration.distance"),
    ("calibration.targets=[erp_turnover,nope]", "calibration.targets[1]"),
    ("calibration.validate=[erp_turnover]", "calibration.validate"),       # also calibrated against
    ("calibration.targets=[ever_quarrelled_with_neighbours]", "calibration.targets"),  # all marked requires
    ("calibration.model=['steps=0']", "calibration.model: steps"),
    ("calibration.model=['steps=104']", "targets.households_no_neighbour_contact.args.years"),  # year 3 not run
    ("calibration.model=['nonsense=1']", "calibration.model"),
    ("calibration.max_walltime_minutes=0", "calibration.max_walltime_minutes"),
]


@pytest.mark.parametrize("override,key", BAD_CONFIG, ids=[b[0] for b in BAD_CONFIG])
def test_a_bad_calibration_config_is_refused_naming_the_key(override, key):
    with pytest.raises(ConfigError) as e:
        prepare(compose_calibrate(["calibration=test", override]))
    assert e.value.key == key, str(e.value)


def test_the_default_calibration_gives_every_computable_target_a_role_and_skips_the_others_saying_why():
    # the shipped choice: every target the model computes is calibrated against or kept for validation
    setup = prepare(compose_calibrate([]))
    computable = [n for n, t in setup.targets.items() if t.active]
    assert sorted(setup.used + setup.validation) == sorted(computable) and not set(setup.used) & set(setup.validation)
    # at least 6 published targets in all (issue 14), several patterns to fit and at least 2 left for validation
    assert len(setup.used) + len(setup.validation) >= 6 and len(setup.used) >= 3 and len(setup.validation) >= 2
    # targets sharing their scenario share runs: one scenario per distinct set of overrides
    assert set(setup.scenarios) == {tuple(setup.targets[n].scenario) for n in setup.used + setup.validation}
    # with every target selected, those marked `requires` are skipped, saying what they require
    every = prepare(compose_calibrate(["calibration.targets=null"]))
    assert every.skipped and all(why.strip() for why in every.skipped.values())
    assert set(every.skipped) == {n for n, t in every.targets.items() if not t.active}
    assert not set(every.skipped) & set(every.used)


def test_the_proposal_kernel_is_scaled_as_configured_and_the_default_keeps_older_fingerprints():
    from experiments.calibrate import make_abc, make_sampler

    setup = prepare(compose_calibrate(["calibration=test"]))
    wide = prepare(compose_calibrate(["calibration=test", "calibration.transition_scaling=4.5"]))
    assert make_abc(setup, make_sampler(setup.cal)).transitions[0].scaling == 1.0
    assert make_abc(wide, make_sampler(wide.cal)).transitions[0].scaling == 4.5
    # another kernel is another calibration (not resumed from the same database); the default adds nothing
    assert wide.fingerprint != setup.fingerprint
    shipped = json.loads((ROOT / "data/posterior/bologna/calibration.json").read_text())
    assert prepare(compose_calibrate([])).fingerprint == shipped["fingerprint"]


def test_an_evaluation_is_the_mean_over_its_seeds_and_repeats_exactly():
    setup = prepare(compose_calibrate(["calibration=test"]))
    ev = setup.evaluator()
    values = {"encounters.tie_formation": 0.04, "moving.base_annual.erp": 0.02}
    both = ev.evaluate(values, [11, 12])
    one, two = ev.evaluate(values, [11]), ev.evaluate(values, [12])
    for n in setup.used:
        assert both[n] == pytest.approx((one[n] + two[n]) / 2, rel=1e-12)
    assert ev.evaluate(values, [11, 12]) == both
    # refused values are infinitely far: NaN for every target
    bad = setup.evaluator()
    bad.priors = {"encounters.initial_strength": prior_of(compose([]), "encounters.initial_strength", None, None)}
    assert all(np.isnan(x) for x in bad.evaluate({"encounters.initial_strength": 0.01}, [1]).values())


# --- the posterior file ----------------------------------------------------------------------------------------
def test_a_posterior_round_trips_bit_for_bit_and_draws_by_weight(tmp_path, base):
    priors = {k: prior_of(base, k, None, None) for k in ("encounters.tie_formation", "help.max_asks")}
    rng = np.random.default_rng(3)
    values = pd.DataFrame({"encounters.tie_formation": rng.random(50) / 7, "help.max_asks": rng.random(50) * 20})
    w = rng.random(50)
    post = Posterior(priors, values, w / w.sum(), {"calibration": "x", "run_id": 1})
    post.write(tmp_path)
    back = read(tmp_path)
    assert back.priors == post.priors and back.meta == post.meta
    assert np.array_equal(back.weights, post.weights)
    pd.testing.assert_frame_equal(back.values, post.values, check_exact=True)
    csv = pd.read_csv(tmp_path / "posterior.csv", float_precision="round_trip")
    assert np.array_equal(csv["weight"].to_numpy(), post.weights)
    assert np.array_equal(csv["help.max_asks"].to_numpy(), post.values["help.max_asks"].to_numpy())
    d = back.draw(4000, seed=5)
    assert d.equals(back.draw(4000, seed=5))
    share = np.bincount(d["particle"], minlength=50) / 4000
    assert np.abs(share - post.weights).max() < 0.03        # drawn in proportion to the weights
    assert back.overrides(d.iloc[0]) == overrides(priors, {k: d.iloc[0][k] for k in priors})


def test_a_file_that_is_not_a_posterior_is_refused(tmp_path):
    (tmp_path / "posterior.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ConfigError):
        read(tmp_path)
    with pytest.raises(ConfigError):
        read(tmp_path / "missing.json")


# --- the test calibration, for real ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration") / "test"
    r = calibrate_cli("calibration=test", f"hydra.run.dir={out}")
    assert r.returncode == 0, r.stderr[-3000:]
    return out, r


@pytest.mark.xdist_group("calibration_run")
def test_the_test_calibration_writes_every_output(calibrated):
    out, r = calibrated
    assert "generation 1 of 1" in r.stderr and "Accepted" in r.stderr          # progress
    meta = json.loads((out / "calibration.json").read_text())
    assert meta["status"] == "done" and meta["generations"] == 1 and meta["evaluations"] > 0
    post = read(out)
    assert len(post.values) == 8 and post.meta["run_id"] == meta["run_id"]
    for key, p in post.priors.items():
        assert ((post.values[key] >= p.lo) & (post.values[key] <= p.hi)).all()
        png = out / "prior_posterior" / f"{key}.png"
        assert png.read_bytes()[:4] == b"\x89PNG"
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit["target"]) == ["erp_turnover", "households_no_neighbour_contact",
                                   "households_with_neighbour_friend"]
    assert list(fit["role"]) == ["calibrated", "calibrated", "validation"]
    assert (fit["q05"] <= fit["median"]).all() and (fit["median"] <= fit["q95"]).all() and (fit["draws"] == 4).all()
    assert (out / "fit.png").read_bytes()[:4] == b"\x89PNG"
    pred = pd.read_csv(out / "predictive.csv")
    assert len(pred) == 4 and set(fit["target"]) <= set(pred.columns)
    gens = pd.read_csv(out / "generations.csv")
    assert list(gens["t"]) == [0] and gens["epsilon"].iloc[0] > 0


@pytest.mark.xdist_group("calibration_run")
def test_resuming_continues_the_same_run_from_its_database(calibrated, tmp_path):
    out, _ = calibrated
    before = json.loads((out / "calibration.json").read_text())
    r = calibrate_cli("calibration=test", "calibration.max_populations=2", f"hydra.run.dir={out}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"resuming run {before['run_id']}" in r.stderr
    after = json.loads((out / "calibration.json").read_text())
    assert after["run_id"] == before["run_id"] and after["generations"] == 2
    assert after["evaluations"] > before["evaluations"]
    gens = pd.read_csv(out / "generations.csv")
    assert list(gens["t"]) == [0, 1] and gens["epsilon"].iloc[1] <= gens["epsilon"].iloc[0]
    assert read(out).meta["generation"] == 1
    # a changed configuration is not mixed into the same database
    r = calibrate_cli("calibration=test", "calibration.seed=7", "calibration.max_populations=3", f"hydra.run.dir={out}")
    assert r.returncode != 0 and "another configuration" in r.stderr
    assert json.loads((out / "calibration.json").read_text())["generations"] == 2


@pytest.mark.slow
@pytest.mark.xdist_group("calibration_run")
def test_a_stopped_or_killed_calibration_resumed_equals_one_run_through(calibrated, tmp_path):
    """With the single-process sampler, 1 generation then 1 more, or a run killed during its second generation
    and started again, gives the posterior of 2 generations in one go, bit for bit."""
    resumed, _ = calibrated
    if json.loads((resumed / "calibration.json").read_text())["generations"] != 2:
        r = calibrate_cli("calibration=test", "calibration.max_populations=2", f"hydra.run.dir={resumed}")
        assert r.returncode == 0
    through = tmp_path / "through"
    r = calibrate_cli("calibration=test", "calibration.max_populations=2", f"hydra.run.dir={through}")
    assert r.returncode == 0, r.stderr[-3000:]
    killed = tmp_path / "killed"
    args = [sys.executable, "-m", "experiments.calibrate", "calibration=test", "calibration.max_populations=2",
            f"hydra.run.dir={killed}"]
    proc = subprocess.Popen(args, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:                      # kill it once its second generation has started
        if "generation 2 of 2" in line:
            proc.kill()
            break
    proc.wait()
    assert not (killed / "posterior.csv").exists()
    r = calibrate_cli("calibration=test", "calibration.max_populations=2", f"hydra.run.dir={killed}")
    assert r.returncode == 0 and "resuming run 1" in r.stderr, r.stderr[-3000:]
    for name in ("posterior.csv", "predictive.csv", "fit.csv"):
        assert (through / name).read_bytes() == (resumed / name).read_bytes() == (killed / name).read_bytes(), name


def test_bad_input_on_the_command_line_stops_before_anything_is_written(tmp_path):
    out = tmp_path / "never"
    r = calibrate_cli("calibration=test", "++calibration.parameters={help.willingnes:{}}", f"hydra.run.dir={out}")
    assert r.returncode == 2
    assert "calibration.parameters.help.willingnes" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
