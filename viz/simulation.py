"""One browser session's simulations: run A (and B in compare mode), stepped and rebuilt under one lock.

A :class:`Session` belongs to one page (the app keeps it in the page's component state, never in a
module global), so two people with the app open each have their own models.  Settings are validated
and the new models built before anything is swapped in: a bad value leaves the running models as they
were, and the error (naming the key, the value and what is allowed) is the caller's to show.
"""

from __future__ import annotations

import threading

import numpy as np

from abm.indicators import HEADLINE
from abm.model import NeighbourhoodModel
from abm.vocabulary import OUTCOMES
from viz.controls import Settings

#: indicators charted live, in screen order: the headline indicators
CHARTED = HEADLINE
#: weeks of needs remembered for the map's "unmet needs" colouring and the household card
RECENT_WEEKS = 4


class RecentNeeds:
    """Each unit's needs over the last ``weeks`` weeks, counted by outcome (met by a neighbour, by a service, unmet).

    Filled from ``model.last_needs`` after every step; a household that moves in starts with no history.
    """

    def __init__(self, n_units: int, weeks: int = RECENT_WEEKS):
        self.weeks = weeks
        self.counts = np.zeros((weeks, len(OUTCOMES), n_units))

    def record(self, model) -> None:
        n = model.space.n_units
        if self.counts.shape[2] < n:  # new units were built
            grown = np.zeros((self.weeks, len(OUTCOMES), n))
            grown[:, :, : self.counts.shape[2]] = self.counts
            self.counts = grown
        row = self.counts[model.week % self.weeks]
        row[:] = 0.0
        needs = model.last_needs
        if needs is not None and len(needs):
            np.add.at(row, (needs.outcome, needs.requester), 1.0)
        newcomers = np.flatnonzero(model.households.moved_in[:n] == model.week)
        self.counts[:, :, newcomers] = 0.0

    def totals(self) -> np.ndarray:
        """Needs per outcome and unit over the window: shape (len(OUTCOMES), n_units)."""
        return self.counts.sum(axis=0)


class Run:
    """One model with what the app remembers about it."""

    def __init__(self, config):
        self.config = config
        self.model = NeighbourhoodModel(config=config)
        self.recent = RecentNeeds(self.model.space.n_units)

    @property
    def week(self) -> int:
        return self.model.week

    def step(self) -> None:
        self.model.step()
        self.recent.record(self.model)

    def series(self, name: str) -> np.ndarray:
        """The weekly values of one indicator so far (week 0 first)."""
        return np.asarray(self.model.datacollector.model_vars[name], dtype=float)


class Session:
    """The runs on one page and the settings that made them."""

    def __init__(self):
        self.lock = threading.RLock()
        self.settings: Settings | None = None
        self.runs: dict[str, Run] = {}
        #: the charted series of the run replaced by the last change of setting (drawn grey), or None
        self.previous: dict[str, np.ndarray] | None = None
        #: bumps whenever the runs are replaced (charts redraw their background)
        self.generation = 0

    @property
    def week(self) -> int:
        with self.lock:
            return self.runs["A"].week if self.runs else 0

    def apply(self, settings: Settings) -> None:
        """Start new runs from week 0 for ``settings``.

        Raises (ConfigError for a bad value) before changing anything.  In single mode, when only the
        policy or the seed changed, the replaced run's charts stay on screen in grey for comparison.
        """
        configs = {side: settings.config(side) for side in settings.sides()}
        runs = {side: Run(cfg) for side, cfg in configs.items()}
        with self.lock:
            old = self.settings
            if (old is not None and not old.compare and not settings.compare
                    and old.neighbourhood == settings.neighbourhood and self.runs and self.runs["A"].week > 0
                    and (old.a, old.seed) != (settings.a, settings.seed)):
                self.previous = {name: self.runs["A"].series(name) for name in CHARTED}
            elif old is None or old.neighbourhood != settings.neighbourhood or old.compare != settings.compare:
                self.previous = None
            self.runs = runs
            self.settings = settings
            self.generation += 1

    def reset(self) -> None:
        """Back to week 0 with the same settings (the same seed gives the same weeks again)."""
        if self.settings is not None:
            self.apply(self.settings)

    def step(self, weeks: int = 1) -> int:
        """Advance every run by ``weeks``; returns the week reached."""
        with self.lock:
            for _ in range(weeks):
                for run in self.runs.values():
                    run.step()
            return self.week
