"""Posterior ensembles for the tests.

- :func:`synthetic_sweep`: a sweep directory written by hand (manifest, run directories with their weekly
  indicators and costs) whose values are chosen so that every number of the ensemble aggregate can be computed
  by hand: each run's indicator is constant over its weeks, so its mean over the period (and over the last
  year, and its last week) is that constant;
- :func:`write_posterior`: a small hand-written ``posterior.json`` (the format of
  experiments.calibration.posterior) with a float, a dict-valued and an integer parameter.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.outputs import COST_SCHEMA, write_parquet

WEEKS = 52
INDICATORS = ("cohesion_index", "isolated_share", "isolated_households", "needs_met_neighbours_week",
              "conflicts_resolved_week")


def run_id(scenario: str, k: int, seed: int) -> str:
    return f"policy={scenario}/set{k}/seed{seed}"


def write_run(path: Path, values: dict[str, float], eur: float) -> None:
    """A completed run: every indicator constant over weeks 1..52 (week 0: 0), one running cost at week 0."""
    path.mkdir(parents=True, exist_ok=True)
    steps = np.arange(WEEKS + 1)
    ts = pd.DataFrame({"step": steps, **{k: np.where(steps == 0, 0.0, v) for k, v in values.items()}})
    write_parquet(path / "timeseries.parquet", ts)
    costs = pd.DataFrame({"step": [0], "lever": ["portierato"], "payer": ["municipality"], "kind": ["running"],
                          "eur": [float(eur)], "asset": [None], "service_week": [0]})
    write_parquet(path / "costs.parquet", costs.astype({"step": "int64", "service_week": "int64"}), COST_SCHEMA)
    (path / "summary.json").write_text(json.dumps({"config_hash": "synthetic"}))
    (path / "DONE").write_text("synthetic\n")


def synthetic_sweep(root: Path, levels: dict[str, np.ndarray], eur: dict[str, np.ndarray],
                    missing: tuple[tuple[str, int, int], ...] = ()) -> Path:
    """A posterior ensemble sweep: ``levels[scenario][indicator]`` is an array sets x seeds of the run's value,
    ``eur[scenario]`` one of its cost; runs in ``missing`` (scenario, set, seed) are planned but never ran."""
    root.mkdir(parents=True)
    runs = []
    for sc, by_ind in levels.items():
        k_sets, n_seeds = next(iter(by_ind.values())).shape
        for k in range(k_sets):
            for s in range(n_seeds):
                rid = run_id(sc, k, s)
                runs.append({"run_id": rid, "seed": s, "overrides": {"output.param_set": str(k), "policy": sc}})
                if (sc, k, s) not in missing:
                    write_run(root / rid, {i: float(v[k, s]) for i, v in by_ind.items()}, eur[sc][k, s])
    manifest = {"experiment": "synthetic", "neighbourhood": "acer_estate", "steps": WEEKS, "command": [],
                "sweeper_params": {}, "created": "2026-01-01T00:00:00", "runs": runs,
                "ensemble": {"source": "synthetic/posterior.json", "sha256": "0", "draws": k_sets, "seed": 0,
                             "parameters": ["encounters.tie_formation"], "calibration": "synthetic"}}
    (root / "manifest.json").write_text(json.dumps(manifest))
    (root / "ensemble").mkdir()
    pd.DataFrame({"set": range(k_sets), "particle": [10 + k for k in range(k_sets)],
                  "encounters.tie_formation": np.linspace(0.01, 0.05, k_sets)}).to_csv(root / "ensemble/draws.csv", index=False)
    return root


def write_posterior(path: Path) -> Path:
    """Three weighted particles over a float, a dict entry and an integer parameter."""
    post = {"format": "abitare-posterior", "version": 1, "calibration": "hand", "fingerprint": "hand", "run_id": 1,
            "generation": 2, "epsilon": 1.5, "model": ["steps=26"], "targets": ["erp_turnover"], "replicates": 1,
            "seed": 0,
            "parameters": [
                {"key": "encounters.tie_formation", "lo": 0.005, "hi": 0.1, "integer": False, "declared": [0.0, 1.0]},
                {"key": "moving.base_annual.erp", "lo": 0.0, "hi": 0.1, "integer": False, "declared": [0.0, 1.0]},
                {"key": "help.max_asks", "lo": 1, "hi": 6, "integer": True, "declared": [0, 20]},
                {"key": "policy.portierato.hours_per_week", "lo": 5.0, "hi": 30.0, "integer": False,
                 "declared": [0.0, 60.0]}],
            "weights": [0.5, 0.3, 0.2],
            "values": {"encounters.tie_formation": [0.02, 0.06, 0.09], "moving.base_annual.erp": [0.01, 0.05, 0.03],
                       "help.max_asks": [1.6, 4.4, 2.2], "policy.portierato.hours_per_week": [6.0, 25.0, 12.5]}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(post))
    return path
