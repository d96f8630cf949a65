"""The neighbourhood's physical space: buildings, stairwells, floors, dwelling units, shared spaces.

Units are the slots of the household arrays (at most one household per unit).
Proximity levels (same landing, same stairwell, same building, whole
neighbourhood) are cached as :class:`Groups` so that drawing an encounter
partner costs O(1) per encounter, whatever the size of the neighbourhood.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from abm.errors import ConfigError
from abm.params import check_shares, param
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
class SpaceUse:
    """What a shared space is and how it is used (common to listed spaces and district templates)."""

    name: str = "courtyard"
    kind: str = param("courtyard", choices=SPACE_KINDS)
    #: people who can use it at the same time (one session)
    capacity: int = param(20, lo=1)
    #: sessions (opening slots) per week
    sessions_per_week: int = param(7, lo=0)
    #: weekly probability that an eligible household wants to use it
    use_probability: float = param(0.2, lo=0.0, hi=1.0)
    manager: str = param("none", choices=MANAGERS)

    def use(self) -> dict:
        """The fields of :class:`SpaceUse`, to build a space from a template."""
        return {f: getattr(self, f) for f in ("name", "kind", "capacity", "sessions_per_week", "use_probability",
                                              "manager")}


@dataclass
class SharedSpaceSpec(SpaceUse):
    """A shared space (courtyard, common room, laundry, garden, ...)."""

    #: building whose residents use it; "" (and no ``buildings``) = open to the whole neighbourhood
    building: str = ""
    #: further buildings whose residents use it (a courtyard shared by a block of buildings)
    buildings: list[str] = field(default_factory=list)

    def users(self) -> list[str]:
        """Names of the buildings whose residents use it (empty: the whole neighbourhood)."""
        return ([self.building] if self.building else []) + [b for b in self.buildings if b != self.building]


@dataclass
class DistrictSpaceSpec(SpaceUse):
    """A kind of shared space of a generated district, repeated over groups of neighbouring buildings."""

    #: one space per this many neighbouring buildings (1: one per building; 0: one for the whole district)
    per_buildings: int = param(1, lo=0, hi=1000)
    #: only buildings of these tenures get (and use) it; empty = every tenure
    tenures: list[str] = param(default_factory=list, choices=TENURES)


@dataclass
class DistrictSpec:
    """The shape of a generated district (``neighbourhood.households`` > 0): estates of buildings by tenure.

    Buildings come in estates (consecutive buildings of one tenure); the tenure of each new estate is the one
    furthest below its share of dwellings so far, so the mix follows ``tenure_shares`` closely; sizes are
    drawn uniformly from the [min, max] ranges with the stream of ``layout_seed`` (not the run seed: every
    run of a preset sees the same district).
    """

    #: share of dwellings by tenure (sums to 1)
    tenure_shares: dict[str, float] = field(default_factory=lambda: {
        "erp": 0.25, "ers": 0.05, "coop": 0.05, "private": 0.25, "owner": 0.40})
    #: [min, max] buildings per estate (consecutive buildings of one tenure)
    estate_buildings: list[int] = param(default_factory=lambda: [2, 8], lo=1, hi=200)
    #: [min, max] stairwells per building, floors per stairwell, dwellings per landing
    stairwells: list[int] = param(default_factory=lambda: [1, 4], lo=1, hi=50)
    floors: list[int] = param(default_factory=lambda: [3, 8], lo=1, hi=40)
    units_per_landing: list[int] = param(default_factory=lambda: [2, 4], lo=1, hi=20)
    #: mean floor area of a dwelling, by tenure
    unit_m2: dict[str, float] = param(default_factory=lambda: {
        "erp": 62.0, "ers": 65.0, "coop": 70.0, "private": 70.0, "owner": 85.0}, lo=15.0, hi=400.0)
    #: share of ERP dwellings that are unusable stock awaiting works
    erp_unusable_share: float = param(0.04, lo=0.0, hi=0.9)
    #: share of habitable dwellings empty at the start (waiting to be re-let)
    vacant_share: float = param(0.02, lo=0.0, hi=0.9)
    #: shared spaces, each repeated over groups of neighbouring buildings (the preset lists them)
    spaces: list[DistrictSpaceSpec] = field(default_factory=list)
    #: seed of the layout draws
    layout_seed: int = param(0, lo=0, hi=999_999)

    def check(self, prefix: str) -> None:
        check_shares(f"{prefix}tenure_shares", self.tenure_shares, TENURES)
        for name in ("estate_buildings", "stairwells", "floors", "units_per_landing"):
            r = getattr(self, name)
            if len(r) != 2 or r[0] > r[1]:
                raise ConfigError(f"{prefix}{name}", list(r), "[min, max] with min <= max")
        for t in TENURES:
            if t not in self.unit_m2:
                raise ConfigError(f"{prefix}unit_m2", sorted(self.unit_m2), f"a value for tenure '{t}'")
        names = [sp.name for sp in self.spaces]
        if len(set(names)) != len(names):
            raise ConfigError(f"{prefix}spaces", names, "unique space names")

    def generate(self, households: int) -> tuple[list[BuildingSpec], list[SharedSpaceSpec]]:
        """Buildings with ``households`` occupied dwellings at the start, and their shared spaces."""
        rng = np.random.default_rng(np.random.SeedSequence(self.layout_seed, spawn_key=(zlib.crc32(b"district"),)))
        share = np.array([self.tenure_shares.get(t, 0.0) for t in TENURES])
        units_by_tenure = np.zeros(len(TENURES))
        buildings: list[BuildingSpec] = []
        occupied = 0
        while occupied < households:
            tenure = TENURES[int(np.argmax(share * (units_by_tenure.sum() + 1) - units_by_tenure))]
            for _ in range(_uniform(rng, self.estate_buildings)):
                b = BuildingSpec(name=f"{tenure.upper()}{len(buildings) + 1}", tenure=tenure,
                                 stairwells=_uniform(rng, self.stairwells), floors=_uniform(rng, self.floors),
                                 units_per_landing=_uniform(rng, self.units_per_landing),
                                 unit_m2=float(self.unit_m2[tenure]))
                n = b.stairwells * b.floors * b.units_per_landing
                b.unusable_units = int(round(n * self.erp_unusable_share)) if tenure == "erp" else 0
                b.vacant_units = int(round((n - b.unusable_units) * self.vacant_share))
                excess = occupied + n - b.unusable_units - b.vacant_units - households
                if excess > 0:  # the last building: the dwellings beyond the target start empty
                    b.vacant_units += excess
                buildings.append(b)
                units_by_tenure[TENURE_CODE[tenure]] += n
                occupied += n - b.unusable_units - b.vacant_units
                if occupied >= households:
                    break
        return buildings, self._spaces(buildings)

    def _spaces(self, buildings: list[BuildingSpec]) -> list[SharedSpaceSpec]:
        out = []
        for t in self.spaces:
            names = [b.name for b in buildings if not t.tenures or b.tenure in t.tenures]
            if not names:
                continue
            step = t.per_buildings or len(names)
            for j in range(0, len(names), step):
                space = SharedSpaceSpec(**t.use(), buildings=names[j: j + step] if t.per_buildings or t.tenures else [])
                if t.per_buildings:
                    space.name = f"{t.name}_{j // step + 1}"
                out.append(space)
        return out


def _uniform(rng: np.random.Generator, lo_hi: list[int]) -> int:
    return int(rng.integers(lo_hi[0], lo_hi[1] + 1))


@dataclass
class NeighbourhoodConfig:
    """A neighbourhood preset, or the paths of two CSV files describing a real estate."""

    name: str = "acer_estate"
    description: str = ""
    buildings: list[BuildingSpec] = field(default_factory=list)
    shared_spaces: list[SharedSpaceSpec] = field(default_factory=list)
    #: households of a generated district (``district``); 0 = use ``buildings`` or ``buildings_csv``
    households: int = param(0, lo=0, hi=200_000)
    #: the shape of the generated district (read only when ``households`` > 0)
    district: DistrictSpec = field(default_factory=DistrictSpec)
    #: CSV of buildings (columns: see docs/INPUT_DATA.md); replaces ``buildings`` when set
    buildings_csv: str = ""
    #: CSV of households (columns: see docs/INPUT_DATA.md); replaces the population generator when set
    households_csv: str = ""
    #: households already waiting for a social-tenure unit at the start
    initial_waiting_list: int = param(40, lo=0)

    def check(self, prefix: str) -> None:
        if self.households and (self.buildings or self.buildings_csv):
            raise ConfigError(f"{prefix}households", self.households,
                              "0 when buildings or buildings_csv are given (a generated district replaces them)")
        if not self.buildings and not self.buildings_csv and not self.households:
            raise ConfigError(f"{prefix}buildings", [],
                              "at least one building, a buildings_csv path, or households > 0 (generated district)")
        names = [b.name for b in self.buildings]
        if len(set(names)) != len(names):
            raise ConfigError(f"{prefix}buildings", names, "unique building names")
        if not self.buildings_csv:
            if self.households:
                names = [b.name for b in self.layout()[0]]
            for i, s in enumerate(self.shared_spaces):
                for name in s.users():
                    if name not in names:
                        raise ConfigError(f"{prefix}shared_spaces[{i}].building", name,
                                          "'' (whole neighbourhood) or one of " + ", ".join(names))

    def layout(self) -> tuple[list[BuildingSpec], list[SharedSpaceSpec]]:
        """The buildings and shared spaces: the generated district's, or the listed ones (not the CSV's).

        A district is generated once for a given content of this config (validation and the model both ask
        for it); the specs returned are shared between calls: read them, do not change them.
        """
        if not self.households:
            return list(self.buildings), list(self.shared_spaces)
        key = repr((self.households, self.district, self.shared_spaces))
        if key not in _LAYOUTS:
            if len(_LAYOUTS) >= 16:
                _LAYOUTS.pop(next(iter(_LAYOUTS)))
            buildings, spaces = self.district.generate(self.households)
            _LAYOUTS[key] = (buildings, spaces + list(self.shared_spaces))
        buildings, spaces = _LAYOUTS[key]
        return list(buildings), list(spaces)


#: generated districts by the content of their config (a few, most recent last)
_LAYOUTS: dict[str, tuple[list[BuildingSpec], list[SharedSpaceSpec]]] = {}


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

    def weighted_member(self, units: np.ndarray, weight: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """For each unit, a random unit of its own group drawn in proportion to ``weight`` (one per unit);
        uniformly where the group's weights are all zero."""
        g = self.of_unit[units]
        cum = np.cumsum(weight[self.members])
        lo, hi = self.start[g], self.start[g] + self.size[g]
        base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
        total = cum[hi - 1] - base
        u = rng.random(len(units))
        pos = np.searchsorted(cum, base + u * total, side="right")
        uniform = lo + (u * self.size[g]).astype(np.int64)
        pos = np.where(total > 0, np.clip(pos, lo, hi - 1), uniform)
        return self.members[pos]


@dataclass
class SharedSpace:
    """A built shared space: its spec plus the units whose households may use it."""

    spec: SharedSpaceSpec
    index: int
    eligible: np.ndarray  # unit indices
    #: open to every unit of the neighbourhood, including units built later
    open_to_all: bool = False

    @property
    def weekly_capacity(self) -> int:
        """Person-visits the space can host in a week."""
        return self.spec.capacity * self.spec.sessions_per_week

    def open_to(self, units: np.ndarray) -> None:
        """From now on the households of ``units`` may use it."""
        self.eligible = np.asarray(units, dtype=np.int64)


class Neighbourhood:
    """Buildings and units as arrays, with cached proximity groups and a drawn plan."""

    def __init__(self, buildings: list[BuildingSpec], spaces: list[SharedSpaceSpec]):
        self.buildings = list(buildings)
        self._lay_out()
        self.habitable = np.ones(self.n_units, dtype=bool)
        self.initially_vacant = np.zeros(self.n_units, dtype=bool)
        #: units added by levers since the start (built, or regenerated and made habitable)
        self.units_created = 0
        for bi, b in enumerate(self.buildings):
            units = self.units_of(bi)
            picked = units[_spread(len(units), b.unusable_units + b.vacant_units)]
            self.habitable[picked[: b.unusable_units]] = False
            self.initially_vacant[picked[b.unusable_units:]] = True
        self.spaces: list[SharedSpace] = []
        #: whether each shared space is managed now (a manager schedules its use: no crowding friction)
        self.managed = np.zeros(0, dtype=bool)
        for i, s in enumerate(spaces):
            unknown = [name for name in s.users() if name not in self.building_index]
            if unknown:
                field_name = "building" if unknown[0] == s.building else "buildings"
                raise ConfigError(f"neighbourhood.shared_spaces[{i}].{field_name}", unknown[0],
                                  "names of buildings of the neighbourhood")
            self.add_space(s)

    def _lay_out(self) -> None:
        """Unit arrays, proximity groups and the plan, from ``self.buildings`` (units in building order)."""
        self.building_index = {b.name: i for i, b in enumerate(self.buildings)}
        sizes = [b.stairwells * b.floors * b.units_per_landing for b in self.buildings]
        #: first unit of each building (units of a building are contiguous), and one past the last
        self.building_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        parts = {k: [] for k in ("stairwell", "floor", "position")}
        for b in self.buildings:
            s, f, p = np.indices((b.stairwells, b.floors, b.units_per_landing)).reshape(3, -1)
            parts["stairwell"].append(s)
            parts["floor"].append(f)
            parts["position"].append(p)
        cat = lambda k: np.concatenate(parts[k]).astype(np.int64) if parts[k] else np.zeros(0, np.int64)  # noqa: E731
        self.unit_building = np.repeat(np.arange(len(self.buildings)), sizes).astype(np.int64)
        self.unit_stairwell_local = cat("stairwell")
        self.unit_floor = cat("floor")
        self.unit_position = cat("position")
        self.unit_m2 = np.repeat([b.unit_m2 for b in self.buildings], sizes).astype(np.float64)
        tenure = np.repeat([TENURE_CODE[b.tenure] for b in self.buildings], sizes).astype(np.int8)
        if hasattr(self, "unit_tenure"):  # a unit's tenure may have changed since (e.g. let to a cooperative)
            tenure[: len(self.unit_tenure)] = self.unit_tenure
        self.unit_tenure = tenure
        self.n_units = len(self.unit_building)
        max_s = max(b.stairwells for b in self.buildings)
        max_f = max(b.floors for b in self.buildings)
        stairwell_id = self.unit_building * max_s + self.unit_stairwell_local
        landing_id = stairwell_id * max_f + self.unit_floor
        self.landing = Groups(_dense(landing_id))
        self.stairwell = Groups(_dense(stairwell_id))
        self.building = Groups(self.unit_building)
        self.whole = Groups(np.zeros(self.n_units, dtype=np.int64))
        self.unit_xy = self._plan()

    def add_building(self, spec: BuildingSpec) -> np.ndarray:
        """A newly built building: its units (all habitable and empty) are appended; returns their indices.

        Existing units keep their indices; proximity groups and the plan are recomputed, and shared spaces
        open to the whole neighbourhood now admit the new units too.
        """
        if spec.name in self.building_index:
            raise ConfigError("building.name", spec.name, "a name not used by another building")
        old = self.n_units
        self.buildings.append(spec)
        self._lay_out()
        new = np.arange(old, self.n_units)
        self.habitable = np.concatenate([self.habitable, np.ones(len(new), dtype=bool)])
        self.initially_vacant = np.concatenate([self.initially_vacant, np.zeros(len(new), dtype=bool)])
        self.units_created += len(new)
        for space in self.spaces:
            if space.open_to_all:
                space.open_to(np.arange(self.n_units))
        return new

    def make_habitable(self, units: np.ndarray, tenure: int | None = None) -> None:
        """Unusable ``units`` were regenerated: they can be let from now on (under ``tenure``, if given)."""
        self.habitable[units] = True
        if tenure is not None:
            self.unit_tenure[units] = tenure
        self.units_created += len(units)

    def add_space(self, spec: SharedSpaceSpec, eligible: np.ndarray | None = None) -> SharedSpace:
        """A shared space for the households of ``spec.building`` ("" = everyone), or of the given units."""
        open_to_all = eligible is None and not spec.users()
        if eligible is None:
            users = spec.users()
            eligible = (np.arange(self.n_units) if not users
                        else np.concatenate([self.units_of(self.building_index[name]) for name in users]))
        space = SharedSpace(spec, len(self.spaces), np.asarray(eligible, dtype=np.int64), open_to_all)
        self.spaces.append(space)
        self.managed = np.append(self.managed, spec.manager != MANAGERS[0])
        return space

    def set_managed(self, spaces: np.ndarray, managed: np.ndarray | bool) -> None:
        """Whether shared spaces ``spaces`` (indices) are managed from now on (e.g. while a cooperative runs them)."""
        self.managed[spaces] = managed

    def units_of(self, building: int) -> np.ndarray:
        """The units of building number ``building``."""
        return np.arange(self.building_start[building], self.building_start[building + 1])

    def unit_at(self, building: str, stairwell: int, floor: int, position: int) -> int:
        """Index of a unit from its address; -1 if there is no such unit."""
        bi = self.building_index.get(building)
        if bi is None:
            return -1
        b = self.buildings[bi]
        if not (0 <= stairwell < b.stairwells and 0 <= floor < b.floors and 0 <= position < b.units_per_landing):
            return -1
        first = int(self.building_start[bi])
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
            units = slice(self.building_start[bi], self.building_start[bi + 1])
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
