"""Reading a sweep's aggregate (the files ``python -m experiments.aggregate`` writes) for the report.

Only the small tables are read whole; the tidy ``results.parquet`` is streamed by
:mod:`experiments.report.trajectories`.  A missing optional file gives an empty table, never an error,
so a partial sweep still gets a report that says what is missing.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.horizon import ALL, CE_RATIOS, PERIOD_MEAN, headline_statistic

BASELINE = "baseline"
#: the global sensitivity of lever effects (experiments.effect_sensitivity), shown when the sweep holds it
EFFECT_MORRIS = "effect_morris.csv"
#: the columns of a level table of the aggregate
LEVEL = ["n", "mean", "sd", "ci_low", "ci_high"]
#: cost-effectiveness rows of effects.csv (computed by the aggregation against the baseline)
CE_INDICATORS = tuple(CE_RATIOS)


@dataclass
class Status:
    """Runs expected, completed, failed and missing (``sweep_status.json``)."""

    expected: int = 0
    completed: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    known: bool = True

    @property
    def complete(self) -> bool:
        return self.known and not self.failed and not self.missing and len(self.completed) >= self.expected


@dataclass
class Sweep:
    """The aggregate of one sweep."""

    root: Path
    meta: dict
    status: Status
    scenarios: pd.DataFrame
    summary: pd.DataFrame
    effects: pd.DataFrame
    by_group: pd.DataFrame
    #: the horizon's costs by payer and asset (cost_account.csv) and the money spent each year (cost_by_year.csv)
    cost_account: pd.DataFrame = field(default_factory=pd.DataFrame)
    cost_by_year: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: a posterior ensemble (experiments.ensemble_aggregate): the effect's distribution over parameter sets,
    #: each set's effect, the probability of being the most cost-effective (empty outside an ensemble)
    ensemble_effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    ensemble_sets: pd.DataFrame = field(default_factory=pd.DataFrame)
    ensemble_best: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the calibration behind the posterior (ensemble/: calibration.json, fit.csv, posterior.json), if any
    calibration: dict | None = None
    fit: pd.DataFrame = field(default_factory=pd.DataFrame)
    posterior: object = None
    #: the global sensitivity of lever effects (effect_morris.csv), when the sweep directory holds it
    effect_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ensemble(self) -> dict | None:
        """What sweep_meta.json says of the posterior ensemble (None outside one)."""
        return self.meta.get("ensemble") or None

    def ensemble_effect(self, scenario: str, indicator: str, statistic: str | None = None) -> pd.Series | None:
        """A row of ensemble_effects.csv (statistic as in :meth:`effect`)."""
        if self.ensemble_effects.empty:
            return None
        return _row(self.ensemble_effects, scenario, indicator, statistic or headline_statistic(indicator))

    @property
    def groups(self) -> pd.DataFrame:
        """The per-household-type indicators by their mean over the horizon (by_group_summary.csv)."""
        return self.by_group[self.by_group["statistic"] == PERIOD_MEAN]

    @property
    def results(self) -> Path:
        return self.root / "results.parquet"

    @cached_property
    def baseline(self) -> str:
        """The scenario the others are compared with: the one absent from effects.csv (named ``baseline``
        unless the aggregation chose another), else ``baseline``."""
        names = self._names()
        compared = set(self.effects["scenario"].astype(str)) if len(self.effects) else set()
        candidates = [s for s in names if s not in compared]
        if BASELINE in candidates or not candidates or not compared:
            return BASELINE
        return candidates[0]

    def _names(self) -> list[str]:
        names = list(dict.fromkeys(self.scenarios["scenario"].astype(str)))
        for df in (self.summary, self.effects):
            if "scenario" in df:
                names += [s for s in dict.fromkeys(df["scenario"].astype(str)) if s not in names]
        return names

    @property
    def scenario_names(self) -> list[str]:
        """Scenarios in the order of scenarios.csv, baseline first."""
        base = self.baseline
        return sorted(self._names(), key=lambda s: s != base)

    @property
    def compared(self) -> list[str]:
        """Scenarios compared with the baseline (every scenario but the baseline)."""
        base = self.baseline
        return [s for s in self.scenario_names if s != base]

    def overrides(self, scenario: str) -> dict[str, str]:
        """The parameters a scenario overrides (from scenarios.csv), without empty cells."""
        row = self.scenarios[self.scenarios["scenario"].astype(str) == scenario]
        if row.empty:
            return {}
        out = {}
        for key, value in row.iloc[0].items():
            if key != "scenario" and not pd.isna(value) and str(value) != "":
                out[str(key)] = str(value)
        return out

    def varying(self) -> list[str]:
        """The parameters whose value differs between scenarios (an absent override counts as a value)."""
        cols = [c for c in self.scenarios.columns if c != "scenario"]
        return [c for c in cols if self.scenarios[c].astype(str).where(self.scenarios[c].notna(), "").nunique() > 1]

    def dose(self) -> tuple[str, dict[str, float]] | None:
        """The one numeric parameter that varies across scenarios, with its value per scenario, if any."""
        numeric = {}
        for col in self.scenarios.columns:
            if col == "scenario":
                continue
            values = pd.to_numeric(self.scenarios[col], errors="coerce")
            given = self.scenarios[col].notna() & (self.scenarios[col].astype(str) != "")
            if given.any() and values[given].notna().all() and values[given].nunique() > 1:
                numeric[col] = dict(zip(self.scenarios["scenario"][given].astype(str), values[given].astype(float)))
        if len(numeric) != 1:
            return None
        return next(iter(numeric.items()))

    def effect(self, scenario: str, indicator: str, statistic: str | None = None) -> pd.Series | None:
        """A row of effects.csv; by default the statistic the report reads an indicator by (its mean over the
        horizon; a cost or cumulative quantity over the whole horizon)."""
        return _row(self.effects, scenario, indicator, statistic or headline_statistic(indicator))

    def level(self, scenario: str, indicator: str, statistic: str | None = None) -> pd.Series | None:
        """A row of summary.csv (the statistic as in :meth:`effect`)."""
        return _row(self.summary, scenario, indicator, statistic or headline_statistic(indicator))

    def cost(self, scenario: str, measure: str, payer: str = ALL, asset: str = ALL) -> pd.Series | None:
        """A row of cost_account.csv."""
        c = self.cost_account
        if c.empty:
            return None
        rows = c[(c["scenario"] == scenario) & (c["payer"] == payer) & (c["asset"] == asset) & (c["measure"] == measure)]
        return rows.iloc[0] if len(rows) else None

    def run_dirs(self) -> list[Path]:
        """Directories of completed runs (baseline runs first)."""
        dirs = [self.root / r for r in self.status.completed[:200] if (self.root / r / "config.yaml").is_file()]
        if not dirs:  # run directories not named by run id (e.g. Hydra's job numbers): look for them
            found = (p.parent for p in self.root.rglob("config.yaml") if (p.parent / "summary.json").is_file())
            dirs = sorted(itertools.islice(found, 200))
        base = [d for d in dirs if _summary_policy(d) == BASELINE]
        return base + [d for d in dirs if d not in base]


def _row(df: pd.DataFrame, scenario: str, indicator: str, statistic: str) -> pd.Series | None:
    rows = df[(df["scenario"] == scenario) & (df["indicator"] == indicator) & (df["statistic"] == statistic)]
    return rows.iloc[0] if len(rows) else None


def _summary_policy(run: Path) -> str | None:
    try:
        return json.loads((run / "summary.json").read_text(encoding="utf-8")).get("policy")
    except (OSError, ValueError):
        return None


def _csv(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    df = pd.read_csv(path, keep_default_na=True)
    if "scenario" in df:
        df["scenario"] = df["scenario"].astype(str)
    return df


def _json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _status(raw: dict | None) -> Status:
    if raw is None:
        return Status(known=False)
    failed = [f if isinstance(f, dict) else {"run_id": str(f), "error": ""} for f in raw.get("failed", [])]
    return Status(expected=int(raw.get("expected", 0)), completed=[str(r) for r in raw.get("completed", [])],
                  failed=failed, missing=[str(r) for r in raw.get("missing", [])])


def load(root: Path | str) -> Sweep:
    """The aggregate in ``root``; raises FileNotFoundError naming what is missing if there is none."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a directory (give the sweep's MULTIRUN_DIR)")
    if not (root / "effects.csv").is_file() and not (root / "summary.csv").is_file():
        raise FileNotFoundError(f"{root}: no effects.csv or summary.csv; run `python -m experiments.aggregate {root}` first")
    effects = _csv(root / "effects.csv", ["scenario", "indicator", "statistic", "n_pairs", "diff_mean", "diff_sd",
                                           "ci_low", "ci_high", "distinguishable"])
    if "distinguishable" in effects:
        effects["distinguishable"] = effects["distinguishable"].map(_truth)
    scenarios = _csv(root / "scenarios.csv", ["scenario"])
    # parameter columns are named by their config key, with or without a "param." prefix; the seed is no scenario
    scenarios = scenarios.rename(columns=lambda c: c[len("param."):] if c.startswith("param.") else c)
    scenarios = scenarios.drop(columns=[c for c in ("seed",) if c in scenarios])
    return Sweep(
        root=root,
        meta=_json(root / "sweep_meta.json") or {},
        status=_status(_json(root / "sweep_status.json")),
        scenarios=scenarios,
        summary=_csv(root / "summary.csv", ["scenario", "indicator", "statistic", *LEVEL]),
        effects=effects,
        by_group=_csv(root / "by_group_summary.csv", ["scenario", "household_type", "indicator", "statistic", *LEVEL]),
        cost_account=_csv(root / "cost_account.csv", ["scenario", "payer", "asset", "measure", *LEVEL]),
        cost_by_year=_csv(root / "cost_by_year.csv", ["scenario", "year", "kind", *LEVEL]),
        **_ensemble(root),
        effect_sensitivity=_csv(root / EFFECT_MORRIS, []),
    )


def _ensemble(root: Path) -> dict:
    """The ensemble's tables and the calibration behind its posterior (copied into ``ensemble/`` by the sweep)."""
    from experiments.calibration.posterior import read
    from experiments.ensemble import DIR, POSTERIOR

    d = root / DIR
    post = None
    if (d / POSTERIOR).is_file():
        try:
            post = read(d / POSTERIOR)
        except ValueError:
            post = None
    return {"ensemble_effects": _csv(root / "ensemble_effects.csv", []), "ensemble_sets": _csv(root / "ensemble_sets.csv", []),
            "ensemble_best": _csv(root / "ensemble_best.csv", []).rename(columns={"scenario": "scenario"}),
            "calibration": _json(d / "calibration.json"), "fit": _csv(d / "fit.csv", []), "posterior": post}


def _truth(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v) if not (isinstance(v, float) and np.isnan(v)) else False
