"""Helpers of the housing-lever tests: paired runs (same seeds) on acer_estate, short horizons."""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np

from abm.config import compose
from abm.model import NeighbourhoodModel

SEEDS = tuple(range(10))
#: a shorter warm-up keeps the tests fast; the levers start after it either way
FAST = ("neighbourhood=acer_estate", "encounters.warmup_weeks=26")


def config(*overrides: str):
    """A fresh validated config of acer_estate with ``overrides`` (composed once per distinct overrides)."""
    return copy.deepcopy(_composed(overrides))


@lru_cache(maxsize=None)
def _composed(overrides: tuple[str, ...]):
    return compose([*FAST, *overrides])


def run(cfg, seed: int, steps: int, collect: bool = False) -> NeighbourhoodModel:
    """A model of ``cfg`` with ``seed`` stepped ``steps`` weeks; ``model.totals`` sums weekly event counts."""
    model = NeighbourhoodModel(config=copy.deepcopy(cfg), seed=seed, collect=collect)
    model.totals = {"conflicts_new": 0.0}
    for _ in range(steps):
        model.step()
        for name in model.totals:
            model.totals[name] += model.events.counts[name][model.week % len(model.events.counts[name])]
    return model


def runs(cfg, steps: int, seeds=SEEDS) -> list[NeighbourhoodModel]:
    return [run(cfg, s, steps) for s in seeds]


def indicator(models, name: str) -> np.ndarray:
    return np.array([m.indicators()[name] for m in models])


def newcomers(model) -> np.ndarray:
    """Units of the households that moved in after week 0."""
    hh = model.households
    return np.flatnonzero(hh.occupied & (hh.moved_in >= 1))
