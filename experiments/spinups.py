"""Shared spin-ups: a sweep spins up once per (model version, spin-up settings, seed), every run starts from it.

A run's state at week 0 depends on its seed and on the settings other than its policy, horizon and outputs
(``abm.spinup.spinup_settings``): every scenario of a seed starts from the same spun-up state (docs/ODD.md 3.2).
:class:`SpinupStore` (one per sweeper task) computes that state once, as a snapshot
(``NeighbourhoodModel.snapshot``: agents, stores, ties, conflicts, events and every random generator's state),
and starts each run from a copy of it (``NeighbourhoodModel.from_snapshot``), which gives the same model, bit for
bit, as the run spinning up by itself.  The key is :func:`experiments.provenance.spinup_identity`.

- **In memory**: the task keeps the last few states (the plan puts the runs of one key next to each other:
  experiments.tasks.order_runs).
- **On disk**: ``<sweep dir>/.abitare/spinup/<key>/state`` (header, key, sha256 of the payload, payload),
  written atomically, so the other tasks, other sweeps on the directory and a resumed sweep reuse it.  A state is
  computed under a claim on its directory (experiments.claims, waiting): a second task that needs it meanwhile
  waits and then reads it instead of computing it again.  A file that is unreadable, truncated or of another key
  is computed again and replaced.  The files are a cache: deleting the directory loses nothing.  A task removes
  a state once every planned run that needs it is complete (:meth:`SpinupStore.discard`), so a sweep holds on
  disk only the states of unfinished runs (about 0.2 MB each for ``acer_estate``), not one per seed and
  parameter set of a whole ensemble; a resumed sweep finds those of its unfinished runs.
- ``hydra.sweeper.share_spinup=false`` turns the sharing off (every run spins up by itself; the results are the same).
"""

from __future__ import annotations

import hashlib
import shutil
from collections import OrderedDict
from pathlib import Path

from experiments.claims import Claim
from experiments.outputs import atomic_write

MAGIC = b"abitare-spinup-1\n"
STATE = "state"


def encode(key: str, payload: bytes) -> bytes:
    return MAGIC + key.encode() + b"\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def decode(key: str, data: bytes) -> bytes | None:
    """The payload of a state file of ``key``, or None if the file is not one (other key, truncated, corrupt)."""
    head = MAGIC + key.encode() + b"\n"
    if not data.startswith(head):
        return None
    digest, sep, payload = data[len(head):].partition(b"\n")
    if not sep or hashlib.sha256(payload).hexdigest().encode() != digest:
        return None
    return payload


class SpinupStore:
    """Spun-up states of one task: in memory (the last ``keep``), and in ``directory`` if given."""

    def __init__(self, directory: Path | None = None, keep: int = 4):
        self.directory = Path(directory) if directory is not None else None
        self.keep = keep
        self.memory: OrderedDict[str, bytes] = OrderedDict()
        #: how many states this store computed, read from disk, and found in memory
        self.counts = {"computed": 0, "read": 0, "memory": 0}
        #: the key of the last run's state
        self.last_key: str | None = None

    def model(self, config, collect: bool = True):
        """The model of the run ``config`` at week 0, started from the shared spun-up state of its key."""
        from abm.model import NeighbourhoodModel
        from experiments.provenance import spinup_identity

        key = self.last_key = spinup_identity(config)
        state = self.memory.get(key)
        if state is None:
            state = self.fetch(key, config)
            self.memory[key] = state
            while len(self.memory) > self.keep:
                self.memory.popitem(last=False)
        else:
            self.counts["memory"] += 1
            self.memory.move_to_end(key)
        return NeighbourhoodModel.from_snapshot(state, config, collect=collect)

    def fetch(self, key: str, config) -> bytes:
        """The state of ``key``: read from disk, else computed (and written there)."""
        if self.directory is None:
            return self.compute(config)
        where = self.directory / key
        with Claim(where, wait=True):
            state = self.read(where / STATE, key)
            if state is not None:
                self.counts["read"] += 1
                return state
            state = self.compute(config)
            data = encode(key, state)
            atomic_write(where / STATE, lambda tmp: tmp.write_bytes(data))
            return state

    def discard(self, key: str) -> None:
        """No run needs the state of ``key`` any more: off the disk (a task that still wanted it computes it)."""
        self.memory.pop(key, None)
        if self.directory is not None:
            shutil.rmtree(self.directory / key, ignore_errors=True)

    @staticmethod
    def read(path: Path, key: str) -> bytes | None:
        try:
            return decode(key, path.read_bytes())
        except OSError:
            return None

    def compute(self, config) -> bytes:
        from abm.model import NeighbourhoodModel

        self.counts["computed"] += 1
        return NeighbourhoodModel(config=config, start=False).snapshot()
