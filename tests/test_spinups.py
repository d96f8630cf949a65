"""Shared spin-ups (experiments.spinups): one spin-up per (model version, spin-up settings, seed) in a sweep, every
run started from it gives the files of the run spinning up by itself, byte for byte."""

from __future__ import annotations

import re

import pytest

from abm.config import compose
from experiments.provenance import spinup_identity
from experiments.spinups import STATE, SpinupStore, decode, encode
from tests.sweep_helpers import sweep

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
