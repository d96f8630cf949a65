"""Indicator trajectories per scenario: mean over seeds and its 95 % CI at every week.

``results.parquet`` may hold thousands of runs, so it is scanned in record batches with only the
columns and indicators needed (pyarrow dataset filter); per batch, sums and sums of squares are added
up per (scenario, indicator, step), and nothing else is kept in memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
from scipy import stats

KEYS = ["scenario", "indicator", "step"]


def trajectories(results: Path, indicators: list[str], batch_size: int = 262_144) -> pd.DataFrame:
    """Columns scenario, indicator, step, n, mean, ci_low, ci_high (NaN values are left out of n)."""
    if not Path(results).exists():
        return pd.DataFrame(columns=KEYS + ["n", "mean", "ci_low", "ci_high"])
    dataset = ds.dataset(results, format="parquet")
    scanner = dataset.scanner(columns=KEYS + ["value"], filter=ds.field("indicator").isin(list(indicators)),
                              batch_size=batch_size)
    acc: pd.DataFrame | None = None
    for batch in scanner.to_batches():
        if batch.num_rows == 0:
            continue
        df = batch.to_pandas()
        df = df[np.isfinite(df["value"])]
        df = df.assign(sq=df["value"] ** 2)
        part = df.groupby(KEYS, observed=True).agg(n=("value", "size"), s=("value", "sum"), ss=("sq", "sum"))
        acc = part if acc is None else acc.add(part, fill_value=0.0)
    if acc is None:
        return pd.DataFrame(columns=KEYS + ["n", "mean", "ci_low", "ci_high"])
    return _finish(acc.reset_index())


def _finish(acc: pd.DataFrame) -> pd.DataFrame:
    n = acc["n"].to_numpy(dtype=float)
    mean = acc["s"].to_numpy() / n
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.maximum(acc["ss"].to_numpy() - n * mean**2, 0.0) / (n - 1)
        half = stats.t.ppf(0.975, n - 1) * np.sqrt(var / n)
    half = np.where(n > 1, half, np.nan)
    out = acc[KEYS].copy()
    out["step"] = out["step"].astype("int64")
    out["n"] = n.astype("int64")
    out["mean"] = mean
    out["ci_low"] = mean - half
    out["ci_high"] = mean + half
    return out.sort_values(KEYS, ignore_index=True)
