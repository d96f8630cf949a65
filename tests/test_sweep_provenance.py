"""Provenance that resume can trust: a run made by other code is found out (rerun, kept or refused), runs of
two model versions are not pooled unless asked, and every run and sweep records where it came from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sweep_helpers import ROOT, done_markers

pytestmark = pytest.mark.slow

TINY = ("policy=baseline", "seed=0,1", "steps=3", "hydra.launcher.n_jobs=1")


def checkout(tmp_path: Path) -> Path:
    """A copy of the code, to be changed as a new commit would change it."""
    code = tmp_path / "code"
    for part in ("abm", "experiments", "configs", "hydra_plugins"):
        shutil.copytree(ROOT / part, code / part, ignore=shutil.ignore_patterns("__pycache__"))
    return code


def sweep_with(code: Path, sweep_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(code), "HYDRA_FULL_ERROR": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "experiments.run", "-m", *TINY, *overrides,
                           f"hydra.sweep.dir={sweep_dir}"], cwd=code, env=env, capture_output=True, text=True,
                          timeout=600)


def aggregate_with(code: Path, sweep_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.aggregate", str(sweep_dir), "--quiet", *args],
                          cwd=code, env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"}, capture_output=True,
                          text=True, timeout=600)


def versions(sweep_dir: Path) -> dict[str, str]:
    return {rid: json.loads((sweep_dir / rid / "summary.json").read_text())["provenance"]["model_version"]
            for rid in done_markers(sweep_dir)}


def test_resume_after_a_change_of_the_model(tmp_path):
    code, d = checkout(tmp_path), tmp_path / "sweep"
    first = sweep_with(code, d)
    assert first.returncode == 0, first.stderr[-3000:]
    before, old = done_markers(d), versions(d)
    assert len(before) == 2 and len(set(old.values())) == 1

    # unchanged code: nothing runs again
    again = sweep_with(code, d)
    assert again.returncode == 0 and done_markers(d) == before
    assert "this sweep ran 0 of 2 runs (2 were complete already)" in again.stderr

    # a change of abm/ (as a commit would make): a new model version
    with open(code / "abm" / "rng.py", "a") as f:
        f.write("\n# a change\n")
    refused = sweep_with(code, d, "hydra.sweeper.stale=refuse")
    assert refused.returncode == 2 and "made by other code" in refused.stderr
    assert done_markers(d) == before  # nothing was run

    kept = sweep_with(code, d, "hydra.sweeper.stale=keep")
    assert kept.returncode == 0 and done_markers(d) == before and versions(d) == old

    rerun = sweep_with(code, d)  # the default: report and run again
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "2 completed runs" in rerun.stderr and "made by other code" in rerun.stderr
    after, new = done_markers(d), versions(d)
    assert set(after) == set(before) and all(after[r] != before[r] for r in before)
    assert len(set(new.values())) == 1 and set(new.values()) != set(old.values())


def test_aggregate_refuses_to_pool_two_model_versions(tmp_path):
    code, d = checkout(tmp_path), tmp_path / "sweep"
    assert sweep_with(code, d, "seed=0").returncode == 0
    with open(code / "abm" / "rng.py", "a") as f:
        f.write("\n# a change\n")
    mixed = sweep_with(code, d, "hydra.sweeper.stale=keep")  # seed 1 by the new code, seed 0 kept
    assert mixed.returncode == 0, mixed.stderr[-3000:]
    assert len(set(versions(d).values())) == 2

    refused = aggregate_with(code, d)
    assert refused.returncode != 0 and "2 versions of the model" in refused.stderr
    assert not (d / "results.parquet").exists()
    allowed = aggregate_with(code, d, "--allow-mixed-versions")
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    meta = json.loads((d / "sweep_meta.json").read_text())
    assert sorted(meta["provenance"]["model_versions"].values()) == [1, 1]


def test_runs_and_sweeps_record_their_provenance(tmp_path):
    d = tmp_path / "sweep"
    run = subprocess.run([sys.executable, "-m", "experiments.run", "-m", *TINY, f"hydra.sweep.dir={d}"], cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    from experiments import provenance

    for rid in done_markers(d):
        s = json.loads((d / rid / "summary.json").read_text())
        p = s["provenance"]
        assert s["seed"] == int(rid[-1]) and len(s["config_hash"]) == 12
        assert p["model_version"] == provenance.model_version()
        assert p["packages"]["mesa"] and p["packages"]["numpy"] and p["packages"]["python"]
        git = provenance.git_state()
        assert p["git"] == git  # commit and dirty flag of this checkout (None where it is not a git work tree)
        assert json.loads((d / rid / "DONE").read_text())["run_identity"] == p["run_identity"]
    agg = subprocess.run([sys.executable, "-m", "experiments.aggregate", str(d), "--quiet"], cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                         timeout=600)
    assert agg.returncode == 0, agg.stderr[-3000:]
    meta = json.loads((d / "sweep_meta.json").read_text())["provenance"]
    assert meta["model_versions"] == {provenance.model_version(): 2}
    assert meta["packages"][0]["runs"] == 2 and meta["git"][0]["value"] == provenance.git_state()
