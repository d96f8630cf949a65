"""Real sweeps for the report's tests, made with the command lines a researcher uses:

- ``smoke``: ``python -m experiments.run -m +experiment=smoke`` (baseline against portierato, 5 seeds,
  26 weeks), aggregated by ``python -m experiments.aggregate`` (the sweep of tests/test_sweeps.py, made
  once per session: ``tests.sweep_helpers.shared_sweep``);
- ``incomplete``: a short portierato dose sweep (0, 10, 20 hours a week x 3 seeds, 26 weeks) in which one
  run crashed and one never ran, aggregated the same way.

A crashed run is what ``experiments.sweep.execute_run`` leaves behind: no results, an ``error.txt`` with
the traceback; a missing run has no directory at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.sweep_helpers import aggregate

#: the dose sweep: its first scenario (0 hours) is the baseline, its dose the portierato's hours
DOSE = ("+experiment=portierato_dose", "steps=26", "policy.portierato.hours_per_week=0,10,20", "seed=range(0,3)")
DOSE_KEY = "policy.portierato.hours_per_week"
INJECTED = "ValueError: injected failure for the report test"


def run_ids(sweep_dir: Path) -> list[str]:
    """Run ids (``<scenario dir>/seed<N>``) of a sweep's completed runs, in scenario then seed order."""
    return sorted(str(p.parent.relative_to(sweep_dir)) for p in Path(sweep_dir).glob("*/seed*/DONE"))


def break_runs(sweep_dir: Path, failed: tuple[str, ...] = (), missing: tuple[str, ...] = ()) -> None:
    """Turn completed runs into crashed ones (files gone, a traceback in error.txt) and missing ones."""
    for rid in (*failed, *missing):
        shutil.rmtree(Path(sweep_dir) / rid)
    for rid in failed:
        (Path(sweep_dir) / rid).mkdir()
        (Path(sweep_dir) / rid / "error.txt").write_text("Traceback (most recent call last):\n  ...\n" + INJECTED + "\n")


def aggregate_incomplete(sweep_dir: Path) -> None:
    """Aggregate a sweep with failed or missing runs: the aggregator says so and exits 1."""
    agg = aggregate(sweep_dir)
    assert agg.returncode == 1 and "FAILED" in agg.stderr, agg.stderr[-3000:]


def copy_without_runs(src: Path, dst: Path) -> Path:
    """The aggregate of a sweep (its top-level files) without the run directories."""
    dst.mkdir(parents=True)
    for f in Path(src).iterdir():
        if f.is_file() and f.suffix != ".html":
            shutil.copy2(f, dst / f.name)
    return dst
