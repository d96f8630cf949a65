"""Morris screening: the design, its application to a run's configuration, and a tiny end-to-end screening."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from abm.errors import ConfigError
from experiments.sensitivity import DEFAULT_INDICATORS, apply_design, compose_experiment, design_of
from tests.sweep_helpers import ROOT, env

#: three parameters, two trajectories: 8 design points
TINY = ["steps=26", "seed=0", "~output.morris.parameters",
        "+output.morris.parameters={encounters.tie_formation:[0.015,0.06],help.willingness:[0.4,0.9],"
        "conflict.base_rate:[0.003,0.012]}", "output.morris.trajectories=2"]


def test_the_design_covers_the_ranges_with_one_step_per_parameter():
    spec = compose_experiment([]).output.morris
    problem, design = design_of(spec)
    k = len(spec.parameters)
    assert 8 <= k <= 12 and list(design.columns) == list(spec.parameters)
    assert len(design) == spec.trajectories * (k + 1)
    for key, (lo, hi) in spec.parameters.items():
        assert design[key].min() >= lo and design[key].max() <= hi
        assert design[key].nunique() <= spec.levels
    # within a trajectory consecutive points differ in exactly one parameter
    x = design.to_numpy().reshape(spec.trajectories, k + 1, k)
    assert ((np.diff(x, axis=1) != 0).sum(axis=2) == 1).all()
    assert design.equals(design_of(spec)[1])  # the design seed makes it reproducible


@pytest.mark.parametrize("experiment", ["sensitivity", "portierato_sensitivity"])
def test_screened_parameters_exist_and_their_ranges_hold_the_defaults(experiment):
    cfg = compose_experiment([], experiment)
    for key, (lo, hi) in cfg.output.morris.parameters.items():
        default = OmegaConf.select(cfg, key)
        assert default is not None, key
        assert lo <= default <= hi, (key, default, lo, hi)
    if experiment == "portierato_sensitivity":
        assert cfg.policy.portierato.enabled and all(k.startswith("policy.portierato.") for k in cfg.output.morris.parameters)


def test_apply_design_sets_the_row_before_validation(tmp_path):
    path = tmp_path / "design.csv"
    pd.DataFrame({"help.willingness": [0.5, 0.8], "help.max_asks": [2.0, 5.0]}).to_csv(path, index=False)
    cfg = OmegaConf.create({"help": {"willingness": 0.7, "max_asks": 3},
                            "output": {"design": str(path), "design_row": 1}})
    apply_design(cfg)
    assert cfg.help.willingness == 0.8 and cfg.help.max_asks == 5 and isinstance(cfg.help.max_asks, int)
    cfg.output.design_row = 2
    with pytest.raises(ConfigError, match="output.design_row"):
        apply_design(cfg)
    pd.DataFrame({"help.nothing": [1.0]}).to_csv(path, index=False)
    cfg.output.design_row = 0
    with pytest.raises(ConfigError, match="help.nothing"):
        apply_design(cfg)


@pytest.mark.slow
def test_tiny_morris_screening_ranks_parameters(tmp_path):
    d = tmp_path / "sens"
    overrides = [*TINY, f"hydra.sweep.dir={d}", "hydra.launcher.n_jobs=2"]
    run = subprocess.run([sys.executable, "-m", "experiments.sensitivity", "sample", *overrides], cwd=ROOT,
                         env=env(), capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-3000:]
    design = pd.read_csv(d / "design.csv", float_precision="round_trip")
    assert design.shape == (8, 3)
    for row in (0, 5):  # each run ran its own design point
        cfg = yaml.safe_load((d / f"output.design_row={row},steps=26" / "seed0" / "config.yaml").read_text())
        assert cfg["encounters"]["tie_formation"] == design.loc[row, "encounters.tie_formation"]
        assert cfg["conflict"]["base_rate"] == design.loc[row, "conflict.base_rate"]
    ana = subprocess.run([sys.executable, "-m", "experiments.sensitivity", "analyse", str(d)], cwd=ROOT,
                         env=env(), capture_output=True, text=True, timeout=600)
    assert ana.returncode == 0, ana.stderr[-3000:]
    morris = pd.read_csv(d / "morris.csv")
    assert set(morris["indicator"]) == set(DEFAULT_INDICATORS)
    for ind in ("cohesion_index", "neomutualism_index"):
        m = morris[morris.indicator == ind]
        assert sorted(m["parameter"]) == sorted(design.columns)
        assert m["rank"].tolist() == [1, 2, 3] and m["mu_star"].is_monotonic_decreasing
        assert (m["mu_star"] >= 0).all() and m["mu_star"].notna().all()
    # the mechanisms show: the base rate of conflicts moves the open conflicts most, upwards; willingness to
    # help and tie formation (more helpers) both raise the needs met by neighbours (which of the two more
    # depends on the ranges); the composite neomutualism index also moves with participation, which they
    # do not drive
    conf = morris[morris.indicator == "conflicts_open"].set_index("parameter")
    assert conf.loc["conflict.base_rate", "rank"] == 1 and conf.loc["conflict.base_rate", "mu"] > 0
    neo = morris[morris.indicator == "needs_met_neighbours_share"].set_index("parameter")
    assert neo.loc["help.willingness", "mu"] > 0 and neo.loc["encounters.tie_formation", "mu"] > 0
    assert {neo.loc["help.willingness", "rank"], neo.loc["encounters.tie_formation", "rank"]} == {1, 2}
