"""Weekly event counts kept over a trailing window, for the windowed indicators.

Submodels record what happened this week (help acts, needs and how they ended,
conflicts started and ended, moves); indicators sum the last ``w`` weeks.
"""

from __future__ import annotations

import numpy as np

from abm.vocabulary import HOUSEHOLD_TYPES, OUTCOMES

#: scalar weekly counters
COUNTERS = (
    "help_acts",            # help acts between households (direct, brokered or time bank)
    "timebank_hours",       # hours exchanged through the time bank
    "conflicts_new",
    "conflicts_ended",
    "conflicts_resolved",   # ended by the parties, the portierato or mediation
    "moves_out",
    "households",           # occupied units this week (denominator of rates)
)
HORIZON = 52  # longest window any indicator reads
#: weeks in a year: the trailing window of the levers' running costs and of the yearly indicators
YEAR = 52


def annualised(total: float, weeks: int) -> float:
    """A total over ``weeks`` weeks as a rate per year."""
    return total * YEAR / weeks


def per_year(total: float, week: int) -> float:
    """A total over the trailing year at ``week`` (weeks 1 .. ``week``, at most the last 52: fewer at the start
    of a run) as a rate per year."""
    return annualised(total, max(min(week, YEAR), 1))


class WeeklyCounts:
    """How many times something happened each week, kept over the trailing year (a lever's cases, lettings)."""

    def __init__(self):
        self.weeks: list[int] = []

    def add(self, week: int, n: int) -> None:
        self.weeks = [w for w in self.weeks if w > week - YEAR] + [week] * n

    def last_year(self, week: int) -> int:
        """How many in weeks ``week - 51 .. week``."""
        return sum(1 for w in self.weeks if w > week - YEAR)

    def in_week(self, week: int) -> int:
        """How many in week ``week``."""
        return self.weeks.count(week)


class EventLog:
    """Ring buffers of weekly counts; row ``t % HORIZON`` holds week ``t``.

    ``first`` is the first week the log records (the spin-up's first week; 0 without a spin-up): windows
    never reach before it.
    """

    def __init__(self, first: int = 0):
        self.counts = {name: np.zeros(HORIZON) for name in COUNTERS}
        #: needs by household type and outcome
        self.needs = np.zeros((HORIZON, len(HOUSEHOLD_TYPES), len(OUTCOMES)))
        self.first = first
        self.week = first
        self._rows_cache: dict[int, np.ndarray] = {}

    def start_week(self, week: int) -> None:
        """Clear the row of ``week`` before submodels write into it."""
        self.week = week
        self._rows_cache = {}
        row = week % HORIZON
        for arr in self.counts.values():
            arr[row] = 0.0
        self.needs[row] = 0.0

    def redate(self, weeks: int) -> None:
        """Every recorded week moves ``weeks`` later (its row moves with it): the spin-up's renumbering."""
        shift = weeks % HORIZON
        for name, arr in self.counts.items():
            self.counts[name] = np.roll(arr, shift, axis=0)
        self.needs = np.roll(self.needs, shift, axis=0)
        self.week += weeks
        self.first += weeks
        self._rows_cache = {}

    def add(self, name: str, amount: float = 1.0) -> None:
        self.counts[name][self.week % HORIZON] += amount

    def add_needs(self, htype: np.ndarray, outcome: np.ndarray) -> None:
        """Record needs that ended this week, by household type and outcome code."""
        np.add.at(self.needs[self.week % HORIZON], (htype, outcome), 1.0)

    def _rows(self, window: int) -> np.ndarray:
        """Rows of the last ``window`` weeks (fewer at the start of a run), cached for the week."""
        rows = self._rows_cache.get(window)
        if rows is None:
            n = min(window, self.week - self.first + 1)
            rows = self._rows_cache[window] = (self.week - np.arange(n)) % HORIZON
        return rows

    def total(self, name: str, window: int) -> float:
        """Sum of counter ``name`` over the last ``window`` weeks (fewer at the start of a run)."""
        return float(np.add.reduce(self.counts[name][self._rows(window)]))

    def mean(self, name: str, window: int) -> float:
        rows = self._rows(window)
        return float(np.add.reduce(self.counts[name][rows]) / len(rows))

    def weeks(self, window: int) -> int:
        """How many weeks the window really covers so far."""
        return len(self._rows(window))

    def needs_window(self, window: int) -> np.ndarray:
        """Needs by (type, outcome) summed over the last ``window`` weeks."""
        return self.needs[self._rows(window)].sum(axis=0)
