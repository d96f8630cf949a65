"""In-process timings of model steps: the reference, the core schedule and the schedule with indicators.

Times are CPU time of this process (``time.process_time``): on a shared machine wall time also counts the
time spent waiting for a core, which has nothing to do with the model.  Wall time is recorded beside it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Timing:
    cpu: float
    wall: float


def timed(fn, *args) -> Timing:
    w0, c0 = time.perf_counter(), time.process_time()
    fn(*args)
    return Timing(cpu=time.process_time() - c0, wall=time.perf_counter() - w0)


def _run(model, steps: int) -> None:
    for _ in range(steps):
        model.step()


def district(households: int, seed: int, collect: bool):
    """A ``city_district`` model of ``households`` households (indicators collected if ``collect``)."""
    from abm.config import compose
    from abm.model import NeighbourhoodModel

    config = compose(["neighbourhood=city_district", f"neighbourhood.households={households}", f"seed={seed}"])
    return NeighbourhoodModel(config=config, collect=collect)


class Stepper:
    """A model kept between repetitions: each repetition times its next ``steps`` steps."""

    def __init__(self, model, per_step_units: str):
        self.model = model
        self.units = per_step_units

    def agents(self) -> float:
        m = self.model
        if self.units == "households":
            return float(m.households.occupied.sum())
        return float(len(m.agents))

    def time(self, steps: int) -> dict[str, float]:
        """Microseconds per agent-step (CPU and wall) over the next ``steps`` steps."""
        before = self.agents()
        t = timed(_run, self.model, steps)
        n = 0.5 * (before + self.agents()) * steps
        return {"cpu_us": 1e6 * t.cpu / n, "wall_us": 1e6 * t.wall / n}
