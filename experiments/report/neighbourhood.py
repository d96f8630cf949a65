"""The simulated neighbourhood at the start, described from one run's ``config.yaml``: the model is
rebuilt at week 0 (no step is run) and its buildings, units and households are counted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from abm.vocabulary import HOUSEHOLD_TYPES, TENURES


@dataclass
class Neighbourhood:
    name: str
    seed: int
    buildings: list[dict]          # name, tenure, units, unusable, vacant, households
    households_by_type: dict[str, int]
    households_by_tenure: dict[str, int]
    shared_spaces: list[dict]      # name, kind, building, capacity, sessions_per_week, manager
    waiting_list: int

    @property
    def units(self) -> int:
        return sum(b["units"] for b in self.buildings)

    @property
    def unusable(self) -> int:
        return sum(b["unusable"] for b in self.buildings)

    @property
    def households(self) -> int:
        return sum(self.households_by_type.values())

    @property
    def tenures(self) -> list[str]:
        return [t for t in TENURES if self.households_by_tenure.get(t, 0) or any(b["tenure"] == t for b in self.buildings)]


def describe(run_dir: Path) -> Neighbourhood:
    """Rebuild the model of ``run_dir`` at week 0 and count what is in it."""
    from abm.config import SimConfig, to_sim_config
    from abm.model import NeighbourhoodModel

    cfg = OmegaConf.merge(OmegaConf.structured(SimConfig), OmegaConf.load(Path(run_dir) / "config.yaml"))
    config = to_sim_config(cfg)
    model = NeighbourhoodModel(config=config, collect=False)
    space, hh = model.space, model.households
    occ = hh.occupied
    buildings = []
    for name, bi in space.building_index.items():
        units = space.unit_building == bi
        buildings.append({
            "name": name,
            "tenure": TENURES[int(np.bincount(space.unit_tenure[units]).argmax())],
            "units": int(units.sum()),
            "unusable": int((units & ~space.habitable).sum()),
            "vacant": int((units & space.habitable & ~occ).sum()),
            "households": int((units & occ).sum()),
        })
    by_type = np.bincount(hh.htype[occ], minlength=len(HOUSEHOLD_TYPES))
    by_tenure = np.bincount(space.unit_tenure[occ].astype(np.int64), minlength=len(TENURES))
    spaces = [{"name": s.name, "kind": s.kind, "building": s.building, "capacity": s.capacity,
               "sessions_per_week": s.sessions_per_week, "manager": s.manager}
              for s in config.neighbourhood.shared_spaces]
    return Neighbourhood(
        name=config.neighbourhood.name, seed=config.seed, buildings=buildings,
        households_by_type={t: int(n) for t, n in zip(HOUSEHOLD_TYPES, by_type)},
        households_by_tenure={t: int(n) for t, n in zip(TENURES, by_tenure)},
        shared_spaces=spaces, waiting_list=int(model.waiting_list),
    )
