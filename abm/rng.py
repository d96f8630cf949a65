"""One independent random stream per submodel, lever and service (always called ``rng``).

Each stream is spawned from the run seed and a stable hash of the submodel's
name, so adding, removing or switching a submodel never shifts the random
numbers drawn by the others (ODD, "Stochasticity").
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """A numpy Generator for the submodel ``name`` in a run with ``seed``."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=(key,)))


class OwnStream:
    """For Mesa agents: ``self.rng`` is the agent's own named stream, as for submodels (Mesa's ``Agent.rng``
    would be the model's one generator, shared by everyone)."""

    @property
    def rng(self) -> np.random.Generator:
        return self._rng

    @rng.setter
    def rng(self, value: np.random.Generator) -> None:
        self._rng = value
