"""Helpers of the sweep tests: run the real command lines in a subprocess, read their outputs."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
#: the smoke experiment kept short so a sweep of 10 runs takes seconds
SMOKE = ("+experiment=smoke", "neighbourhood=acer_estate", "steps=26")
TABLES = ("scenarios.csv", "summary.csv", "effects.csv", "by_group_summary.csv")


def env() -> dict:
    return {**os.environ, "HYDRA_FULL_ERROR": "1", "PYTHONPATH": str(ROOT)}


def sweep(sweep_dir: Path, *overrides: str, workers: int | None = 2) -> subprocess.CompletedProcess:
    """``python -m experiments.run -m ...`` into ``sweep_dir`` (joblib with ``workers`` unless None)."""
    cmd = [sys.executable, "-m", "experiments.run", "-m", *overrides, f"hydra.sweep.dir={sweep_dir}"]
    if workers is not None:
        cmd.append(f"hydra.launcher.n_jobs={workers}")
    return subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=1800)


def aggregate(sweep_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.aggregate", str(sweep_dir), *args], cwd=ROOT,
                          env=env(), capture_output=True, text=True, timeout=600)


def done_markers(sweep_dir: Path) -> dict[str, int]:
    """run id -> modification time (ns) of its completion marker (``<scenario>/seed<N>``, or in a posterior
    ensemble ``<scenario>/set<k>/seed<N>``)."""
    found = [*Path(sweep_dir).glob("*/seed*/DONE"), *Path(sweep_dir).glob("*/set*/seed*/DONE")]
    return {str(p.parent.relative_to(sweep_dir)): p.stat().st_mtime_ns for p in found}


def results(sweep_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(Path(sweep_dir) / "results.parquet")


def assert_same_aggregate(a: Path, b: Path) -> None:
    """The aggregate files of two sweeps are identical (CSV byte for byte, results.parquet value for value)."""
    for name in TABLES:
        assert (Path(a) / name).read_bytes() == (Path(b) / name).read_bytes(), name
    pd.testing.assert_frame_equal(results(a), results(b))


def session_dir(tmp_path_factory) -> Path:
    """A directory shared by the xdist workers of one test session, and by no other session."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_sweep(tmp_path_factory, name: str, *overrides: str) -> Path:
    """A sweep run with 2 joblib workers and aggregated, once per test session whichever worker asks first.

    Tests that write into a sweep work on a copy: others read the shared one meanwhile."""
    shared = session_dir(tmp_path_factory)
    d = shared / name
    with exclusive(shared / f"{name}.lock"):
        if not (d / "headline.txt").exists():
            run = sweep(d, *overrides, workers=2)
            assert run.returncode == 0, run.stderr[-3000:]
            agg = aggregate(d)
            assert agg.returncode == 0, agg.stderr[-3000:]
            (d / "headline.txt").write_text(agg.stdout)
    return d


@contextlib.contextmanager
def exclusive(lock: Path):
    """Hold an exclusive lock on a file (xdist workers share a module fixture's sweep this way)."""
    with open(lock, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
