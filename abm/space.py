"""The neighbourhood's physical space: buildings, stairwells, floors, dwelling units, shared spaces.

Units are the slots of the household arrays (at most one household per unit).
Proximity levels (same landing, same stairwell, same building, whole
neighbourhood) are cached as :class:`Groups` so that drawing an encounter
partner costs O(1) per encounter, whatever the size of the neighbourhood.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.errors import ConfigError
from abm.params import param
from abm.vocabulary import MANAGERS, SPACE_KINDS, TENURE_CODE, TENURES


@dataclass
class BuildingSpec:
    """One building: a block of ``stairwells`` x ``floors`` x ``units_per_landing`` dwellings."""

    name: str = "A"
    tenure: str = param("erp", choices=TENURES)
    stairwells: int = param(2, lo=1, hi=50)
    floors: int = param(5, lo=1, hi=40)
    units_per_landing: int = param(4, lo=1, hi=20)
    unit_m2: float = param(65.0, lo=15.0, hi=400.0)
    #: dwellings that cannot be let until regenerated (vacant stock awaiting works)
    unusable_units: int = param(0, lo=0)
    #: habitable dwellings that are empty at the start (waiting to be re-let)
    vacant_units: int = param(0, lo=0)

    def check(self, prefix: str) -> None:
        n = self.stairwells * self.floors * self.units_per_landing
        if self.unusable_units + self.vacant_units > n:
            raise ConfigError(f"{prefix}unusable_units", self.unusable_units + self.vacant_units,
                              f"unusable_units + vacant_units <= the building's {n} units")


@dataclass
class SharedSpaceSpec:
    """A shared space (courtyard, common room, laundry, garden, ...)."""

    name: str = "courtyard"
    kind: str = param("courtyard", choices=SPACE_KINDS)
    #: building whose residents use it; "" = open to the whole neighbourhood
    building: str = ""
    #: people who can use it at the same time (one session)
    capacity: int = param(20, lo=1)
    #: sessions (opening slots) per week
    sessions_per_week: int = param(7, lo=0)
    #: weekly probability that an eligible household wants to use it
    use_probability: float = param(0.2, lo=0.0, hi=1.0)
    manager: str = param("none", choices=MANAGERS)


@dataclass
class NeighbourhoodConfig:
    """A neighbourhood preset, or the paths of two CSV files describing a real estate."""

    name: str = "acer_estate"
    description: str = ""
    buildings: list[BuildingSpec] = field(default_factory=list)
    shared_spaces: list[SharedSpaceSpec] = field(default_factory=list)
    #: CSV of buildings (columns: see docs/INPUT_DATA.md); replaces ``buildings`` when set
    buildings_csv: str = ""
    #: CSV of households (columns: see docs/INPUT_DATA.md); replaces the population generator when set
    households_csv: str = ""
    #: households already waiting for a social-tenure unit at the start
    initial_waiting_list: int = param(40, lo=0)

    def check(self, prefix: str) -> None:
        if not self.buildings and not self.buildings_csv:
            raise ConfigError(f"{prefix}buildings", [], "at least one building, or a buildings_csv path")
        names = [b.name for b in self.buildings]
        if len(set(names)) != len(names):
            raise ConfigError(f"{prefix}buildings", names, "unique building names")
        if not self.buildings_csv:
            for i, s in enumerate(self.shared_spaces):
                if s.building and s.building not in names:
                    raise ConfigError(f"{prefix}shared_spaces[{i}].building", s.building,
                                      "'' (whole neighbourhood) or one of " + ", ".join(names))


class Groups:
    """A partition of units into groups (landings, stairwells, ...), stored CSR-style.

    ``members[start[g]:start[g] + size[g]]`` are the units of group ``g``.
    """

    def __init__(self, group_of_unit: np.ndarray):
        self.of_unit = np.asarray(group_of_unit, dtype=np.int64)
        n_groups = int(self.of_unit.max()) + 1 if len(self.of_unit) else 0
        self.members = np.argsort(self.of_unit, kind="stable")
        self.size = np.bincount(self.of_unit, minlength=n_groups)
        self.start = np.concatenate([[0], np.cumsum(self.size)[:-1]]).astype(np.int64)

    def random_member(self, units: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """For each unit, a uniformly random unit of its own group (possibly itself)."""
        g = self.of_unit[units]
        offset = (rng.random(len(units)) * self.size[g]).astype(np.int64)
        return self.members[self.start[g] + offset]


@dataclass
class SharedSpace:
    """A built shared space: its spec plus the units whose households may use it."""

    spec: SharedSpaceSpec
    index: int
    eligible: np.ndarray  # unit indices

    @property
    def weekly_capacity(self) -> int:
        """Person-visits the space can host in a week."""
        return self.spec.capacity * self.spec.sessions_per_week


class Neighbourhood:
    """Buildings and units as arrays, with cached proximity groups and a drawn plan."""

    def __init__(self, buildings: list[BuildingSpec], spaces: list[SharedSpaceSpec]):
        self.buildings = list(buildings)
        self.building_index = {b.name: i for i, b in enumerate(self.buildings)}
        cols = {k: [] for k in ("building", "stairwell", "floor", "position", "m2", "tenure")}
        for bi, b in enumerate(self.buildings):
            for s in range(b.stairwells):
                for f in range(b.floors):
                    for p in range(b.units_per_landing):
                        cols["building"].append(bi)
                        cols["stairwell"].append(s)
                        cols["floor"].append(f)
                        cols["position"].append(p)
                        cols["m2"].append(b.unit_m2)
                        cols["tenure"].append(TENURE_CODE[b.tenure])
        self.unit_building = np.array(cols["building"], dtype=np.int64)
        self.unit_stairwell_local = np.array(cols["stairwell"], dtype=np.int64)
        self.unit_floor = np.array(cols["floor"], dtype=np.int64)
        self.unit_position = np.array(cols["position"], dtype=np.int64)
        self.unit_m2 = np.array(cols["m2"], dtype=np.float64)
        self.unit_tenure = np.array(cols["tenure"], dtype=np.int8)
        self.n_units = len(self.unit_building)
        max_s = max(b.stairwells for b in self.buildings)
        max_f = max(b.floors for b in self.buildings)
        stairwell_id = self.unit_building * max_s + self.unit_stairwell_local
        landing_id = stairwell_id * max_f + self.unit_floor
        self.landing = Groups(_dense(landing_id))
        self.stairwell = Groups(_dense(stairwell_id))
        self.building = Groups(self.unit_building)
        self.whole = Groups(np.zeros(self.n_units, dtype=np.int64))
        self.habitable = np.ones(self.n_units, dtype=bool)
        self.initially_vacant = np.zeros(self.n_units, dtype=bool)
        for bi, b in enumerate(self.buildings):
            units = np.flatnonzero(self.unit_building == bi)
            picked = units[_spread(len(units), b.unusable_units + b.vacant_units)]
            self.habitable[picked[: b.unusable_units]] = False
            self.initially_vacant[picked[b.unusable_units:]] = True
        self.spaces = []
        for i, s in enumerate(spaces):
            eligible = (np.arange(self.n_units) if not s.building
                        else np.flatnonzero(self.unit_building == self.building_index[s.building]))
            self.spaces.append(SharedSpace(s, i, eligible))
        self.unit_xy = self._plan()

    def unit_at(self, building: str, stairwell: int, floor: int, position: int) -> int:
        """Index of a unit from its address; -1 if there is no such unit."""
        bi = self.building_index.get(building)
        if bi is None:
            return -1
        b = self.buildings[bi]
        if not (0 <= stairwell < b.stairwells and 0 <= floor < b.floors and 0 <= position < b.units_per_landing):
            return -1
        first = int(np.flatnonzero(self.unit_building == bi)[0])
        return first + (stairwell * b.floors + floor) * b.units_per_landing + position

    def _plan(self) -> np.ndarray:
        """x, y of each unit on a schematic plan: buildings side by side, stairwells as columns, floors as rows."""
        xy = np.zeros((self.n_units, 2))
        x0 = 0.0
        cols = max(1, int(np.ceil(np.sqrt(len(self.buildings)))))
        row_height = max(b.floors for b in self.buildings) + 2
        widths = [b.stairwells * (b.units_per_landing + 0.5) for b in self.buildings]
        col_width = max(widths) + 1.5
        for bi, b in enumerate(self.buildings):
            units = self.unit_building == bi
            x0 = (bi % cols) * col_width
            y0 = (bi // cols) * row_height
            xy[units, 0] = x0 + self.unit_stairwell_local[units] * (b.units_per_landing + 0.5) + self.unit_position[units]
            xy[units, 1] = y0 + self.unit_floor[units]
        return xy


def _spread(n: int, k: int) -> np.ndarray:
    """``k`` distinct positions spread over ``range(n)`` (golden-ratio low-discrepancy order), the same for
    every seed: unusable units are the first of them, initially vacant ones the next."""
    order = np.argsort((np.arange(n) * 0.6180339887) % 1.0, kind="stable")[::-1]
    return order[:k]


def _dense(ids: np.ndarray) -> np.ndarray:
    """Relabel arbitrary integer ids as 0..k-1 in order of first value."""
    _, dense = np.unique(ids, return_inverse=True)
    return dense.astype(np.int64)
