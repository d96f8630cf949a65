"""Writing a run's results: atomically (temporary file, then rename), completion marker last.

Files of one run directory:

- ``config.yaml``        the resolved configuration
- ``timeseries.parquet`` one row per week, one column per indicator
- ``by_group.parquet``   week x household type x indicator (tidy)
- ``costs.parquet``      what the levers spent each week: step, lever, payer, kind (running or capital), eur,
                         asset and service_week (capital: what it creates and the week that enters service)
- ``summary.json``       indicators and lever costs by payer at the last week, what each lever did
                         (``levers``), seed, config hash, package version, the run's costs and effects
                         over the whole run (``horizon``: :func:`experiments.horizon.account` at the default
                         settings of the aggregate) and the run's ``provenance`` (model version, run identity,
                         git commit and dirty flag, installed dependency versions; experiments.provenance)
- ``DONE``               written last: the run is complete (sweeps skip runs that have it and the same identity)
- ``error.txt``          the traceback, if the run raised
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

import abm
from abm.indicators import BY_TYPE, INDICATORS
from experiments.horizon import HorizonSettings, account
from abm.vocabulary import HOUSEHOLD_TYPES

DONE = "DONE"
ERROR = "error.txt"
#: the horizon account each run's summary.json holds: the aggregate's default settings
DEFAULT_HORIZON = HorizonSettings()


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path``: readers never see a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_parquet(path: Path, df: pd.DataFrame, schema: pa.Schema | None = None) -> None:
    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    atomic_write(path, lambda p: pq.write_table(table, p, compression="zstd"))


def config_yaml(config) -> str:
    """The resolved configuration as YAML (plain data: converting it back into a structured OmegaConf node
    first would cost most of the time of writing a run's results)."""
    return yaml.safe_dump(dataclasses.asdict(config), sort_keys=False, allow_unicode=True)


def config_hash(config) -> str:
    """A short stable hash of the resolved configuration and the input files it names (without the seed)."""
    from experiments.provenance import config_digest

    return config_digest(config)[:12]


def timeseries(model) -> pd.DataFrame:
    """The data collector's indicators, one row per week."""
    df = model.datacollector.get_model_vars_dataframe()
    df = df[list(INDICATORS)].astype("float64")
    df.insert(0, "step", np.arange(len(df), dtype=np.int64))
    return df


def by_group(model) -> pd.DataFrame:
    """The per-household-type breakdown, tidy: step, household_type, indicator, value."""
    arr = np.stack(model.datacollector.get_model_vars_dataframe()["by_type"].to_list())  # steps x ind x types
    steps, n_ind, n_types = arr.shape
    return pd.DataFrame({
        "step": np.repeat(np.arange(steps, dtype=np.int64), n_ind * n_types),
        "household_type": np.tile(np.array(HOUSEHOLD_TYPES), steps * n_ind),
        "indicator": np.tile(np.repeat(np.array(BY_TYPE), n_types), steps),
        "value": arr.reshape(-1).astype("float64"),
    })


def _clean(v):
    return None if isinstance(v, float) and math.isnan(v) else v


COST_SCHEMA = pa.schema([("step", pa.int64()), ("lever", pa.string()), ("payer", pa.string()),
                         ("kind", pa.string()), ("eur", pa.float64()), ("asset", pa.string()),
                         ("service_week", pa.int64())])


def costs(model) -> pd.DataFrame:
    """The data collector's table of what the levers spent each week (:meth:`abm.levers.base.Lever.costs`)."""
    df = model.datacollector.get_table_dataframe("costs")[COST_SCHEMA.names]
    return df.astype({"step": "int64", "eur": "float64", "service_week": "int64"})


def _json_safe(obj):
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    return _clean(obj)


def summary(model, config, ts: pd.DataFrame | None = None, spent: pd.DataFrame | None = None,
            overrides: dict[str, str] | None = None) -> dict:
    from experiments.provenance import record

    ts = timeseries(model) if ts is None else ts
    spent = costs(model) if spent is None else spent
    last = ts.iloc[-1]
    return {
        "seed": config.seed,
        "steps": config.steps,
        "neighbourhood": config.neighbourhood.name,
        "policy": config.policy.name,
        "config_hash": config_hash(config),
        "version": abm.__version__,
        "households": int(model.households.occupied.sum()),
        "units": int(model.space.n_units),
        #: the spin-up before week 0 (docs/ODD.md 3.2): weeks run, and whether the stop rule was met
        "spinup_weeks": int(model.spinup_weeks),
        "spinup_converged": bool(model.spinup_converged),
        "indicators": {k: _clean(float(last[k])) for k in INDICATORS},
        #: yearly cost of the active levers at the last week, EUR/year, by who pays (abm.vocabulary.PAYERS)
        "costs_by_payer": model.costs_by_payer(),
        #: per enabled lever: payer, yearly cost at the last week and what it did over the run
        "levers": model.lever_activity(),
        #: costs and effects over the whole run, counted as the aggregate does by default (docs/SWEEPS.md)
        "horizon": {"settings": DEFAULT_HORIZON.as_dict(), **_json_safe(account(ts, spent, DEFAULT_HORIZON))},
        "provenance": record(config, overrides),
    }


def write_run(out: Path, model, config, wall_seconds: float | None = None,
              overrides: dict[str, str] | None = None) -> None:
    """All result files of a finished run, each written atomically, then the completion marker (a kill at any
    moment leaves either the complete run or no ``DONE``); ``overrides`` (a sweep's run) go into the recipe."""
    out = Path(out)
    if config.seed is None:  # the caller's config of a model that drew its own seed: record the seed it ran
        config = dataclasses.replace(config, seed=model.seed)
    (out / DONE).unlink(missing_ok=True)
    for tmp in out.glob(".*.tmp"):  # left by a process killed while writing
        tmp.unlink(missing_ok=True)
    write_text(out / "config.yaml", config_yaml(config))
    ts, spent = timeseries(model), costs(model)
    write_parquet(out / "timeseries.parquet", ts)
    if config.output.get("by_group", True):
        write_parquet(out / "by_group.parquet", by_group(model))
    write_parquet(out / "costs.parquet", spent, COST_SCHEMA)
    s = summary(model, config, ts, spent, overrides)
    write_text(out / "summary.json", json.dumps(s, indent=2, sort_keys=True))
    (out / ERROR).unlink(missing_ok=True)
    write_text(out / DONE, json.dumps({"wall_seconds": wall_seconds,
                                       "run_identity": s["provenance"]["run_identity"]}))
