"""The shipped posterior of the calibration against the Bologna targets (data/posterior/bologna/) and the
posterior group that points at it: it loads, its weights sum to 1, every parameter exists in the model's
configuration and every value lies within its prior, the priors are those the calibration config declares,
its files agree with each other, and its parameter sets make valid runs of the `make run` job."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from abm.config import compose
from experiments import ensemble
from experiments.calibration.parameters import apply, locate
from experiments.calibration.posterior import read
from tests.sweep_helpers import ROOT

DIR = ROOT / "data/posterior/bologna"


@pytest.fixture(scope="module")
def post():
    return read(DIR / "posterior.json")


@pytest.fixture(scope="module")
def cal():
    return json.loads((DIR / "calibration.json").read_text(encoding="utf-8"))


def test_it_loads_and_its_weights_sum_to_one(post):
    assert len(post.weights) >= 10 and (post.weights >= 0).all()
    assert post.weights.sum() == pytest.approx(1.0, abs=1e-9)
    assert post.meta["generation"] >= 3  # at least 4 generations (which configuration: test_calibrate's fingerprint)
    # not collapsed onto a few sets: the report names a posterior below this as understating parametric uncertainty
    from experiments.calibration.posterior import effective_sample_size
    from experiments.report.ensemble import MIN_EFFECTIVE_SETS

    assert effective_sample_size(post.weights) >= MIN_EFFECTIVE_SETS


def test_every_parameter_exists_in_the_model_and_every_value_is_within_its_prior(post):
    config = compose([])
    for key, prior in post.priors.items():
        locate(config, key)  # ConfigError if the model has no such parameter
        lo, hi = prior.declared
        assert lo <= prior.lo < prior.hi <= hi, key  # the prior is within the parameter's declared range
        values = post.values[key].to_numpy()
        assert ((values >= prior.lo) & (values <= prior.hi)).all(), key


def test_the_priors_are_those_of_the_calibration_config(post, cal):
    declared = yaml.safe_load((ROOT / "configs/calibration/default.yaml").read_text(encoding="utf-8"))
    assert list(post.priors) == list(declared["parameters"]) == list(cal["parameters"])
    for key, bounds in declared["parameters"].items():
        p = post.priors[key]
        assert (p.lo, p.hi) == (bounds.get("lo", p.declared[0]), bounds.get("hi", p.declared[1])), key
    assert post.meta["fingerprint"] == cal["fingerprint"]
    assert cal["targets"] == declared["targets"] and cal["validation"] == declared["validate"]


def test_the_csv_is_the_same_table_and_the_fit_covers_every_target(post, cal):
    table = pd.read_csv(DIR / "posterior.csv")
    assert np.allclose(table["weight"], post.weights)
    for key in post.priors:
        assert np.allclose(table[key], post.values[key])
    fit = pd.read_csv(DIR / "fit.csv")
    roles = dict(zip(fit["target"], fit["role"]))
    assert {n: roles[n] for n in cal["targets"]} == dict.fromkeys(cal["targets"], "calibrated")
    assert {n: roles[n] for n in cal["validation"]} == dict.fromkeys(cal["validation"], "validation")


def test_the_posterior_group_points_at_it_and_its_sets_make_valid_runs(post):
    from experiments.sensitivity import compose_experiment

    spec = ensemble.spec_of(compose_experiment(["+posterior=bologna"], "smoke"))
    assert spec.file == (DIR / "posterior.json").resolve() and spec.draws >= 2
    job = compose_experiment([], "default_job")
    assert ensemble.spec_of(job).file == spec.file
    base = compose(["neighbourhood=acer_estate"])
    for _, row in post.draw(5, seed=0).iterrows():
        apply(base, post.priors, row.to_dict())  # validated: a cross-field rule would raise ConfigError
