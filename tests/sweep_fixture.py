"""A small real sweep for the report's tests: the model run for a few scenarios x seeds, and the
aggregate files written with plain pandas in the layout ``python -m experiments.aggregate`` writes
(results.parquet, scenarios.csv, summary.csv, effects.csv, by_group_summary.csv, sweep_status.json,
sweep_meta.json; run directories ``<scenario>/seed<N>``).  When the real aggregator is available,
tests can call it instead of :func:`aggregate`.
"""

from __future__ import annotations

import copy
import datetime
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import abm
from abm.config import compose
from abm.model import NeighbourhoodModel
from experiments.outputs import write_parquet, write_run, write_text

#: a dose experiment without levers: how often households meet in the wider neighbourhood
SCENARIOS = {
    "baseline": [],
    "meeting_x4": ["encounters.rate_neighbourhood=0.6"],
    "meeting_x8": ["encounters.rate_neighbourhood=1.2"],
}


def run_id(scenario: str, seed: int) -> str:
    return f"{scenario}/seed{seed}"


def run_sweep(root: Path, scenarios: dict[str, list[str]] = SCENARIOS, seeds=(0, 1, 2), steps: int = 26) -> Path:
    """Run every scenario x seed into ``root/<run_id>``."""
    root = Path(root)
    for scenario, overrides in scenarios.items():
        config = compose(list(overrides) + [f"steps={steps}", "output.progress=false"])
        for seed in seeds:
            rid = run_id(scenario, seed)
            sim = copy.deepcopy(config)
            model = NeighbourhoodModel(config=sim, seed=seed)
            for _ in range(steps):
                model.step()
            write_run(root / rid, model, sim)
    return root


def break_runs(root: Path, failed: tuple[str, ...] = (), missing: tuple[str, ...] = ()) -> None:
    """Turn completed runs into failed ones (their files replaced by a traceback) and missing ones (gone)."""
    for rid in (*failed, *missing):
        shutil.rmtree(Path(root) / rid)
    for rid in failed:
        write_text(Path(root) / rid / "error.txt", "Traceback (most recent call last):\n  ...\n"
                   "ValueError: injected failure for the report test\n")


def set_costs(root: Path, eur_per_year: dict[str, float]) -> None:
    """Give a scenario's runs a yearly cost (test stand-in for lever costs until the levers exist)."""
    for run in sorted(Path(root).glob("*/*/timeseries.parquet")):
        scenario = run.parent.parent.name
        if scenario in eur_per_year:
            df = pd.read_parquet(run)
            df["cost_year_total"] = float(eur_per_year[scenario])
            write_parquet(run, df)


def _ci(x: pd.Series) -> tuple[float, float]:
    x = x.dropna()
    if len(x) < 2:
        return (np.nan, np.nan)
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return (x.mean() - half, x.mean() + half)


def _stats(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = df.groupby(keys)["value"]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    ci = g.apply(_ci)
    out["ci_low"] = [c[0] for c in ci]
    out["ci_high"] = [c[1] for c in ci]
    return out


def aggregate(root: Path, scenarios: dict[str, list[str]] = SCENARIOS, seeds=(0, 1, 2),
              failed: tuple[str, ...] = (), missing: tuple[str, ...] = ()) -> Path:
    """Write the aggregate of ``run_sweep``'s runs into ``root``."""
    root = Path(root)
    params = sorted({o.split("=", 1)[0] for ov in scenarios.values() for o in ov})
    frames, groups, completed, meta_hash, steps = [], [], [], {}, None
    for scenario, overrides in scenarios.items():
        over = dict(o.split("=", 1) for o in overrides)
        for seed in seeds:
            rid = run_id(scenario, seed)
            d = root / rid
            if not (d / "DONE").is_file():
                continue
            completed.append(rid)
            summary = json.loads((d / "summary.json").read_text())
            meta_hash[scenario], steps = summary["config_hash"], summary["steps"]
            ts = pd.read_parquet(d / "timeseries.parquet").melt(id_vars="step", var_name="indicator")
            bg = pd.read_parquet(d / "by_group.parquet")
            for df in (ts, bg):
                df.insert(0, "seed", np.int64(seed))
                df.insert(0, "scenario", scenario)
                df.insert(0, "run_id", rid)
            for p in params:
                ts[f"param.{p}"] = over.get(p)
            frames.append(ts)
            groups.append(bg[bg["step"] == bg["step"].max()])
    results = pd.concat(frames, ignore_index=True)
    results["value"] = results["value"].astype("float64")
    write_parquet(root / "results.parquet", results)
    pd.DataFrame([{"scenario": s, **{f"param.{p}": dict(o.split("=", 1) for o in ov).get(p) for p in params}}
                  for s, ov in scenarios.items()]).to_csv(root / "scenarios.csv", index=False)

    horizon = results[results["step"] == results.groupby("run_id")["step"].transform("max")]
    _stats(horizon, ["scenario", "indicator"]).to_csv(root / "summary.csv", index=False)
    _stats(pd.concat(groups), ["scenario", "household_type", "indicator"]).drop(columns="sd").to_csv(
        root / "by_group_summary.csv", index=False)
    _effects(horizon).to_csv(root / "effects.csv", index=False)

    expected = [run_id(s, seed) for s in scenarios for seed in seeds]
    status = {"expected": len(expected), "completed": completed,
              "failed": [{"run_id": r, "error": (root / r / "error.txt").read_text()} for r in failed],
              "missing": [r for r in expected if r not in completed and r not in failed]}
    write_text(root / "sweep_status.json", json.dumps(status, indent=2))
    meta = {"experiment": "report_fixture", "neighbourhood": "acer_estate", "steps": steps, "seeds": list(seeds),
            "scenarios": [{"scenario": s, "run_dir": s, "overrides": dict(o.split("=", 1) for o in ov)}
                          for s, ov in scenarios.items()],
            "version": abm.__version__, "config_hashes": {s: [h] for s, h in meta_hash.items()},
            "aggregated": datetime.datetime(2025, 1, 1, 12, 0).isoformat()}
    write_text(root / "sweep_meta.json", json.dumps(meta, indent=2))
    return root


def _effects(horizon: pd.DataFrame) -> pd.DataFrame:
    wide = horizon.pivot_table(index=["indicator", "seed"], columns="scenario", values="value", dropna=False)
    rows = []
    for scenario in [s for s in wide.columns if s != "baseline"]:
        diffs = {}
        for ind, d in (wide[scenario] - wide["baseline"]).groupby(level="indicator"):
            d = d.dropna()
            lo, hi = _ci(d)
            diffs[ind] = d.mean()
            rows.append({"scenario": scenario, "indicator": ind, "n_pairs": len(d), "diff_mean": d.mean(),
                         "diff_sd": d.std(ddof=1), "ci_low": lo, "ci_high": hi,
                         "distinguishable": bool(lo > 0 or hi < 0)})
        households = wide.loc["occupancy_share"].mean().get(scenario, 1.0) * 230  # the fixture's stand-in
        for name, benefit in (("eur_per_extra_need_met_by_neighbours", diffs["needs_met_neighbours_share"]),
                              ("eur_per_isolated_household_reconnected", -diffs["isolated_share"])):
            value = diffs["cost_year_total"] / (benefit * households) if benefit > 0 else np.nan
            rows.append({"scenario": scenario, "indicator": name, "n_pairs": len(d), "diff_mean": value,
                         "diff_sd": np.nan, "ci_low": np.nan, "ci_high": np.nan, "distinguishable": False})
    return pd.DataFrame(rows)
