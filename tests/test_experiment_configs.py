"""The experiment configs compose into valid run configurations and sweep what they promise."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from abm.config import CONFIG_DIR
from abm.config import compose as compose_run
from experiments.sweep import planned_jobs

#: the policy presets of issue 3
PRESETS = ["baseline", "portierato", "mediation", "shared_services", "timebank", "community_coop", "regeneration",
           "ers_fund", "full_package"]


def experiment(name: str, *overrides: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"+experiment={name}", *overrides], return_hydra_config=True)
    cfg.hydra.overrides.task = [f"+experiment={name}", *overrides]
    return cfg


def sim_of(name: str, *overrides: str):
    """The validated run configuration of one job of the experiment."""
    return compose_run([f"+experiment={name}", *overrides])


@pytest.mark.parametrize("name, runs", [("smoke", 10), ("default_job", 5 * 4 * 10), ("sensitivity", 2),
                                        ("portierato_sensitivity", 2), ("effect_sensitivity", 2 * 32),
                                        ("effect_sensitivity_test", 2 * 4)])
def test_experiments_compose_and_validate(name, runs):
    cfg = experiment(name)
    assert cfg.output.experiment == name
    assert cfg.hydra.sweep.dir == f"outputs/sweeps/{name}"  # fixed: the same command resumes
    assert len(planned_jobs(cfg)) == runs
    if "sensitivity" not in name:  # its design path needs a running Hydra app
        sim = sim_of(name)
        assert sim.neighbourhood.name == "acer_estate" and sim.steps == cfg.steps


def test_policy_comparison_lists_every_preset_with_20_seeds():
    cfg = experiment("policy_comparison")
    params = cfg.hydra.sweeper.params
    assert params.policy.split(",") == PRESETS
    assert cfg.neighbourhood.name == "acer_estate" and cfg.hydra.sweep.dir == "outputs/sweeps/policy_comparison"
    jobs = planned_jobs(cfg)
    assert len(jobs) == len(PRESETS) * 20
    assert sorted({j[1] for j in jobs}) == sorted(f"seed={s}" for s in range(20))


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_of_the_comparison_validates(preset):
    if not (CONFIG_DIR / "policy" / f"{preset}.yaml").exists():
        pytest.skip(f"configs/policy/{preset}.yaml not there yet (issue 3)")
    sim = sim_of("policy_comparison", f"policy={preset}")
    assert sim.policy.name == preset


def test_portierato_dose_goes_from_0_to_40_hours():
    if not (CONFIG_DIR / "policy" / "portierato.yaml").exists():
        pytest.skip("configs/policy/portierato.yaml not there yet (issue 3)")
    cfg = experiment("portierato_dose")
    hours = [int(h) for h in cfg.hydra.sweeper.params["policy.portierato.hours_per_week"].split(",")]
    assert hours[0] == 0 and hours[-1] == 40 and hours == sorted(hours)
    for h in (0, 40):
        assert sim_of("portierato_dose", f"policy.portierato.hours_per_week={h}").policy.name == "portierato"
