"""What the social levers share: who pays, staff hours and their yearly cost, the buildings a lever
covers, and memberships that end when a household moves out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.errors import ConfigError
from abm.params import param
from abm.store import Column
from abm.vocabulary import PAYERS


@dataclass
class StaffedParams:
    """Fields of a lever run by paid staff (a social cooperative under contract, a facilitator); each such lever
    names its staff's weekly hours ``hours_per_week``."""

    enabled: bool = False
    #: who pays the running cost (see abm.vocabulary.PAYERS)
    payer: str = param("acer", choices=PAYERS)
    #: hourly cost of an operator, EUR (CCNL cooperative sociali, levels C1-D2: about 21-26 EUR/h)
    hourly_cost: float = param(23.0, lo=0.0, hi=200.0)
    #: coordination overhead of the running cooperative, as a share of staff cost (10-15 %)
    overhead_share: float = param(0.12, lo=0.0, hi=1.0)
    #: weeks a year the service works (holidays excluded)
    weeks_per_year: float = param(46.0, lo=0.0, hi=52.0)


def staff_cost_year(hours_per_week: float, p: StaffedParams) -> float:
    """Contracted hours x hourly cost x weeks a year x (1 + coordination overhead), EUR a year."""
    return float(hours_per_week * p.hourly_cost * p.weeks_per_year * (1.0 + p.overhead_share))


def check_building_names(names: list[str], buildings, key: str, exclude_tenure: str | None = None) -> list[str]:
    """The buildings allowed for ``names``; a name that is not a building of the neighbourhood (or one of the
    excluded tenure) is a :class:`ConfigError` naming ``key``.  Called before any work and by the builder."""
    allowed = [b.name for b in buildings if b.tenure != exclude_tenure]
    for i, name in enumerate(names):
        if name not in allowed:
            raise ConfigError(f"{key}[{i}]", name, "[] (every building) or buildings " + ", ".join(allowed))
    return allowed


def covered_units(model, names: list[str], key: str, exclude_tenure: str | None = None) -> np.ndarray:
    """Unit indices of the buildings ``names`` ([] = every building, except those of ``exclude_tenure``)."""
    space = model.space
    allowed = check_building_names(names, space.buildings, key, exclude_tenure)
    chosen = names if names else allowed
    idx = [space.building_index[n] for n in chosen]
    return np.flatnonzero(np.isin(space.unit_building, idx))


def unit_mask(model, units: np.ndarray) -> np.ndarray:
    mask = np.zeros(model.space.n_units, dtype=bool)
    mask[units] = True
    return mask


def find_lever(model, name: str):
    """The enabled lever called ``name``, or None."""
    for lever in getattr(model, "levers", ()):
        if lever.name == name:
            return lever
    return None


class Membership:
    """Which households belong to an organisation: a column of the store, so a membership ends when the
    household moves out and a new household in the same unit is not a member."""

    def __init__(self, model, owner: str):
        self.unit = model.households.declare(owner, member=Column(np.bool_, False))

    def mask(self) -> np.ndarray:
        return self.unit.member.copy()

    def slots(self) -> np.ndarray:
        return np.flatnonzero(self.unit.member)

    def __len__(self) -> int:
        return int(np.count_nonzero(self.unit.member))

    def join(self, slots: np.ndarray) -> None:
        self.unit.member[slots] = True

    def leave(self, slots: np.ndarray) -> None:
        self.unit.member[slots] = False
