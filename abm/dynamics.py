"""Small update rules and scalings shared by several submodels and levers (docs/ODD.md, 7.0)."""

from __future__ import annotations

import numpy as np

#: the propensity (participation, trust, fragility, in [0, 1]) at which a rate parameter is the rate itself:
#: a rate is scaled by ``propensity / REFERENCE``, so "the weekly probability that a household with
#: propensity 0.5 comes" is the parameter, and a household twice as keen is twice as likely to come
REFERENCE = 0.5


def at_reference(rate, *propensities):
    """``rate`` x each ``propensity / REFERENCE``: equal to ``rate`` when every propensity is at the reference."""
    out = rate * (1.0 / REFERENCE) ** len(propensities)
    for x in propensities:
        out = out * x
    return out


def weighted(weight: float, propensity):
    """``1 - weight + weight x propensity / REFERENCE``: a factor that is 1 at the reference propensity and
    follows the propensity with ``weight`` (0: not at all; 1: in proportion)."""
    return 1.0 - weight + at_reference(weight, propensity)


def below_reference(x):
    """``1 - x / REFERENCE``: 0 at the reference, up to 1 at 0, down to -1 at 1."""
    return 1.0 - x / REFERENCE


def close_gap(values: np.ndarray, slots: np.ndarray, rate: float) -> np.ndarray | None:
    """Each occurrence of a slot in ``slots`` closes ``rate`` of the gap between its value and 1; returns the
    mask of the values changed (None if ``slots`` is empty)."""
    if len(slots) == 0:
        return None
    counts = np.bincount(slots, minlength=len(values))
    hit = counts > 0
    values[hit] = 1.0 - (1.0 - values[hit]) * (1.0 - rate) ** counts[hit]
    return hit


def lower(values: np.ndarray, slots: np.ndarray, amount: float | np.ndarray) -> None:
    """Subtract ``amount`` for each occurrence of a slot, keeping values in [0, 1]."""
    if len(slots) == 0:
        return
    np.subtract.at(values, slots, amount)
    np.clip(values, 0.0, 1.0, out=values)
