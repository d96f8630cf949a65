"""Aggregate a sweep: ``python -m experiments.aggregate MULTIRUN_DIR [--baseline NAME]``.

Writes into MULTIRUN_DIR (contract read by the report; docs/SWEEPS.md explains every column):

- ``results.parquet``      tidy: run_id, scenario, seed, param.<key>..., step, indicator, value (streamed,
                           one run at a time, so a sweep of thousands of runs never sits in memory)
- ``scenarios.csv``        scenario, param.<key>... (the overrides that make each scenario)
- ``summary.csv``          scenario, indicator, n, mean, sd, ci_low, ci_high at the horizon (last week),
                           t-based 95 % interval over seeds
- ``effects.csv``          scenario, indicator, n_pairs, diff_mean, diff_sd, ci_low, ci_high,
                           distinguishable: each scenario minus the baseline, paired by seed, plus the
                           cost-effectiveness rows
- ``by_group_summary.csv`` scenario, household_type, indicator, n, mean, ci_low, ci_high at the horizon
- ``sweep_status.json``    expected / completed / failed (with the error) / missing runs
- ``sweep_meta.json``      experiment, neighbourhood, steps, seeds, scenarios, version, config hashes, date,
                           provenance (runs per model version, git state, package versions)

Runs that failed or are missing are named on the terminal (and in sweep_status.json), never silently
averaged away; the exit status is 1 when there are any.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import abm
from experiments.outputs import atomic_write, write_text
from experiments.provenance import check_pooling, of_runs
from experiments.stats import paired, ratio_interval, t_interval
from experiments.sweep import describe_status, read_manifest, sweep_status

CE_NEEDS = "eur_per_extra_need_met_by_neighbours"
CE_TIES = "eur_per_isolated_household_reconnected"
HEADLINE = ("cohesion_index", "neomutualism_index", "isolated_elderly_alone_share", "needs_met_neighbours_share",
            "needs_unmet_share", "conflicts_resolved_share", "cost_year_total")


# --- scenarios ----------------------------------------------------------------------------------------
def scenarios(runs: list[dict]) -> tuple[dict[str, str], dict[str, dict]]:
    """Display name of every scenario directory, and its overrides, in first-appearance order.

    The name is made of the overrides that vary across the sweep: the value alone when that is one
    config-group choice (``policy=portierato`` -> ``portierato``), else ``key=value`` pairs."""
    overrides: dict[str, dict] = {}
    for r in runs:
        overrides.setdefault(r["run_id"].rsplit("/", 1)[0], r["overrides"])
    keys = sorted({k for ov in overrides.values() for k in ov})
    varying = [k for k in keys if len({ov.get(k) for ov in overrides.values()}) > 1] or keys
    names = {}
    for sdir, ov in overrides.items():
        if not varying:
            names[sdir] = "default"
        elif len(varying) == 1 and "." not in varying[0]:
            names[sdir] = str(ov.get(varying[0], ""))
        else:
            names[sdir] = ",".join(f"{k}={ov.get(k, '')}" for k in varying)
    return names, overrides


def choose_baseline(names: dict[str, str], overrides: dict[str, dict], requested: str | None) -> str:
    """The requested scenario; else the one named ``baseline``; else the first with policy=baseline; else the first."""
    order = list(names.values())
    if requested is not None:
        if requested not in order:
            raise SystemExit(f"error: --baseline {requested!r} is not a scenario of this sweep; scenarios: "
                             + ", ".join(order))
        return requested
    if "baseline" in order:
        return "baseline"
    for sdir, ov in overrides.items():
        if ov.get("policy") == "baseline":
            return names[sdir]
    return order[0]


# --- reading runs ---------------------------------------------------------------------------------------
def read_timeseries(run_path: Path) -> pd.DataFrame:
    return pq.read_table(run_path / "timeseries.parquet").to_pandas()


def horizon_values(sweep_dir: Path, run_ids: list[str]) -> pd.DataFrame:
    """The indicators at the last week of each run (one row per run, in the given order)."""
    rows = [read_timeseries(Path(sweep_dir) / r).iloc[-1] for r in run_ids]
    return pd.DataFrame(rows).reset_index(drop=True)


def _tallies(run_path: Path) -> dict:
    try:
        return json.loads((run_path / "summary.json").read_text(encoding="utf-8")).get("tallies", {})
    except (OSError, ValueError):
        return {}


# --- results.parquet -----------------------------------------------------------------------------------
def _schema(param_keys: list[str]) -> pa.Schema:
    return pa.schema([("run_id", pa.string()), ("scenario", pa.string()), ("seed", pa.int64())]
                     + [(f"param.{k}", pa.string()) for k in param_keys]
                     + [("step", pa.int64()), ("indicator", pa.string()), ("value", pa.float64())])


def _tidy(ts: pd.DataFrame, run: dict, scenario: str, param_keys: list[str], schema: pa.Schema) -> pa.Table:
    inds = [c for c in ts.columns if c != "step"]
    n = len(ts) * len(inds)
    cols = {"run_id": [run["run_id"]] * n, "scenario": [scenario] * n, "seed": np.full(n, run["seed"], np.int64)}
    for k in param_keys:
        cols[f"param.{k}"] = [run["overrides"].get(k)] * n
    cols["step"] = np.repeat(ts["step"].to_numpy(np.int64), len(inds))
    cols["indicator"] = np.tile(np.array(inds, dtype=object), len(ts))
    cols["value"] = ts[inds].to_numpy(np.float64).reshape(-1)
    return pa.table(cols, schema=schema)


def stream_runs(sweep_dir: Path, runs: list[dict], names: dict[str, str], param_keys: list[str]):
    """Write results.parquet one run at a time; return the horizon rows, tallies and by-group horizon rows."""
    schema = _schema(param_keys)
    horizon, groups = [], []

    def write(tmp: Path) -> None:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for run in runs:
                path = sweep_dir / run["run_id"]
                scenario = names[run["run_id"].rsplit("/", 1)[0]]
                ts = read_timeseries(path)
                writer.write_table(_tidy(ts, run, scenario, param_keys, schema))
                key = {"run_id": run["run_id"], "scenario": scenario, "seed": run["seed"]}
                t = _tallies(path)
                horizon.append({**key, **ts.iloc[-1].drop("step").to_dict(),
                                **{f"tally.{k}": (math.nan if v is None else v) for k, v in t.items()}})
                if (path / "by_group.parquet").exists():
                    bg = pq.read_table(path / "by_group.parquet").to_pandas()
                    bg = bg[bg["step"] == bg["step"].max()].drop(columns="step")
                    groups.append(bg.assign(**key))

    atomic_write(sweep_dir / "results.parquet", write)
    by_group = pd.concat(groups, ignore_index=True) if groups else pd.DataFrame(
        columns=["household_type", "indicator", "value", "run_id", "scenario", "seed"])
    return pd.DataFrame(horizon), by_group


# --- tables ---------------------------------------------------------------------------------------------
def summary_table(horizon: pd.DataFrame, order: list[str], indicators: list[str]) -> pd.DataFrame:
    rows = []
    for sc in order:
        sub = horizon[horizon["scenario"] == sc]
        for ind in indicators:
            iv = t_interval(sub[ind]) if len(sub) else t_interval([])
            rows.append({"scenario": sc, "indicator": ind, "n": iv.n, "mean": iv.mean, "sd": iv.sd,
                         "ci_low": iv.low, "ci_high": iv.high})
    return pd.DataFrame(rows, columns=["scenario", "indicator", "n", "mean", "sd", "ci_low", "ci_high"])


def _paired_frame(horizon: pd.DataFrame, scenario: str, baseline: str, cols: list[str]) -> pd.DataFrame:
    s = horizon[horizon["scenario"] == scenario].set_index("seed")[cols]
    b = horizon[horizon["scenario"] == baseline].set_index("seed")[cols]
    return s.join(b, how="inner", lsuffix="", rsuffix="@base").sort_index()


def effects_table(horizon: pd.DataFrame, order: list[str], baseline: str, indicators: list[str]) -> pd.DataFrame:
    cols = ["scenario", "indicator", "n_pairs", "diff_mean", "diff_sd", "ci_low", "ci_high", "distinguishable"]
    tally = ["tally.cost_eur_per_year", "tally.needs_met_neighbours_per_year", "tally.households_with_tie"]
    for t in tally:
        if t not in horizon:
            horizon = horizon.assign(**{t: math.nan})
    rows = []
    for sc in order:
        if sc == baseline:
            continue
        pf = _paired_frame(horizon, sc, baseline, indicators + tally)
        for ind in indicators:
            iv = t_interval(paired(pf[ind], pf[f"{ind}@base"]))
            rows.append({"scenario": sc, "indicator": ind, "n_pairs": iv.n, "diff_mean": iv.mean, "diff_sd": iv.sd,
                         "ci_low": iv.low, "ci_high": iv.high, "distinguishable": iv.excludes_zero})
        cost = (pf[tally[0]] - pf[f"{tally[0]}@base"]).to_numpy()
        for name, benefit_col in ((CE_NEEDS, tally[1]), (CE_TIES, tally[2])):
            benefit = (pf[benefit_col] - pf[f"{benefit_col}@base"]).to_numpy()
            keep = ~(np.isnan(cost) | np.isnan(benefit))
            est, lo, hi = ratio_interval(cost, benefit)
            rows.append({"scenario": sc, "indicator": name, "n_pairs": int(keep.sum()), "diff_mean": est,
                         "diff_sd": math.nan, "ci_low": lo, "ci_high": hi,
                         "distinguishable": t_interval(benefit[keep]).low > 0})
    return pd.DataFrame(rows, columns=cols)


def by_group_table(by_group: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rows = []
    for (sc, ht, ind), sub in by_group.groupby(["scenario", "household_type", "indicator"], sort=False):
        iv = t_interval(sub["value"])
        rows.append({"scenario": sc, "household_type": ht, "indicator": ind, "n": iv.n, "mean": iv.mean,
                     "ci_low": iv.low, "ci_high": iv.high})
    df = pd.DataFrame(rows, columns=["scenario", "household_type", "indicator", "n", "mean", "ci_low", "ci_high"])
    rank = {s: i for i, s in enumerate(order)}
    return df.sort_values("scenario", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)


def meta(sweep_dir: Path, man: dict, names: dict, overrides: dict, completed: list[dict]) -> dict:
    hashes: dict[str, set] = {}
    for r in completed:
        try:
            s = json.loads((sweep_dir / r["run_id"] / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        hashes.setdefault(names[r["run_id"].rsplit("/", 1)[0]], set()).add(s.get("config_hash"))
    return {
        "experiment": man.get("experiment"),
        "neighbourhood": man.get("neighbourhood"),
        "steps": man.get("steps"),
        "seeds": sorted({r["seed"] for r in man["runs"]}),
        "scenarios": [{"scenario": names[d], "run_dir": d, "overrides": ov} for d, ov in overrides.items()],
        "command": man.get("command"),
        "version": abm.__version__,
        "config_hashes": {k: sorted(v) for k, v in hashes.items()},
        "aggregated": dt.datetime.now().isoformat(timespec="seconds"),
    }


# --- the whole aggregation -------------------------------------------------------------------------------
def aggregate(sweep_dir: Path, baseline: str | None = None, allow_mixed_versions: bool = False) -> dict:
    """Write every aggregate file into ``sweep_dir``; return the tables and the status.  Refuses (SystemExit)
    to pool runs of different model versions unless ``allow_mixed_versions`` (experiments.provenance)."""
    sweep_dir = Path(sweep_dir)
    man = read_manifest(sweep_dir)
    status = sweep_status(sweep_dir, man)
    names, overrides = scenarios(man["runs"])
    order = list(names.values())
    base = choose_baseline(names, overrides, baseline)
    done = set(status["completed"])
    completed = [r for r in man["runs"] if r["run_id"] in done]
    if not completed:
        raise SystemExit("error: no completed run to aggregate\n" + describe_status(status, sweep_dir))
    param_keys = sorted({k for ov in overrides.values() for k in ov})
    provs = check_pooling(sweep_dir, [r["run_id"] for r in completed], allow_mixed_versions)

    horizon, by_group = stream_runs(sweep_dir, completed, names, param_keys)
    indicators = [c for c in read_timeseries(sweep_dir / completed[0]["run_id"]).columns if c != "step"]
    tables = {
        "scenarios": pd.DataFrame([{"scenario": names[d], **{f"param.{k}": ov.get(k) for k in param_keys}}
                                   for d, ov in overrides.items()], columns=["scenario"] + [f"param.{k}" for k in param_keys]),
        "summary": summary_table(horizon, order, indicators),
        "effects": effects_table(horizon, order, base, indicators),
        "by_group_summary": by_group_table(by_group, order),
    }
    for name, df in tables.items():
        write_text(sweep_dir / f"{name}.csv", df.to_csv(index=False, float_format="%.10g"))
    write_text(sweep_dir / "sweep_status.json", json.dumps(status, indent=1))
    write_text(sweep_dir / "sweep_meta.json", json.dumps({**meta(sweep_dir, man, names, overrides, completed),
                                                          "provenance": of_runs(provs)}, indent=1))
    return {**tables, "status": status, "baseline": base, "order": order}


def _pm(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.3g}" if math.isnan(low) else f"{mean:.3g} ±{(high - low) / 2:.2g}"


def headline(result: dict, indicators=HEADLINE) -> str:
    """The terminal table: per scenario, each headline indicator at the horizon as mean ± half-width of
    its 95 % CI, then the paired difference from the baseline (* when its CI excludes 0)."""
    s = result["summary"].set_index(["scenario", "indicator"])
    e = result["effects"].set_index(["scenario", "indicator"])
    inds = [i for i in indicators if (result["order"][0], i) in s.index]
    levels, diffs = {}, {}
    for sc in result["order"]:
        levels[sc] = {i: _pm(*s.loc[(sc, i), ["mean", "ci_low", "ci_high"]]) for i in inds}
        if sc != result["baseline"]:
            diffs[sc] = {i: _pm(*e.loc[(sc, i), ["diff_mean", "ci_low", "ci_high"]])
                         + ("*" if e.loc[(sc, i), "distinguishable"] else "") for i in inds}
    n = int(result["summary"]["n"].max()) if len(result["summary"]) else 0
    with pd.option_context("display.width", 250, "display.max_columns", 50, "display.max_colwidth", 30):
        out = [f"At the horizon, mean ± half-width of the 95 % CI over up to {n} seeds:",
               pd.DataFrame.from_dict(levels, orient="index").to_string()]
        if diffs:
            out += [f"\nPaired difference from '{result['baseline']}' (* = 95 % CI excludes 0):",
                    pd.DataFrame.from_dict(diffs, orient="index").to_string()]
        ce = result["effects"][result["effects"]["indicator"].isin([CE_NEEDS, CE_TIES])]
        if ce["diff_mean"].notna().any():
            cells = {(r.scenario, r.indicator): (f"{r.diff_mean:,.0f} [{r.ci_low:,.0f}, {r.ci_high:,.0f}]"
                                                 if not math.isnan(r.diff_mean) else "n/a (no extra benefit)")
                     for r in ce.itertuples()}
            table = pd.Series(cells).unstack()[[CE_NEEDS, CE_TIES]]
            table = table.reindex([sc for sc in result["order"] if sc in table.index])
            out += ["\nCost-effectiveness, EUR [95 % bootstrap CI] (docs/SWEEPS.md):", table.to_string()]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.aggregate", description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep_dir", type=Path, help="the sweep directory (hydra.sweep.dir)")
    ap.add_argument("--baseline", help="scenario the others are compared with (default: 'baseline', else "
                                       "the one with policy=baseline, else the first)")
    ap.add_argument("--quiet", action="store_true", help="no headline table")
    ap.add_argument("--allow-mixed-versions", action="store_true",
                    help="pool runs made by different versions of the model (refused by default)")
    args = ap.parse_args(argv)
    result = aggregate(args.sweep_dir, args.baseline, args.allow_mixed_versions)
    if not args.quiet:
        print(headline(result), flush=True)
    print(describe_status(result["status"], args.sweep_dir), file=sys.stderr)
    print(f"Aggregates in {args.sweep_dir.resolve()}", file=sys.stderr)
    st = result["status"]
    return 1 if st["failed"] or st["missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
