"""Aggregate a sweep: ``python -m experiments.aggregate MULTIRUN_DIR [KEY=VALUE ...] [--baseline NAME]``.

Writes into MULTIRUN_DIR (contract read by the report; docs/SWEEPS.md explains every column):

- ``results.parquet``      tidy: run_id, scenario, seed, param.<key>..., step, indicator, value (streamed,
                           one run at a time, so a sweep of thousands of runs never sits in memory)
- ``scenarios.csv``        scenario, param.<key>... (the overrides that make each scenario)
- ``summary.csv``          scenario, indicator, statistic, n, mean, sd, ci_low, ci_high: t-based 95 % interval
                           over seeds of each indicator at the window's last week, its mean over the window
                           and over its last year, and the window's totals (costs, cumulative effects)
- ``effects.csv``          scenario, indicator, statistic, n_pairs, diff_mean, diff_sd, ci_low, ci_high,
                           distinguishable: each scenario minus the baseline, paired by seed, plus the
                           cost-effectiveness rows
- ``cost_account.csv``     scenario, payer, asset, measure, n, mean, sd, ci_low, ci_high: the costs over the
                           window by payer and by the asset capital creates
- ``cost_by_year.csv``     scenario, year, kind, n, mean, sd, ci_low, ci_high: money spent in each year
- ``by_group_summary.csv`` scenario, household_type, indicator, statistic, n, mean, sd, ci_low, ci_high
- ``sweep_status.json``    expected / completed / failed (with the error) / missing runs
- ``sweep_meta.json``      experiment, neighbourhood, steps, seeds, scenarios, version, config hashes, date,
                           the settings of the horizon account, and the provenance (runs per model version,
                           git state, package versions)

The horizon account (window, discount rate, remaining value of assets) is :mod:`experiments.horizon`; its
settings are Hydra overrides (``discount_rate=0.03 end_week=104``); a wrong key or value stops before any
work (exit status 2).  Runs that failed or are missing are named on the terminal (and in
sweep_status.json), never silently averaged away; the exit status is 1 when there are any.
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
from abm.errors import ConfigError
from experiments import horizon
from experiments.horizon import HEADLINE, HorizonSettings
from experiments.ensemble import SET, scenario_of, set_of
from experiments.outputs import COST_SCHEMA, atomic_write, write_text
from experiments.provenance import check_pooling, of_runs
from experiments.ensemble_stats import decompose
from experiments.stats import paired, ratio_interval, t_interval
from experiments.sweep import describe_status, read_manifest, sweep_status


# --- scenarios ----------------------------------------------------------------------------------------
def scenarios(runs: list[dict]) -> tuple[dict[str, str], dict[str, dict]]:
    """Display name of every scenario directory, and its overrides, in first-appearance order.

    The name is made of the overrides that vary across the sweep: the value alone when that is one
    config-group choice (``policy=portierato`` -> ``portierato``), else ``key=value`` pairs."""
    overrides: dict[str, dict] = {}
    for r in runs:  # a posterior ensemble's parameter set is no part of the scenario (experiments.ensemble)
        overrides.setdefault(scenario_of(r["run_id"]), {k: v for k, v in r["overrides"].items() if k != SET})
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


def read_costs(run_path: Path) -> pd.DataFrame | None:
    """What the run's levers spent each week; None for a run written before costs were recorded."""
    path = run_path / "costs.parquet"
    return pq.read_table(path).to_pandas() if path.exists() else None


# --- results.parquet -----------------------------------------------------------------------------------
def _schema(param_keys: list[str], ensemble: bool = False) -> pa.Schema:
    """The columns of results.parquet; a posterior ensemble's parameter set (``param_set``) after the seed."""
    return pa.schema([("run_id", pa.string()), ("scenario", pa.string()), ("seed", pa.int64())]
                     + ([("param_set", pa.int64())] if ensemble else [])
                     + [(f"param.{k}", pa.string()) for k in param_keys]
                     + [("step", pa.int64()), ("indicator", pa.string()), ("value", pa.float64())])


def _tidy(ts: pd.DataFrame, run: dict, scenario: str, param_keys: list[str], schema: pa.Schema) -> pa.Table:
    inds = [c for c in ts.columns if c != "step"]
    n = len(ts) * len(inds)
    cols = {"run_id": [run["run_id"]] * n, "scenario": [scenario] * n, "seed": np.full(n, run["seed"], np.int64)}
    if "param_set" in schema.names:
        cols["param_set"] = np.full(n, set_of(run["overrides"]), np.int64)
    for k in param_keys:
        cols[f"param.{k}"] = [run["overrides"].get(k)] * n
    cols["step"] = np.repeat(ts["step"].to_numpy(np.int64), len(inds))
    cols["indicator"] = np.tile(np.array(inds, dtype=object), len(ts))
    cols["value"] = ts[inds].to_numpy(np.float64).reshape(-1)
    return pa.table(cols, schema=schema)


def run_rows(ts: pd.DataFrame, spent: pd.DataFrame | None, settings: HorizonSettings) -> tuple[list, list, list]:
    """One run's account as rows: (statistic, indicator, value), (payer, asset, measure, value) of the costs,
    (year, kind, value) of the spending by year (costs NaN for a run without its costs table)."""
    start, end = settings.window(int(ts["step"].max()))
    eff = horizon.effects(ts, start, end, settings.last_year_weeks)
    acc = horizon.cost_account(spent if spent is not None else pd.DataFrame(columns=COST_SCHEMA.names),
                               start, end, settings)
    if spent is None:
        acc = {part: {k: dict.fromkeys(v, math.nan) for k, v in rows.items()} for part, rows in acc.items()}
    values = [(st, ind, v) for st, d in eff.items() for ind, v in d.items()]
    values += [(horizon.PERIOD, m, v) for m, v in acc["payers"][horizon.ALL].items()]
    costs = [(payer, horizon.ALL, m, v) for payer, d in acc["payers"].items() for m, v in d.items()]
    costs += [(horizon.ALL, asset, m, v) for asset, d in acc["assets"].items() for m, v in d.items()]
    years = [(y, k, v) for y, d in acc["by_year"].items() for k, v in d.items()]
    return values, costs, years


def _by_group_rows(path: Path, start: int, end: int) -> pd.DataFrame | None:
    """A run's per-household-type indicators at the window's last week and their mean over its weeks."""
    if not (path / "by_group.parquet").exists():
        return None
    bg = pq.read_table(path / "by_group.parquet").to_pandas()
    last = bg[bg["step"] == end].assign(statistic=horizon.LAST_WEEK)
    period = bg[(bg["step"] > start) & (bg["step"] <= end)]
    period = period.groupby(["household_type", "indicator"], sort=False)["value"].mean().reset_index()
    return pd.concat([last.drop(columns="step"), period.assign(statistic=horizon.PERIOD_MEAN)], ignore_index=True)


def stream_runs(sweep_dir: Path, runs: list[dict], names: dict[str, str], param_keys: list[str],
                settings: HorizonSettings, ensemble: bool = False) -> dict[str, pd.DataFrame]:
    """Write results.parquet one run at a time; return each run's account as tidy frames: ``values``
    (statistic, indicator), ``costs`` (payer, asset, measure), ``years`` (year, kind) and ``groups``
    (household_type, indicator, statistic), each with run_id, scenario and seed (and the parameter set,
    ``set``, in a posterior ensemble)."""
    schema = _schema(param_keys, ensemble)
    parts: dict[str, list] = {"values": [], "costs": [], "years": [], "groups": []}
    columns = {"values": ["statistic", "indicator", "value"], "costs": ["payer", "asset", "measure", "value"],
               "years": ["year", "kind", "value"]}

    def write(tmp: Path) -> None:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for run in runs:
                path = sweep_dir / run["run_id"]
                scenario = names[scenario_of(run["run_id"])]
                ts = read_timeseries(path)
                writer.write_table(_tidy(ts, run, scenario, param_keys, schema))
                key = {"run_id": run["run_id"], "scenario": scenario, "seed": run["seed"]}
                if ensemble:
                    key["set"] = set_of(run["overrides"])
                for name, rows in zip(("values", "costs", "years"), run_rows(ts, read_costs(path), settings)):
                    parts[name].append(pd.DataFrame(rows, columns=columns[name]).assign(**key))
                bg = _by_group_rows(path, *settings.window(int(ts["step"].max())))
                if bg is not None:
                    parts["groups"].append(bg.assign(**key))

    atomic_write(sweep_dir / "results.parquet", write)
    empty = {"groups": ["household_type", "indicator", "value", "statistic"], **columns}
    keys = ["run_id", "scenario", "seed", *(["set"] if ensemble else [])]
    return {k: pd.concat(v, ignore_index=True) if v else pd.DataFrame(columns=[*empty[k], *keys])
            for k, v in parts.items()}


# --- tables ---------------------------------------------------------------------------------------------
def interval_of(sub: pd.DataFrame):
    """Over seeds, the t-based 95 % interval of ``value``; in a posterior ensemble (a ``set`` column), the mean
    over parameter sets, the sd across them and the 90 % prediction interval (experiments.ensemble_stats)."""
    if "set" in sub:
        return decompose(sub["value"], sub["set"]).interval()
    return t_interval(sub["value"])


def level_table(runs: pd.DataFrame, order: list[str], by: list[str]) -> pd.DataFrame:
    """Mean, sd and interval (:func:`interval_of`) of ``value``, per scenario (in ``order``) and ``by``."""
    rows = []
    for (sc, *keys), sub in runs.groupby(["scenario", *by], sort=False):
        iv = interval_of(sub)
        rows.append({"scenario": sc, **dict(zip(by, keys)), "n": iv.n, "mean": iv.mean, "sd": iv.sd,
                     "ci_low": iv.low, "ci_high": iv.high})
    df = pd.DataFrame(rows, columns=["scenario", *by, "n", "mean", "sd", "ci_low", "ci_high"])
    rank = {s: i for i, s in enumerate(order)}
    return df.sort_values("scenario", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)


def summary_table(values: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Levels of every (indicator, statistic); a scenario without a completed run is listed with n = 0."""
    keys = values[["indicator", "statistic"]].drop_duplicates()
    absent = [sc for sc in order if sc not in set(values["scenario"])]
    gaps = [keys.assign(scenario=sc, value=math.nan) for sc in absent]
    return level_table(pd.concat([values, *gaps], ignore_index=True) if gaps else values, order,
                       ["indicator", "statistic"])


def _paired_frame(values: pd.DataFrame, scenario: str, baseline: str, index=("seed",)) -> pd.DataFrame:
    """Seeds (in an ensemble: parameter sets x seeds, ``index``) x (statistic, indicator) of a scenario, joined
    with the baseline's (suffix ``@base``)."""
    def wide(sc):
        sub = values[values["scenario"] == sc]
        return sub.pivot_table(index=list(index) if len(index) > 1 else index[0], columns=["statistic", "indicator"],
                               values="value", sort=False, dropna=False, aggfunc="first")
    s, b = wide(scenario), wide(baseline)
    b.columns = pd.MultiIndex.from_tuples([(st, f"{ind}@base") for st, ind in b.columns])
    return s.join(b, how="inner").sort_index()


EFFECT_COLUMNS = ["scenario", "indicator", "statistic", "n_pairs", "diff_mean", "diff_sd", "ci_low", "ci_high",
                  "distinguishable"]


def effects_table(values: pd.DataFrame, order: list[str], baseline: str) -> pd.DataFrame:
    """Each scenario minus the baseline, paired by seed, for every (indicator, statistic); then the
    cost-effectiveness ratios (:func:`ce_row`)."""
    keys = list(dict.fromkeys(zip(values["statistic"], values["indicator"])))
    rows = []
    for sc in order:
        if sc == baseline:
            continue
        pf = _paired_frame(values, sc, baseline)
        for st, ind in keys:  # a scenario (or baseline) without completed runs: n_pairs 0, NaN
            a, b = (pf[c] if c in pf else [] for c in ((st, ind), (st, f"{ind}@base")))
            iv = t_interval(paired(a, b) if len(a) and len(b) else [])
            rows.append({"scenario": sc, "indicator": ind, "statistic": st, "n_pairs": iv.n, "diff_mean": iv.mean,
                         "diff_sd": iv.sd, "ci_low": iv.low, "ci_high": iv.high, "distinguishable": iv.excludes_zero})
        rows += [ce_row(sc, name, pf) for name in horizon.CE_RATIOS]
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def ce_row(scenario: str, name: str, pf: pd.DataFrame) -> dict:
    """Extra net present cost over extra cumulative benefit, paired by seed (ratio of the means, paired
    bootstrap interval).  Undefined (NaN, ``distinguishable`` false) unless the benefit's own 95 % interval
    lies above 0; an unbounded upper end (resamples without a positive benefit) is left NaN."""
    cost, benefit, keep = ce_pairs(name, pf)
    defined = bool(t_interval(benefit[keep]).low > 0)
    est, lo, hi = ratio_interval(cost, benefit) if defined else (math.nan,) * 3
    return ce_result(scenario, name, int(keep.sum()), est, lo, hi, defined)


def ce_pairs(name: str, pf: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair of a paired frame, the extra net present cost and the extra benefit of cost-effectiveness ratio
    ``name`` (signed so that more is better), and which pairs have both."""
    benefit_name, sign = horizon.CE_RATIOS[name]
    P = horizon.PERIOD

    def diff(col):
        if (P, col) not in pf:
            return np.full(len(pf), math.nan)
        return (pf[(P, col)] - pf[(P, f"{col}@base")]).to_numpy(dtype=float)

    cost, benefit = diff("cost_net_pv_eur"), sign * diff(benefit_name)
    return cost, benefit, ~(np.isnan(cost) | np.isnan(benefit))


def ce_result(scenario: str, name: str, n_pairs: int, est: float, lo: float, hi: float, defined: bool) -> dict:
    """A cost-effectiveness row of effects.csv (an unbounded upper end left NaN)."""
    return {"scenario": scenario, "indicator": name, "statistic": horizon.PERIOD, "n_pairs": n_pairs, "diff_mean": est,
            "diff_sd": math.nan, "ci_low": lo, "ci_high": hi if math.isfinite(hi) else math.nan,
            "distinguishable": defined}


def cost_tables(runs: dict[str, pd.DataFrame], order: list[str]) -> dict[str, pd.DataFrame]:
    """``cost_account``: per scenario, payer (``all`` for every payer) and asset (``all``, or what capital
    creates), each cost measure over the window; ``cost_by_year``: money spent in each year of the window
    by kind (undiscounted); both mean, sd and 95 % interval over seeds."""
    return {"cost_account": level_table(runs["costs"], order, ["payer", "asset", "measure"]),
            "cost_by_year": level_table(runs["years"], order, ["year", "kind"])}


def meta(sweep_dir: Path, man: dict, names: dict, overrides: dict, completed: list[dict],
         settings: HorizonSettings, windows: set) -> dict:
    hashes: dict[str, set] = {}
    for r in completed:
        try:
            s = json.loads((sweep_dir / r["run_id"] / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        hashes.setdefault(names[scenario_of(r["run_id"])], set()).add(s.get("config_hash"))
    return {
        "experiment": man.get("experiment"),
        "neighbourhood": man.get("neighbourhood"),
        "steps": man.get("steps"),
        "seeds": sorted({r["seed"] for r in man["runs"]}),
        "scenarios": [{"scenario": names[d], "run_dir": d, "overrides": ov} for d, ov in overrides.items()],
        "command": man.get("command"),
        "version": abm.__version__,
        "config_hashes": {k: sorted(v) for k, v in hashes.items()},
        #: how costs and effects were counted over the horizon, and the windows (start, end week) of the runs
        "horizon": {"settings": settings.as_dict(),
                    "windows": [{"start_week": a, "end_week": b} for a, b in sorted(windows)]},
        "aggregated": dt.datetime.now().isoformat(timespec="seconds"),
    }


# --- the whole aggregation -------------------------------------------------------------------------------
def aggregate(sweep_dir: Path, baseline: str | None = None, settings: HorizonSettings | None = None,
              allow_mixed_versions: bool = False) -> dict:
    """Write every aggregate file into ``sweep_dir``; return the tables and the status.  Refuses (SystemExit)
    to pool runs of different model versions unless ``allow_mixed_versions`` (experiments.provenance)."""
    settings = settings or HorizonSettings()
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

    windows = {settings.window(steps) for steps in _steps(sweep_dir, completed)}  # a window that does not fit: now
    ensemble = any(set_of(r["overrides"]) is not None for r in man["runs"])
    runs = stream_runs(sweep_dir, completed, names, param_keys, settings, ensemble)
    tables = {
        "scenarios": pd.DataFrame([{"scenario": names[d], **{f"param.{k}": ov.get(k) for k in param_keys}}
                                   for d, ov in overrides.items()], columns=["scenario"] + [f"param.{k}" for k in param_keys]),
        "summary": summary_table(runs["values"], order),
        "effects": None if ensemble else effects_table(runs["values"], order, base),  # an ensemble's: below
        "by_group_summary": level_table(runs["groups"], order, ["household_type", "indicator", "statistic"]),
        **cost_tables(runs, order),
    }
    extra = {}
    if ensemble:  # a posterior ensemble: effects paired by (set, seed), with parametric uncertainty
        from experiments import ensemble_aggregate

        more = ensemble_aggregate.tables(runs["values"], order, base, ensemble_aggregate.particles_of(sweep_dir))
        tables.update(more)
        extra["ensemble"] = ensemble_meta(man, completed)
    for name, df in tables.items():
        write_text(sweep_dir / f"{name}.csv", df.to_csv(index=False, float_format="%.10g"))
    write_text(sweep_dir / "sweep_status.json", json.dumps(status, indent=1))
    write_text(sweep_dir / "sweep_meta.json",
               json.dumps({**meta(sweep_dir, man, names, overrides, completed, settings, windows), **extra,
                           "provenance": of_runs(provs)}, indent=1))
    return {**tables, "status": status, "baseline": base, "order": order, "settings": settings, "windows": windows,
            "ensemble": extra.get("ensemble")}


def ensemble_meta(man: dict, completed: list[dict]) -> dict:
    """What sweep_meta.json says of a posterior ensemble: the posterior (from the manifest), the sets and seeds
    planned, the sets with a completed run, and how the intervals were computed."""
    from experiments.ensemble_stats import LEVEL

    planned = sorted({set_of(r["overrides"]) for r in man["runs"]})
    return {**(man.get("ensemble") or {}), "sets": planned,
            "sets_completed": sorted({set_of(r["overrides"]) for r in completed}),
            "seeds_per_set": len({r["seed"] for r in man["runs"]}),
            "interval": {"level": LEVEL, "method": "prediction interval over parameter sets of their seed-mean: "
                                                  "mean ± t(K-1) sd_sets sqrt(1 + 1/K)"}}


def _steps(sweep_dir: Path, completed: list[dict]) -> set[int]:
    """The lengths (last week) of the completed runs."""
    return {int(pq.read_metadata(sweep_dir / r["run_id"] / "timeseries.parquet").num_rows) - 1 for r in completed}


def _pm(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "n/a"
    fmt = ",.0f" if abs(mean) >= 1000 else ".3g"
    return f"{mean:{fmt}}" if math.isnan(low) else f"{mean:{fmt}} ±{(high - low) / 2:{fmt}}"


def headline(result: dict, indicators=HEADLINE) -> str:
    """The terminal table: per scenario, each headline indicator's mean over the window's weeks (costs: the
    window's net present cost) as mean ± half-width of its 95 % CI, then the paired difference from the
    baseline (* when its CI excludes 0), then the cost-effectiveness."""
    s = result["summary"].set_index(["scenario", "indicator", "statistic"])
    e = result["effects"].set_index(["scenario", "indicator", "statistic"])
    key = {i: (i, horizon.headline_statistic(i)) for i in indicators}
    inds = [i for i in indicators if (result["order"][0], *key[i]) in s.index]
    levels, diffs = {}, {}
    for sc in result["order"]:
        levels[sc] = {i: _pm(*s.loc[(sc, *key[i]), ["mean", "ci_low", "ci_high"]]) for i in inds}
        if sc != result["baseline"]:
            diffs[sc] = {i: _pm(*e.loc[(sc, *key[i]), ["diff_mean", "ci_low", "ci_high"]])
                         + ("*" if e.loc[(sc, *key[i]), "distinguishable"] else "") for i in inds}
    n = int(result["summary"]["n"].max()) if len(result["summary"]) else 0
    st = result["settings"]
    window = ", ".join(f"weeks {a}-{b}" for a, b in sorted(result["windows"]))
    ens = result.get("ensemble")
    if ens:
        over = (f"90 % prediction interval over {len(ens['sets_completed'])} parameter sets drawn from the posterior "
                f"{ens.get('source')} x {ens['seeds_per_set']} seeds (parametric and seed uncertainty)")
        pairs, ci = "paired by parameter set and seed", "90 % interval"
    else:
        over, pairs, ci = f"95 % CI over up to {n} seeds", "", "95 % CI"
    with pd.option_context("display.width", 250, "display.max_columns", 50, "display.max_colwidth", 30):
        out = [f"Over the horizon ({window}; costs: net present value at {st.discount_rate:.1%} a year), "
               f"mean ± half-width of the {over}:",
               pd.DataFrame.from_dict(levels, orient="index").to_string()]
        if diffs:
            out += [f"\nPaired difference from '{result['baseline']}'{' (' + pairs + ')' if pairs else ''} "
                    f"(* = {ci} excludes 0):",
                    pd.DataFrame.from_dict(diffs, orient="index").to_string()]
        ce = result["effects"][result["effects"]["indicator"].isin(list(horizon.CE_RATIOS))]
        if len(ce):
            cells = {(r.scenario, r.indicator): (f"{r.diff_mean:,.0f} [{r.ci_low:,.0f}, "
                                                 f"{'open' if math.isnan(r.ci_high) else f'{r.ci_high:,.0f}'}]"
                                                 if r.distinguishable else "no distinguishable benefit")
                     for r in ce.itertuples()}
            table = pd.Series(cells).unstack()[list(horizon.CE_RATIOS)]
            table = table.reindex([sc for sc in result["order"] if sc in table.index])
            kind = "5-95 % over parameter sets" if ens else "95 % bootstrap CI"
            out += [f"\nCost-effectiveness, net present EUR per unit of benefit [{kind}] (docs/SWEEPS.md):",
                    table.to_string()]
        if ens:
            out += ensemble_lines(result, inds)
    return "\n".join(out)


def ensemble_lines(result: dict, indicators) -> list[str]:
    """The terminal's probabilities of an ensemble: of improving each headline indicator (share of parameter
    sets whose seed-mean effect is in the desirable direction), and of being the most cost-effective."""
    e = result["ensemble_effects"]
    key = {i: horizon.headline_statistic(i) for i in indicators}
    e = e[e["indicator"].isin(list(key)) & (e["statistic"] == e["indicator"].map(key))].dropna(subset=["p_improve"])
    out = []
    if len(e):
        table = e.pivot(index="scenario", columns="indicator", values="p_improve")
        table = table.reindex([s for s in result["order"] if s in table.index])[[i for i in indicators if i in table]]
        out += ["\nProbability of improvement (share of parameter sets whose effect, mean over seeds, is desirable):",
                table.map(lambda p: f"{p:.0%}").to_string()]
    b = result["ensemble_best"]
    if len(b):
        table = b.pivot(index="scenario", columns="ratio", values="p_best")[[r for r in horizon.CE_RATIOS if r in set(b.ratio)]]
        table = table.reindex([s for s in result["order"] if s in table.index])
        out += ["\nProbability of being the most cost-effective (share of parameter sets with the lowest net present "
                "EUR per unit of benefit; the rest: no scenario gains):", table.map(lambda p: f"{p:.0%}").to_string()]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.aggregate", description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep_dir", type=Path, help="the sweep directory (hydra.sweep.dir)")
    ap.add_argument("settings", nargs="*", metavar="KEY=VALUE",
                    help="settings of the horizon account (experiments.horizon.HorizonSettings): discount_rate, "
                         "start_week, end_week, last_year_weeks, residual_value, asset_life_years.<asset>")
    ap.add_argument("--baseline", help="scenario the others are compared with (default: 'baseline', else "
                                       "the one with policy=baseline, else the first)")
    ap.add_argument("--quiet", action="store_true", help="no headline table")
    ap.add_argument("--allow-mixed-versions", action="store_true",
                    help="pool runs made by different versions of the model (refused by default)")
    args = ap.parse_intermixed_args(argv)
    try:
        settings = horizon.settings(args.settings)
        result = aggregate(args.sweep_dir, args.baseline, settings, args.allow_mixed_versions)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(headline(result), flush=True)
    print(describe_status(result["status"], args.sweep_dir), file=sys.stderr)
    print(f"Aggregates in {args.sweep_dir.resolve()}", file=sys.stderr)
    st = result["status"]
    return 1 if st["failed"] or st["missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
