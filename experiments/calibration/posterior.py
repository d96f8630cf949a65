"""The posterior of a calibration: weighted parameter sets, in a file a sweep can draw from.

``posterior.json`` (format ``abitare-posterior``, version 1; docs/CALIBRATION.md) holds the last generation
of the ABC-SMC run: the calibrated parameters (key, prior bounds, whether integer), the particles'
normalised weights and values (column-wise), and where they come from (calibration name, fingerprint,
pyabc run id and generation, acceptance threshold, model overrides, targets).  ``posterior.csv`` is the same
table for people and spreadsheets (a ``weight`` column, one column per parameter).  Floats are written
with every digit: reading either file back gives the same numbers bit for bit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from abm.errors import ConfigError
from experiments.calibration.parameters import Prior, overrides

FORMAT, VERSION = "abitare-posterior", 1


@dataclass
class Posterior:
    priors: dict[str, Prior]
    #: one row per particle, one column per parameter key
    values: pd.DataFrame
    weights: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        w = np.asarray(self.weights, dtype=float)
        if len(w) != len(self.values) or not len(w) or (w < 0).any() or abs(w.sum() - 1.0) > 1e-9:
            raise ValueError("a posterior needs one non-negative weight per particle, summing to 1")
        self.weights = w
        self.values = self.values[list(self.priors)].reset_index(drop=True)

    # --- drawing ------------------------------------------------------------------------------------------
    def draw(self, n: int, seed: int) -> pd.DataFrame:
        """``n`` parameter sets drawn by weight, with replacement (column ``particle``: the row drawn)."""
        rng = np.random.default_rng(seed)
        rows = rng.choice(len(self.weights), size=n, replace=True, p=self.weights)
        out = self.values.iloc[rows].reset_index(drop=True)
        out.insert(0, "particle", rows)
        return out

    def overrides(self, row: pd.Series | dict) -> list[str]:
        """Hydra overrides setting one parameter set (``row`` of :meth:`draw` or of ``values``)."""
        return overrides(self.priors, {k: float(row[k]) for k in self.priors})

    def mean(self) -> dict[str, float]:
        return {k: float(np.average(self.values[k], weights=self.weights)) for k in self.priors}

    # --- files --------------------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "version": VERSION, **self.meta,
            "parameters": [{"key": p.key, "lo": p.lo, "hi": p.hi, "integer": p.integer,
                            "declared": list(p.declared)} for p in self.priors.values()],
            "weights": self.weights.tolist(),
            "values": {k: self.values[k].astype(float).tolist() for k in self.priors},
        }, indent=1)

    def to_csv(self) -> str:
        df = self.values.copy()
        df.insert(0, "weight", self.weights)
        return df.to_csv(index=False, float_format="%.17g")

    def write(self, out: Path) -> None:
        from experiments.outputs import write_text

        write_text(Path(out) / "posterior.json", self.to_json())
        write_text(Path(out) / "posterior.csv", self.to_csv())


def effective_sample_size(weights) -> float:
    """Kish's effective sample size of importance weights, (sum w)^2 / sum w^2: how many equally weighted
    parameter sets the weighted population is worth (1 / sum w^2 for normalised weights)."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w ** 2).sum()) if w.size and (w ** 2).sum() > 0 else 0.0


def read(path: Path) -> Posterior:
    """A posterior from ``posterior.json`` (or the directory holding it); ConfigError if it is not one."""
    path = Path(path)
    if path.is_dir():
        path = path / "posterior.json"
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError("posterior", str(path), f"a posterior.json written by experiments.calibrate ({e})") from None
    if d.get("format") != FORMAT or d.get("version") != VERSION:
        raise ConfigError("posterior", str(path), f"format {FORMAT} version {VERSION}")
    priors = {p["key"]: Prior(p["key"], p["lo"], p["hi"], p["integer"], tuple(p["declared"]))
              for p in d.pop("parameters")}
    values = pd.DataFrame(d.pop("values"))[list(priors)]
    weights = np.asarray(d.pop("weights"), dtype=float)
    for key in ("format", "version"):
        d.pop(key)
    return Posterior(priors, values, weights, d)
