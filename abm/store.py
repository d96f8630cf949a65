"""The per-unit store: one slot per dwelling unit, where every submodel and lever declares its per-unit columns.

A column is declared once, by its owner, with its dtype, the value of an empty slot and what happens to it
when the household in the slot moves out: ``RESET`` (it belonged to the household: back to the empty
value, so a new household in the unit inherits nothing) or ``KEEP`` (it belongs to the unit, e.g. the week
from which it can be re-let).  The store alone changes the shape of the columns: it grows every one of
them when units are built, resets the household's ones when it moves out and gives a household that
moves in a persistent id (``hid``), by which a queue or a record outside the store can tell whether the
household it remembers still lives in a unit (:meth:`UnitStore.still_there`).

The owner reads and writes its columns through the group :meth:`UnitStore.declare` returns
(``self.unit = model.households.declare("timebank", activity=Column(np.float64, 0.0))``, then
``self.unit.activity[slots]``); everyone else reads them, and changes them only through the owner's
verbs (tests/test_ownership.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: what happens to a column when the household in a slot moves out
RESET, KEEP = "reset", "keep"


@dataclass(frozen=True)
class Column:
    """A per-unit column: its dtype, the value of a slot without a value, what a move-out does to it."""

    dtype: type
    empty: object
    on_vacate: str = RESET
    #: the column holds week numbers (a date): the spin-up's re-dating moves every value but the empty one
    week: bool = False

    def __post_init__(self):
        if self.on_vacate not in (RESET, KEEP):
            raise ValueError(f"on_vacate must be {RESET!r} or {KEEP!r}, not {self.on_vacate!r}")


class Columns:
    """One owner's columns in the store: each an attribute holding an array with one value per unit."""

    def __init__(self, owner: str, spec: dict[str, Column]):
        self.owner = owner
        self.spec = dict(spec)

    def _grow(self, extra: int) -> None:
        for name, c in self.spec.items():
            setattr(self, name, np.concatenate([getattr(self, name), np.full(extra, c.empty, dtype=c.dtype)]))

    def _redate(self, weeks: int) -> None:
        for name, c in self.spec.items():
            if c.week:
                x = getattr(self, name)
                x[x != c.empty] += weeks

    def _reset(self, slots: np.ndarray, which: str) -> None:
        for name, c in self.spec.items():
            if c.on_vacate == which:
                getattr(self, name)[slots] = c.empty


class UnitStore(Columns):
    """The units' slots: which are occupied, the id of the household in each, and every declared column.

    Its own columns (a subclass declares them with ``declare(..., into=self)``) are attributes of the store.
    """

    def __init__(self, n_units: int, owner: str = "store"):
        super().__init__(owner, {})
        self.n = n_units
        self.occupied = np.zeros(n_units, dtype=bool)
        #: persistent id of the household in each slot (-1: empty); never reused
        self.hid = np.full(n_units, -1, dtype=np.int64)
        self.next_hid = 0
        self.groups: list[Columns] = [self]
        self.listeners: list[Callable[[int], None]] = []

    def declare(self, owner: str, into: Columns | None = None, **columns: Column) -> Columns:
        """Columns of ``owner``, filled with their empty value for every unit; returns the owner's group."""
        taken = {(g.owner, name) for g in self.groups for name in g.spec}
        clash = [name for name in columns if (owner, name) in taken]
        if clash:
            raise ValueError(f"{owner} declared column {clash[0]!r} twice")
        group = into if into is not None else Columns(owner, {})
        for name, c in columns.items():
            group.spec[name] = c
            setattr(group, name, np.full(self.n, c.empty, dtype=c.dtype))
        if group is not self and all(g is not group for g in self.groups):
            self.groups.append(group)
        return group

    def on_grow(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(n_units)`` after the store grew (for what is derived from the layout, not stored)."""
        self.listeners.append(listener)

    def columns(self) -> dict[str, tuple[Columns, str, Column]]:
        """Every declared column, as ``owner.name`` -> (group, name, column)."""
        return {f"{g.owner}.{name}": (g, name, c) for g in self.groups for name, c in g.spec.items()}

    # --- the store's verbs ------------------------------------------------------------------------------
    def grow(self, n_units: int) -> None:
        """Newly built units: every column gets empty slots; then the listeners hear of the new size."""
        extra = n_units - self.n
        if extra <= 0:
            return
        self.occupied = np.concatenate([self.occupied, np.zeros(extra, dtype=bool)])
        self.hid = np.concatenate([self.hid, np.full(extra, -1, dtype=np.int64)])
        for g in self.groups:
            g._grow(extra)
        self.n = n_units
        for listener in self.listeners:
            listener(n_units)

    def arrive(self, slots: np.ndarray) -> np.ndarray:
        """New households take the empty ``slots``; returns their ids."""
        if self.occupied[slots].any():
            raise RuntimeError("a household was placed in an occupied unit")
        hid = self.next_hid + np.arange(len(slots), dtype=np.int64)
        self.next_hid += len(slots)
        self.occupied[slots] = True
        self.hid[slots] = hid
        return hid

    def vacate(self, slots: np.ndarray) -> None:
        """The households in ``slots`` leave: every ``RESET`` column of every owner returns to its empty value."""
        self.occupied[slots] = False
        self.hid[slots] = -1
        for g in self.groups:
            g._reset(slots, RESET)

    def redate(self, weeks: int) -> None:
        """Every date (a column declared with ``week=True``) of every owner moves ``weeks`` later (empty values
        stay empty): the spin-up renumbers its weeks so that its last one is week -1 (docs/ODD.md, 3.2)."""
        for g in self.groups:
            g._redate(weeks)

    def still_there(self, slots: np.ndarray, hids: np.ndarray) -> np.ndarray:
        """Whether the household ``hids[i]`` still lives in ``slots[i]``."""
        return self.hid[slots] == hids
