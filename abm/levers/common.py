"""What the social levers share: who pays, staff hours, the service's calendar (its open weeks) and its
cost, the buildings a lever covers, and memberships that end when a household moves out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.errors import ConfigError
from abm.events import YEAR
from abm.levers.base import CostRow, Lever
from abm.params import param
from abm.store import Column
from abm.vocabulary import PAYERS


def week_of_year(week: int) -> int:
    """The week of the year (1-52) of model week ``week``: a run's week 1 is the first week of a year."""
    return (int(week) - 1) % YEAR + 1


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
    #: weeks of the year (1-52) the service is closed (holidays): it does not act and costs no staff then;
    #: 46 open weeks by default (New Year, Easter, three weeks in August, Christmas)
    closed_weeks: list[int] = param(default_factory=lambda: [1, 15, 32, 33, 34, 52], lo=1, hi=YEAR)

    @property
    def weeks_per_year(self) -> int:
        """Open weeks a year: the weeks of its calendar that are not closed."""
        return YEAR - len(set(self.closed_weeks))

    def check(self, prefix: str) -> None:
        if len(set(self.closed_weeks)) != len(self.closed_weeks):
            raise ConfigError(f"{prefix}closed_weeks", list(self.closed_weeks), "distinct weeks of the year (1-52)")


def staff_cost_week(hours_per_week: float, p: StaffedParams) -> float:
    """A week of service: contracted hours x hourly cost x (1 + coordination overhead), EUR."""
    return float(hours_per_week * p.hourly_cost * (1.0 + p.overhead_share))


def staff_cost_year(hours_per_week: float, p: StaffedParams) -> float:
    """A week of service x the open weeks of a year: the staff's yearly cost, EUR."""
    return staff_cost_week(hours_per_week, p) * p.weeks_per_year


class StaffedLever(Lever):
    """A lever run by paid staff on a service calendar: it works, and its staff are paid, in its open weeks
    only (:attr:`StaffedParams.closed_weeks`).  In a closed week its hooks do nothing: queues wait, and expire
    by their own rules.  Its staff cost is its contracted hours (``staff_hours``) in each open week."""

    def __init__(self, model, params: StaffedParams):
        super().__init__(model, params)
        self.closed = frozenset(params.closed_weeks)

    def is_open(self) -> bool:
        """Whether the service works this week (``model.week``)."""
        return week_of_year(self.model.week) not in self.closed

    def staff_hours(self) -> float:
        """Contracted staff hours a week (paid in open weeks)."""
        return self.p.hours_per_week

    def other_costs_year(self) -> float:
        """Its running costs besides staff, EUR a year at the current rate (fixed costs, fees per case)."""
        return 0.0

    def other_costs_week(self) -> float:
        """What it spent this week besides staff (a fixed cost over 52 weeks, this week's fees per case)."""
        return 0.0

    def yearly_cost(self) -> float:
        return staff_cost_year(self.staff_hours(), self.p) + self.other_costs_year()

    def costs(self) -> list[CostRow]:
        """What it spent this week (from week 1): its staff in an open week, nothing for staff in a closed one,
        plus :meth:`other_costs_week`.  Over a year the open weeks add up to its staff's yearly cost."""
        if self.model.week < 1:
            return []
        staff = staff_cost_week(self.staff_hours(), self.p) if self.is_open() else 0.0
        eur = staff + self.other_costs_week()
        return [CostRow(self.p.payer, "running", eur)] if eur else []


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
