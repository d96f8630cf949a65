"""Paired comparisons of a lever with the baseline on the same seeds (acer_estate unless overridden)."""

from __future__ import annotations

import copy
import warnings
from functools import lru_cache

import numpy as np
import pytest

from abm.config import compose
from abm.errors import ConfigError
from abm.indicators import INDICATORS
from abm.model import NeighbourhoodModel

#: ten paired seeds for every effect test
SEEDS = tuple(range(10))


@lru_cache(maxsize=None)
def _config(overrides: tuple[str, ...]):
    place = [] if any(o.startswith("neighbourhood=") for o in overrides) else ["neighbourhood=acer_estate"]
    # the short spin-up (as tests/conftest.py): both runs of a pair start from the same state either way
    spinup = [] if any(o.startswith("spinup") for o in overrides) else ["spinup=short"]
    return compose([*place, *spinup, *overrides])  # composing costs more than a year of weeks


def model(*overrides: str, seed: int = 0, collect: bool = True) -> NeighbourhoodModel:
    """A model of acer_estate (unless overridden) with ``overrides``, its configuration composed once."""
    return NeighbourhoodModel(config=copy.deepcopy(_config(tuple(overrides))), seed=seed, collect=collect)


@lru_cache(maxsize=None)
def run_tail(overrides: tuple[str, ...], seed: int, weeks: int, last: int):
    """(indicators averaged over the last ``last`` weeks, each lever's ``acts`` counters and member count at the
    end) of one run."""
    m = model(*overrides, seed=seed)
    for _ in range(weeks):
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column (e.g. no community cooperative)
        tail = {k: float(np.nanmean(df[k].to_numpy(dtype=float)[-last:])) for k in INDICATORS}
    acts = {}
    for lever in m.levers:
        acts[lever.name] = dict(getattr(lever, "acts", {}))
        if hasattr(lever, "members"):
            acts[lever.name]["members"] = len(lever.members)
    return tail, acts


def tail_means(name: str, *overrides: str, seeds=SEEDS, weeks: int = 78, last: int = 26) -> np.ndarray:
    """Per seed, indicator ``name`` averaged over the last ``last`` weeks."""
    return np.array([run_tail(tuple(overrides), s, weeks, last)[0][name] for s in seeds])


def effect(name: str, *overrides: str, seeds=SEEDS, weeks: int = 78, last: int = 26) -> np.ndarray:
    """Per seed, the lever run's ``name`` minus the baseline's (same seed, horizon and non-policy overrides)."""
    setting = [o for o in overrides if not o.startswith("policy")]
    return (tail_means(name, *overrides, seeds=seeds, weeks=weeks, last=last)
            - tail_means(name, *setting, "policy=baseline", seeds=seeds, weeks=weeks, last=last))


def acts(lever: str, key: str, *overrides: str, seeds=SEEDS, weeks: int = 78) -> np.ndarray:
    """Per seed, a lever's ``acts`` counter (or ``members``) at the end of the run."""
    return np.array([run_tail(tuple(overrides), s, weeks, 26)[1][lever][key] for s in seeds])


def refused_key(*overrides: str) -> str:
    """The key named by the ConfigError raised when a model is built with ``overrides`` (before any week)."""
    with pytest.raises(ConfigError) as e:
        model(*overrides, collect=False)
    return e.value.key
