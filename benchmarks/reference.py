"""The yardstick: Mesa's Boltzmann wealth model, as in Mesa's own benchmarks, without data collection.

The same model as ``mesa/examples/basic/boltzmann_wealth_model`` (the model Mesa's ``benchmarks/``
time): money agents on an ``OrthogonalMooreGrid``, activated with ``AgentSet.shuffle_do``; each moves to a
random neighbouring cell and, if it has money, gives one unit to a random cellmate.  The grid keeps the
density of Mesa's large benchmark configuration (10,000 agents on 100 x 100 cells): one agent per cell.
"""

from __future__ import annotations

import math

import mesa
from mesa.discrete_space import CellAgent, OrthogonalMooreGrid


class MoneyAgent(CellAgent):
    def __init__(self, model, cell):
        super().__init__(model)
        self.cell = cell
        self.wealth = 1

    def step(self) -> None:
        self.cell = self.cell.neighborhood.select_random_cell()
        if self.wealth > 0:
            cellmates = [a for a in self.cell.agents if a is not self]
            if cellmates:
                self.random.choice(cellmates).wealth += 1
                self.wealth -= 1


class BoltzmannWealth(mesa.Model):
    def __init__(self, n: int = 5000, seed: int | None = None):
        super().__init__(seed=seed)
        side = max(1, math.isqrt(n))
        grid = OrthogonalMooreGrid((side, side), random=self.random)
        MoneyAgent.create_agents(self, n, self.random.choices(grid.all_cells.cells, k=n))

    def step(self) -> None:
        self.agents.shuffle_do("step")
