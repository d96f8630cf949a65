"""Shared spin-ups (experiments.spinups): one spin-up per (model version, spin-up settings, seed) in a sweep, every
run started from it gives the files of the run spinning up by itself, byte for byte."""

from __future__ import annotations

import re

import pytest

from abm.config import compose
from experiments.provenance import spinup_identity
from experiments.spinups import STATE, SpinupStore, decode, encode
from tests.sweep_helpers import sweep
from tests.test_ensemble import ensemble_sweep, tiny  # noqa: F401  (tiny: the tiny ensemble, a fixture)

SHORT = ("spinup=short", "seed=3")


def test_the_key_leaves_out_the_policy_horizon_and_outputs_only():
    base = compose(SHORT)
    assert spinup_identity(compose([*SHORT, "policy=full_package", "steps=9", "output.by_group=false"])) == \
        spinup_identity(base)
    assert spinup_identity(compose(["spinup=short", "seed=4"])) != spinup_identity(base)
    assert spinup_identity(compose([*SHORT, "help.willingness=0.5"])) != spinup_identity(base)
    assert spinup_identity(compose([*SHORT, "spinup.max_weeks=80", "spinup.min_weeks=80"])) != spinup_identity(base)


def test_a_task_spins_up_once_per_key_and_other_tasks_read_it_from_disk(tmp_path):
    store = SpinupStore(tmp_path)
    for policy in ("baseline", "portierato", "regeneration"):
        store.model(compose([*SHORT, f"policy={policy}"]))
    assert store.counts == {"computed": 1, "read": 0, "memory": 2}
    store.model(compose(["spinup=short", "seed=4"]))
    assert store.counts["computed"] == 2
    other = SpinupStore(tmp_path)  # another task, or a resumed sweep
    m = other.model(compose([*SHORT, "policy=mediation"]))
    assert other.counts == {"computed": 0, "read": 1, "memory": 0} and m.week == 0 and m.config.policy.name == "mediation"
    other.discard(spinup_identity(compose(SHORT)))
    assert not (tmp_path / spinup_identity(compose(SHORT))).exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "other_key", "empty"])
def test_a_damaged_state_file_is_computed_again_and_replaced(tmp_path, damage):
    cfg = compose(SHORT)
    key = spinup_identity(cfg)
    SpinupStore(tmp_path).model(cfg)
    path = tmp_path / key / STATE
    data = path.read_bytes()
    damaged = {"truncate": data[:len(data) // 2], "flip": data[:-10] + bytes([data[-10] ^ 1]) + data[-9:],
               "other_key": encode("0" * 16, decode(key, data)), "empty": b""}[damage]
    path.write_bytes(damaged)
    store = SpinupStore(tmp_path)
    store.model(cfg)
    assert store.counts["computed"] == 1 and store.counts["read"] == 0
    assert path.read_bytes() == data  # replaced by the same state
    assert not list((tmp_path / key).glob(".*.tmp"))


# --- through the sweep's command line -----------------------------------------------------------------------
POLICIES = "baseline,ers_fund,regeneration,full_package"
SWEEP = ("spinup=short", f"policy={POLICIES}", "seed=0,1", "steps=30")
FILES = ("timeseries.parquet", "costs.parquet", "by_group.parquet")


def spinups_computed(stderr: str) -> int:
    return sum(int(n) for n in re.findall(r"spin-ups computed (\d+)", stderr))


@pytest.mark.slow
def test_a_sweep_spins_up_once_per_seed_and_writes_what_runs_spinning_up_alone_write(tmp_path):
    alone = sweep(tmp_path / "alone", *SWEEP, "hydra.sweeper.share_spinup=false", workers=1)
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert spinups_computed(alone.stderr) == 0
    runs = sorted(p.parent.relative_to(tmp_path / "alone") for p in (tmp_path / "alone").glob("*/seed*/DONE"))
    assert len(runs) == 8
    for workers in (1, 2):
        d = tmp_path / f"shared{workers}"
        shared = sweep(d, *SWEEP, workers=workers)
        assert shared.returncode == 0, shared.stderr[-3000:]
        assert spinups_computed(shared.stderr) == 2, shared.stderr[-3000:]  # one per seed, whatever the workers
        assert not (d / ".abitare").exists()  # every state removed once its runs were done
        for run in runs:
            for f in FILES:
                assert (d / run / f).read_bytes() == (tmp_path / "alone" / run / f).read_bytes(), (workers, run, f)


# --- a posterior ensemble: each parameter set's values are applied before the spin-up key is computed ---------
def test_in_an_ensemble_the_spin_up_group_and_key_follow_the_values_a_set_gives_the_spin_up(tmp_path):
    """A set's values are applied before the key is computed: sets drawn from one particle share a group (the
    plan's order) and a key (the state), sets of other values do not, nor do seeds, and a set differing from
    another only in a lever's parameter (policy.portierato.hours_per_week) shares both with it."""
    import dataclasses

    import pandas as pd
    from omegaconf import OmegaConf

    from experiments import ensemble
    from experiments.run import configure
    from experiments.sensitivity import compose_experiment
    from experiments.tasks import spinup_group
    from tests.ensemble_fixture import write_posterior

    ensemble.prepare(tmp_path, ensemble.Spec(write_posterior(tmp_path / "posterior.json"), 4, 5), [])
    path = tmp_path / "ensemble/draws.csv"
    draws = pd.read_csv(path, float_precision="round_trip")
    assert draws.loc[0, "particle"] == draws.loc[1, "particle"] != draws.loc[2, "particle"]  # drawn twice
    values = [c for c in draws.columns if c not in ("set", "particle")]
    draws.loc[3, values] = draws.loc[2, values]
    draws.loc[3, "policy.portierato.hours_per_week"] = 29.0  # set 2 but the lever's hours
    draws.to_csv(path, index=False, float_format="%.17g")

    def key(k, seed=0):
        cfg = compose_experiment(["+posterior=none", "policy=portierato", f"++output.param_set={k}"], "smoke")
        ensemble.apply(cfg, tmp_path, overridden={"policy": "portierato"})
        cfg = OmegaConf.masked_copy(cfg, [name for name in cfg if name != "hydra"])  # a task's has no hydra node
        return spinup_identity(dataclasses.replace(configure(cfg), seed=seed))

    def group(k, seed=0):
        return spinup_group({"seed": seed, "overrides": {"policy": "portierato", ensemble.SET: str(k)}}, tmp_path)

    keys, groups = [key(k) for k in range(4)], [group(k) for k in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            shares = (i, j) in ((0, 1), (2, 3))
            assert (keys[i] == keys[j]) == shares and (groups[i] == groups[j]) == shares, (i, j)
    assert key(0, seed=1) != keys[0] and group(0, seed=1) != groups[0]


@pytest.mark.slow
def test_an_ensemble_spins_up_once_per_distinct_set_values_and_seed_and_writes_what_runs_alone_write(tiny, tmp_path):
    """The tiny ensemble of tests/test_ensemble.py (3 sets x 2 seeds x 2 scenarios, shared spin-ups, 2 workers)
    against the same sweep with every run spinning up by itself: every run's files byte-identical, and one
    spin-up per distinct (values its set gives the spin-up, seed): sets drawn from one particle share theirs,
    sets of other values do not (the posterior's lever key, policy.portierato.hours_per_week, is the sweep's
    own and no spin-up setting)."""
    import pandas as pd

    from tests.sweep_helpers import done_markers

    shared, post = tiny
    alone = ensemble_sweep(tmp_path / "alone", post, "hydra.sweeper.share_spinup=false", workers=1)
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert spinups_computed(alone.stderr) == 0
    runs = sorted(done_markers(shared))
    assert len(runs) == 12 and sorted(done_markers(tmp_path / "alone")) == runs
    for run in runs:
        for f in FILES:
            assert (shared / run / f).read_bytes() == (tmp_path / "alone" / run / f).read_bytes(), (run, f)
    draws = pd.read_csv(shared / "ensemble/draws.csv", float_precision="round_trip")
    spin_keys = [c for c in draws.columns if c not in ("set", "particle") and not c.startswith("policy.")]
    distinct = {(tuple(draws.loc[k, spin_keys]), seed) for k in draws["set"] for seed in range(2)}
    assert len(distinct) < len(draws) * 2  # the draw repeats a particle: two sets share their spin-ups
    assert spinups_computed((shared.parent / "tiny_ensemble.stderr").read_text()) == len(distinct)
