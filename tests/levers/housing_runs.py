"""Helpers of the housing-lever tests: paired runs (same seeds) on acer_estate, short horizons."""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np

from abm.config import compose
from abm.model import NeighbourhoodModel

SEEDS = tuple(range(10))
#: a short spin-up keeps the tests fast; the levers start after it either way
FAST = ("neighbourhood=acer_estate", "spinup=short")


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


def check_bad_value(preset: str, dotted: str, value, key: str) -> None:
    """Setting ``dotted`` (a.b.0.c) to ``value`` in the ``preset`` policy fails validation naming ``key``."""
    import pytest

    from abm.errors import ConfigError
    from abm.params import validate

    cfg = config(f"policy={preset}")
    *path, last = dotted.split(".")
    obj = cfg
    for part in path:
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    if isinstance(obj, dict):
        obj[last] = value
    else:
        setattr(obj, last, value)
    with pytest.raises(ConfigError) as e:
        validate(cfg)
    assert e.value.key == key


def assert_same_as_baseline(seed: int, *overrides: str, steps: int = 30) -> NeighbourhoodModel:
    """A run with ``overrides`` (a lever present but switched off) is identical, week by week, to baseline."""
    a = run(config(f"steps={steps}"), seed, steps, collect=True)
    b = run(config(f"steps={steps}", *overrides), seed, steps, collect=True)
    da = a.datacollector.get_model_vars_dataframe().drop(columns="by_type")
    db = b.datacollector.get_model_vars_dataframe().drop(columns="by_type")
    assert da.equals(db)
    for name in ("htype", "trust", "satisfaction", "fragility", "moved_in"):
        assert np.array_equal(getattr(a.households, name), getattr(b.households, name))
    assert np.array_equal(a.ties.key, b.ties.key) and np.array_equal(a.ties.strength, b.ties.strength)
    assert len(b.levers) == 0 and b.allocation is None
    assert set(b.costs_by_payer().values()) == {0.0}
    return b
