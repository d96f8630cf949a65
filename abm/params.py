"""Declaring model parameters with their allowed ranges, and checking them.

Every parameter dataclass of a submodel or lever declares its fields with
:func:`param`, which records the allowed range (or choices) next to the
default.  :func:`validate` walks a whole (nested) configuration and raises a
:class:`~abm.errors.ConfigError` that names the full key, the value and what
is allowed, before any simulation work starts.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from abm.errors import ConfigError


def param(default: Any = dataclasses.MISSING, *, lo: float | None = None, hi: float | None = None,
          choices: Sequence[Any] | None = None, default_factory: Any = dataclasses.MISSING,
          lo_open: bool = False):
    """A dataclass field with an allowed range ``[lo, hi]`` (``(lo, hi]`` if ``lo_open``) or a set of choices.

    For dict or list values the range applies to every element.
    """
    meta = {"lo": lo, "hi": hi, "choices": tuple(choices) if choices is not None else None, "lo_open": lo_open}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _describe(meta: Mapping[str, Any]) -> str:
    if meta.get("choices") is not None:
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    lo, hi = meta.get("lo"), meta.get("hi")
    left = "(" if meta.get("lo_open") else "["
    if lo is not None and hi is not None:
        return f"a number in {left}{lo}, {hi}]"
    if lo is not None:
        return f"a number {'>' if meta.get('lo_open') else '>='} {lo}"
    return f"a number <= {hi}"


def check_value(key: str, value: Any, meta: Mapping[str, Any]) -> None:
    """Check one scalar (or each element of a dict/list) against its declared range."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            check_value(f"{key}.{k}", v, meta)
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_value(f"{key}[{i}]", v, meta)
        return
    if meta.get("choices") is not None:
        if value not in meta["choices"]:
            raise ConfigError(key, value, _describe(meta))
        return
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is None and hi is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(key, value, _describe(meta))
    if math.isnan(value):
        raise ConfigError(key, value, _describe(meta))
    if lo is not None and (value < lo or (meta.get("lo_open") and value == lo)):
        raise ConfigError(key, value, _describe(meta))
    if hi is not None and value > hi:
        raise ConfigError(key, value, _describe(meta))


def check_shares(key: str, shares: Mapping[str, float], allowed_keys: Sequence[str], tol: float = 1e-6) -> None:
    """Shares must use known keys, lie in [0, 1] and sum to 1."""
    for k, v in shares.items():
        if k not in allowed_keys:
            raise ConfigError(f"{key}.{k}", v, "keys " + ", ".join(allowed_keys))
        check_value(f"{key}.{k}", v, {"lo": 0.0, "hi": 1.0})
    total = float(sum(shares.values()))
    if abs(total - 1.0) > tol:
        raise ConfigError(key, dict(shares), f"shares that sum to 1 (they sum to {total:.6g})")


def validate(obj: Any, prefix: str = "") -> None:
    """Recursively check every :func:`param` field of a dataclass tree; then call its ``check()`` if any."""
    if not dataclasses.is_dataclass(obj):
        return
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if f.metadata:
            check_value(key, value, f.metadata)
        if dataclasses.is_dataclass(value):
            validate(value, key + ".")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                validate(item, f"{key}[{i}].")
        elif isinstance(value, Mapping):
            for k, item in value.items():
                validate(item, f"{key}.{k}.")
    check = getattr(obj, "check", None)
    if callable(check):
        check(prefix)
