"""Global sensitivity of lever effects (experiments.effect_sensitivity): the noise floor against what seed noise
gives by theory, its fall with the number of seeds, a parameter that matters rising above it; and a tiny
screening of the portierato's effect run end to end."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments.effect_sensitivity import COLUMNS, morris_indices, noise_floor, noise_outcomes
from tests.sweep_helpers import ROOT, env

LEVELS = 4
#: SALib's Morris step for 4 levels, in units of a parameter's range: p / (2 (p - 1))
DELTA = LEVELS / (2 * (LEVELS - 1))


def design(k: int, trajectories: int, seed: int = 3):
    from SALib.sample import morris

    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    return problem, morris.sample(problem, trajectories, num_levels=LEVELS, seed=seed)


def seed_noise(n_points: int, n_seeds: int, sigma: float, seed: int) -> np.ndarray:
    """Independent seed noise of sd ``sigma``: design points x seeds."""
    return np.random.default_rng(seed).normal(0.0, sigma, (n_points, n_seeds))


def test_the_noise_floor_is_the_mu_star_that_seed_noise_gives_by_theory():
    # pure noise, independent across points: an elementary effect is the difference of two means of S seeds
    # over the step, N(0, 2 sigma^2 / S) / DELTA, whose mean absolute value is 2 sigma / (DELTA sqrt(pi S))
    problem, x = design(4, 40)
    sigma, n_seeds = 0.05, 8
    d = seed_noise(len(x), n_seeds, sigma, 1)
    floor, floor95 = noise_floor(problem, x, d, LEVELS, 40, 7)
    theory = 2 * sigma / (DELTA * math.sqrt(math.pi * n_seeds))
    assert floor == pytest.approx(theory, rel=0.1)
    assert floor < floor95 < 2 * floor
    # and the mu* of the full-seed means of that same noise is of the floor's size: no parameter matters
    stars = morris_indices(problem, x, d.mean(axis=1), LEVELS, 0)["mu_star"]
    assert np.mean(stars) == pytest.approx(theory, rel=0.25)


def test_each_split_has_the_noise_variance_of_the_full_mean():
    d = seed_noise(4000, 6, 1.0, 2)  # odd halves too: 5 seeds
    for n_seeds in (6, 5):
        z = noise_outcomes(d[:, :n_seeds], 3, 11)
        for zi in z:
            assert np.var(zi) == pytest.approx(1.0 / n_seeds, rel=0.08)
            assert abs(np.mean(zi)) < 0.05
    with pytest.raises(Exception, match="at least 2"):
        noise_outcomes(d[:, :1], 1, 0)


def test_the_floor_falls_as_one_over_the_root_of_the_seeds():
    problem, x = design(4, 30)
    few = noise_floor(problem, x, seed_noise(len(x), 4, 0.05, 3), LEVELS, 30, 7)[0]
    many = noise_floor(problem, x, seed_noise(len(x), 16, 0.05, 3), LEVELS, 30, 7)[0]
    assert few / many == pytest.approx(2.0, rel=0.2)


def test_a_parameter_that_moves_the_effect_rises_above_the_floor_the_others_do_not():
    problem, x = design(4, 20)
    sigma = 0.05
    effect = 0.2 * x[:, 0]  # only x0 matters: mu* = 0.2 (linear over the whole range)
    d = effect[:, None] + seed_noise(len(x), 8, sigma, 4)
    si = morris_indices(problem, x, d.mean(axis=1), LEVELS, 0)
    floor, floor95 = noise_floor(problem, x, d, LEVELS, 20, 7)
    assert si["mu_star"][0] == pytest.approx(0.2, rel=0.1) and si["mu_star"][0] > 5 * floor95
    assert all(s < 2 * floor95 for s in si["mu_star"][1:])


@pytest.mark.slow
def test_tiny_screening_of_the_portierato_effect(tmp_path):
    d = tmp_path / "effects"
    run = subprocess.run([sys.executable, "-m", "experiments.sensitivity", "sample", "--experiment",
                          "effect_sensitivity_test", f"hydra.sweep.dir={d}", "hydra.launcher.n_jobs=2"],
                         cwd=ROOT, env=env(), capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-3000:]
    design_rows = pd.read_csv(d / "design.csv", float_precision="round_trip")
    lever = "policy.portierato.brokering.tie_probability"
    # a lever-only parameter cannot move the baseline: design points that differ only in it give the baseline
    # the same weekly series, bit for bit; the portierato's runs differ
    changed = design_rows.diff().fillna(0.0).ne(0.0)
    only_lever = [i for i in range(1, len(design_rows)) if changed.iloc[i].tolist() == [c == lever for c in design_rows.columns]]
    assert only_lever
    i = only_lever[0]

    def series(policy, row):
        return (d / f"output.design_row={row},policy={policy}/seed0/timeseries.parquet").read_bytes()

    assert series("baseline", i) == series("baseline", i - 1)
    assert series("portierato", i) != series("portierato", i - 1)
    cfg = yaml.safe_load((d / f"output.design_row={i},policy=portierato/seed0/config.yaml").read_text())
    assert cfg["policy"]["portierato"]["brokering"]["tie_probability"] == design_rows.loc[i, lever]

    ana = subprocess.run([sys.executable, "-m", "experiments.sensitivity", "effects", str(d)], cwd=ROOT, env=env(),
                         capture_output=True, text=True, timeout=600)
    assert ana.returncode == 0, ana.stderr[-3000:]
    res = pd.read_csv(d / "effect_morris.csv")
    assert list(res.columns) == COLUMNS
    assert set(res["scenario"]) == {"portierato"} and set(res["baseline"]) == {"baseline"}
    assert set(res["indicator"]) == {"cohesion_index", "needs_met_neighbours_share"}
    assert (res["design_points"] == 8).all() and (res["seeds"] == 4).all() and (res["statistic"] == "period_mean").all()
    assert (res["above_noise"] == (res["mu_star"] > res["noise_floor_q95"])).all()
    # more brokered ties per introduction: the portierato meets more needs through neighbours
    met = res[res.indicator == "needs_met_neighbours_share"].set_index("parameter")
    assert met.loc[lever, "mu"] > 0 and bool(met.loc[lever, "above_noise"])
    assert (d / "effect_morris.png").stat().st_size > 10_000
    assert "above the noise floor" in ana.stdout
