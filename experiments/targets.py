"""Calibration targets as data: the schema of ``configs/targets/`` and the checks run before any simulation.

A target set (one file of the Hydra group ``targets``, e.g. ``configs/targets/bologna.yaml``) maps each
target's name to a :class:`Target`: the summary statistic of a run it is compared with (a function of
:mod:`experiments.statistics` and its arguments), the observed value and its standard error (or
tolerance), the population the figure describes, its source (publisher, year, title, table) and a note on
how the model's quantity maps onto it.  A target may add model overrides (``scenario``, e.g. a lever or
another neighbourhood preset), and may be marked ``requires: <what the model lacks>``: it stays in the set
and in the documentation but every calibration skips it, saying why, until the model provides it.

The schema is typed for Hydra (a misspelt field fails at composition, naming it); :func:`load` turns a
composed or plain mapping into checked :class:`Target` objects and raises
:class:`~abm.errors.ConfigError` naming ``targets.<name>.<field>`` for anything else wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from abm.errors import ConfigError
from experiments import statistics


@dataclass
class Source:
    """Where the observed figure comes from."""

    publisher: str = MISSING
    year: int = MISSING
    title: str = MISSING
    #: the table, figure or page of the figure
    table: str = MISSING
    url: str = ""
    #: how the figure was read: "P" in the publisher's own document, "S" in a secondary report citing it
    read_in: str = "P"


@dataclass
class Target:
    """One observed figure the model is compared with."""

    #: a short human label (tables, figures), and in Italian for the report (optional: the label otherwise)
    label: str = MISSING
    label_it: str = ""
    #: a function of experiments/statistics.py computing the model's counterpart from a run
    statistic: str = MISSING
    args: dict[str, Any] = field(default_factory=dict)
    observed: float = MISSING
    #: standard error or tolerance, in the unit of ``observed`` (> 0): the distance's scale for this target
    se: float = MISSING
    unit: str = MISSING
    unit_it: str = ""
    #: the population the observed figure describes
    population: str = MISSING
    source: Source = field(default_factory=Source)
    #: how the model's statistic maps onto the observed figure, and what the tolerance covers
    mapping: str = MISSING
    #: Hydra overrides of the model config for this target, applied after the calibration's ``model``
    scenario: list[str] = field(default_factory=list)
    #: what the model must provide before this target can be used; set: the target is skipped
    requires: Optional[str] = None

    @property
    def active(self) -> bool:
        return not self.requires


READ_IN = ("P", "S")


def _convert(name: str, raw) -> Target:
    """A :class:`Target` from a mapping, with OmegaConf's type and key errors turned into ConfigError."""
    try:
        node = OmegaConf.merge(OmegaConf.structured(Target), raw)
        missing = sorted(OmegaConf.missing_keys(node))
        if missing:
            raise ConfigError(f"targets.{name}.{missing[0]}", "???", "a value (the field is required)")
        return OmegaConf.to_object(node)
    except OmegaConfBaseException as e:
        key = getattr(e, "full_key", None) or getattr(e, "key", None) or ""
        raise ConfigError(f"targets.{name}.{key}".rstrip("."), getattr(e, "value", None),
                          str(e).splitlines()[0]) from None


def check(name: str, t: Target, steps: int | None = None) -> None:
    """Value checks of one target (the statistic and its arguments only if the target is active)."""
    key = f"targets.{name}"
    for f in ("observed", "se"):
        v = getattr(t, f)
        if not math.isfinite(v):
            raise ConfigError(f"{key}.{f}", v, "a finite number")
    if not t.se > 0:
        raise ConfigError(f"{key}.se", t.se, "a number > 0 (the target's standard error or tolerance)")
    for f in ("label", "unit", "population", "mapping"):
        if not str(getattr(t, f)).strip():
            raise ConfigError(f"{key}.{f}", getattr(t, f), "a non-empty text")
    s = t.source
    for f in ("publisher", "title", "table"):
        if not str(getattr(s, f)).strip():
            raise ConfigError(f"{key}.source.{f}", getattr(s, f), "a non-empty text")
    if not 1900 <= s.year <= 2100:
        raise ConfigError(f"{key}.source.year", s.year, "a year between 1900 and 2100")
    if s.read_in not in READ_IN:
        raise ConfigError(f"{key}.source.read_in", s.read_in, "one of " + ", ".join(READ_IN))
    if t.requires is not None and not t.requires.strip():
        raise ConfigError(f"{key}.requires", t.requires, "what the model lacks (a text), or null")
    if t.active:
        statistics.check_args(key, t.statistic, t.args, steps)


def load(raw, steps: int | None = None) -> dict[str, Target]:
    """Checked targets from a mapping ``name -> fields`` (a composed ``targets`` node or plain dicts)."""
    if isinstance(raw, DictConfig):
        raw = OmegaConf.to_container(raw, resolve=True)
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("targets", raw, "a non-empty mapping of target names to targets")
    out = {}
    for name, fields in raw.items():
        if not str(name).isidentifier():
            raise ConfigError(f"targets.{name}", name, "a name of letters, digits and underscores")
        t = fields if isinstance(fields, Target) else _convert(name, fields)
        check(name, t, steps)
        out[name] = t
    return out


def select(targets: dict[str, Target], names: list[str] | None, key: str) -> list[str]:
    """The names listed in ``key`` (all targets if None), each one checked to exist."""
    if names is None:
        return list(targets)
    for i, n in enumerate(names):
        if n not in targets:
            raise ConfigError(f"{key}[{i}]", n, "a target of the set: " + ", ".join(targets))
    return list(dict.fromkeys(names))


def source_text(t: Target) -> str:
    """"Publisher year, title, table" of a target's source."""
    s = t.source
    return f"{s.publisher} {s.year}, {s.title}, {s.table}"
