"""Small update rules shared by several submodels."""

from __future__ import annotations

import numpy as np


def close_gap(values: np.ndarray, slots: np.ndarray, rate: float) -> None:
    """Each occurrence of a slot in ``slots`` closes ``rate`` of the gap between its value and 1."""
    if len(slots) == 0:
        return
    counts = np.bincount(slots, minlength=len(values))
    hit = counts > 0
    values[hit] = 1.0 - (1.0 - values[hit]) * (1.0 - rate) ** counts[hit]


def lower(values: np.ndarray, slots: np.ndarray, amount: float | np.ndarray) -> None:
    """Subtract ``amount`` for each occurrence of a slot, keeping values in [0, 1]."""
    if len(slots) == 0:
        return
    np.subtract.at(values, slots, amount)
    np.clip(values, 0.0, 1.0, out=values)
