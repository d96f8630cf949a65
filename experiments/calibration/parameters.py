"""Calibrated parameters: their priors from the declared ranges, and setting values into a run configuration.

A parameter is a dotted key of the model configuration (``encounters.tie_formation``,
``moving.base_annual.erp``, ``services.formal.0.hours_per_100_households``): attribute names of the
dataclass tree, keys of dict-valued parameters, indices of lists.  Its prior is uniform over the range the
parameter declares with :func:`abm.params.param` (a dict-valued parameter's range holds for each entry),
or over a narrower ``[lo, hi]`` the calibration config gives; a parameter without a finite declared range
needs both.  A parameter whose current value is an integer is drawn on the continuous range and rounded
to the nearest integer when set (so each end of the range has half the weight of an inner value).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass

from abm.errors import ConfigError
from abm.params import validate


@dataclass(frozen=True)
class Prior:
    key: str
    lo: float
    hi: float
    integer: bool
    #: the declared range, for the documentation and the plots
    declared: tuple[float | None, float | None]


def locate(config, key: str):
    """``(container, slot, value, metadata)`` of a dotted key in a run configuration (ConfigError if none)."""
    node, meta, container, slot = config, {}, None, None
    for i, part in enumerate(key.split(".")):
        where = ".".join(key.split(".")[:i]) or "the configuration"
        if dataclasses.is_dataclass(node):
            fields = {f.name: f for f in dataclasses.fields(node)}
            if part not in fields:
                raise ConfigError(key, part, f"a parameter of {where}: " + ", ".join(fields))
            meta = dict(fields[part].metadata)
            container, slot, node = node, part, getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                raise ConfigError(key, part, f"a key of {where}: " + ", ".join(map(str, node)))
            container, slot, node = node, part, node[part]
        elif isinstance(node, list):
            if not (part.isdigit() and int(part) < len(node)):
                raise ConfigError(key, part, f"an index of {where}: 0 to {len(node) - 1}")
            container, slot, node = node, int(part), node[int(part)]
        else:
            raise ConfigError(key, part, f"nothing: {where} is a single value")
    return container, slot, node, meta


def prior_of(config, key: str, lo: float | None, hi: float | None) -> Prior:
    """The prior of ``key``: its declared range, narrowed to [lo, hi] if given (ConfigError naming the key)."""
    ckey = f"calibration.parameters.{key}"
    try:
        _, _, value, meta = locate(config, key)
    except ConfigError as e:
        raise ConfigError(ckey, e.value, e.allowed) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or meta.get("choices") is not None:
        raise ConfigError(ckey, value, "the key of a numeric model parameter (not a switch, a text or a table)")
    d_lo, d_hi = meta.get("lo"), meta.get("hi")
    lo = d_lo if lo is None else lo
    hi = d_hi if hi is None else hi
    for name, v, declared in (("lo", lo, d_lo), ("hi", hi, d_hi)):
        if v is None or not math.isfinite(v):
            raise ConfigError(f"{ckey}.{name}", v, f"a finite bound (the parameter declares [{d_lo}, {d_hi}])")
    if (d_lo is not None and lo < d_lo) or (d_hi is not None and hi > d_hi):
        raise ConfigError(ckey, [lo, hi], f"bounds within the declared range [{d_lo}, {d_hi}]")
    if not lo < hi:
        raise ConfigError(ckey, [lo, hi], "lo < hi")
    return Prior(key, float(lo), float(hi), isinstance(value, int), (d_lo, d_hi))


def priors_of(config, specs: dict) -> dict[str, Prior]:
    """Priors of the calibration config's ``parameters`` (``key -> PriorSpec``), in its order."""
    return {key: prior_of(config, key, spec.lo, spec.hi) for key, spec in specs.items()}


def coerce(prior: Prior, value: float) -> float | int:
    """The value as it is set into the configuration: rounded for an integer parameter."""
    return int(round(value)) if prior.integer else float(value)


def apply(config, priors: dict[str, Prior], values: dict[str, float]):
    """A copy of ``config`` with ``values`` set, validated (ConfigError if a cross-field rule refuses them)."""
    out = copy.deepcopy(config)
    for key, prior in priors.items():
        container, slot, _, _ = locate(out, key)
        v = coerce(prior, values[key])
        if isinstance(container, (dict, list)):
            container[slot] = v
        else:
            setattr(container, slot, v)
    validate(out)
    return out


def overrides(priors: dict[str, Prior], values: dict[str, float]) -> list[str]:
    """Hydra command-line overrides that set ``values`` (for a sweep over posterior draws)."""
    return [f"{key}={coerce(p, values[key])!r}" for key, p in priors.items()]
