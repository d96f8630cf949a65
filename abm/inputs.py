"""Reading a real estate from two CSV files (columns documented in docs/INPUT_DATA.md).

Every problem raises a :class:`~abm.errors.ConfigError` naming the file, the
row (1-based, header excluded) and the column, before any simulation work.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from abm.errors import ConfigError
from abm.params import validate
from abm.space import BuildingSpec
from abm.vocabulary import HOUSEHOLD_TYPES, ORIGINS, TENURES

BUILDING_COLUMNS = ("building", "tenure", "stairwells", "floors", "units_per_landing")
BUILDING_OPTIONAL = {"unit_m2": float, "unusable_units": int, "vacant_units": int}
HOUSEHOLD_COLUMNS = ("building", "stairwell", "floor", "position", "household_type")
HOUSEHOLD_OPTIONAL = {"size": int, "age_head": float, "income": float, "rent": float, "origin": str,
                      "help_hours": float, "trust": float, "satisfaction": float, "participation": float,
                      "fragility": float}


def _read(path: str, required: tuple[str, ...], key: str) -> list[dict[str, str]]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(key, path, "the path of an existing CSV file")
    with p.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise ConfigError(f"{key} (column '{missing[0]}')", path, "a header with columns " + ", ".join(required))
        rows = list(reader)
    if not rows:
        raise ConfigError(key, path, "at least one data row")
    return rows


def _convert(value: str, kind, key: str, allowed: str):
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(key, value, allowed) from None


def load_buildings(path: str, key: str = "neighbourhood.buildings_csv") -> list[BuildingSpec]:
    """Buildings from CSV: one row per building."""
    out = []
    for i, row in enumerate(_read(path, BUILDING_COLUMNS, key), start=1):
        where = f"{key} row {i}"
        if row["tenure"] not in TENURES:
            raise ConfigError(f"{where} column 'tenure'", row["tenure"], "one of " + ", ".join(TENURES))
        kw = {"name": row["building"], "tenure": row["tenure"]}
        for col in ("stairwells", "floors", "units_per_landing"):
            kw[col] = _convert(row[col], int, f"{where} column '{col}'", "a whole number >= 1")
        for col, kind in BUILDING_OPTIONAL.items():
            if row.get(col) not in (None, ""):
                kw[col] = _convert(row[col], kind, f"{where} column '{col}'", "a number")
        spec = BuildingSpec(**kw)
        try:
            validate(spec)
        except ConfigError as e:
            raise ConfigError(f"{where} column '{e.key}'", e.value, e.allowed) from None
        out.append(spec)
    names = [b.name for b in out]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ConfigError(f"{key} column 'building'", dup, "unique building names")
    return out


def load_households(path: str, space, key: str = "neighbourhood.households_csv"):
    """Households from CSV: one row per occupied unit.  Returns (units, {column: values}) with NaN/None
    where a column is absent (the generator fills those in)."""
    rows = _read(path, HOUSEHOLD_COLUMNS, key)
    units, cols = [], {c: [] for c in ("htype", *HOUSEHOLD_OPTIONAL)}
    for i, row in enumerate(rows, start=1):
        where = f"{key} row {i}"
        addr = [_convert(row[c], int, f"{where} column '{c}'", "a whole number >= 0")
                for c in ("stairwell", "floor", "position")]
        unit = space.unit_at(row["building"], *addr)
        if unit < 0:
            raise ConfigError(f"{where}", f"{row['building']}/{addr[0]}/{addr[1]}/{addr[2]}",
                              "a unit that exists (building name, stairwell, floor and position counted from 0)")
        if not space.habitable[unit]:
            raise ConfigError(f"{where}", unit, "a habitable unit (this one is unusable stock)")
        if unit in units:
            raise ConfigError(f"{where}", f"{row['building']}/{addr[0]}/{addr[1]}/{addr[2]}",
                              "at most one household per unit")
        if row["household_type"] not in HOUSEHOLD_TYPES:
            raise ConfigError(f"{where} column 'household_type'", row["household_type"],
                              "one of " + ", ".join(HOUSEHOLD_TYPES))
        units.append(unit)
        cols["htype"].append(HOUSEHOLD_TYPES.index(row["household_type"]))
        for col, kind in HOUSEHOLD_OPTIONAL.items():
            raw = row.get(col)
            if raw in (None, ""):
                cols[col].append(None)
            elif col == "origin":
                if raw not in ORIGINS:
                    raise ConfigError(f"{where} column 'origin'", raw, "one of " + ", ".join(ORIGINS))
                cols[col].append(ORIGINS.index(raw))
            else:
                v = _convert(raw, kind, f"{where} column '{col}'", "a whole number" if kind is int else "a number")
                if col in ("trust", "satisfaction", "participation", "fragility") and not 0.0 <= v <= 1.0:
                    raise ConfigError(f"{where} column '{col}'", v, "a number in [0, 1]")
                if v < 0:
                    raise ConfigError(f"{where} column '{col}'", v, "a number >= 0")
                cols[col].append(v)
    return np.array(units, dtype=np.int64), cols
