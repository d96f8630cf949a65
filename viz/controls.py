"""What the facilitator can set, and how those settings become a validated :class:`~abm.config.SimConfig`.

The lever controls are a table: each row names a config key (``policy.portierato.hours_per_week``), its
kind (an on/off switch or a slider) and the slider range.  A control is shown only if its key exists in
the composed configuration, so the app works with the core model alone and gains a lever's controls
as soon as that lever is part of the code.  Presets are the files of ``configs/neighbourhood/`` and
``configs/policy/``.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from abm.config import CONFIG_DIR, SimConfig, compose, validated
from abm.errors import ConfigError

#: largest seed the model accepts (SimConfig.seed)
SEED_MAX = 2**63 - 1


@dataclass(frozen=True)
class Control:
    """One control bound to one config key."""

    key: str
    #: "switch" (bool), "slider" (number) or "choice" (one of the parameter's declared choices)
    kind: str = "slider"
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0

    @property
    def label_key(self) -> str:
        """Translation key of its label: ``app.control.<config key>``."""
        return f"app.control.{self.key}"


@dataclass(frozen=True)
class LeverControls:
    """The controls of one lever: its on/off switch and its main doses."""

    lever: str
    controls: tuple[Control, ...]

    @property
    def label_key(self) -> str:
        return f"app.lever.{self.lever}"


def _lever(name: str, *sliders: Control) -> LeverControls:
    return LeverControls(name, (Control(f"policy.{name}.enabled", "switch"), *sliders))


#: The main levers a workshop plays with (issue 6): one row per control, in screen order.  Slider ranges
#: are what makes sense in a room (they are narrowed further to what the parameter allows).
LEVERS: tuple[LeverControls, ...] = (
    _lever("portierato", Control("policy.portierato.hours_per_week", lo=0, hi=60, step=2)),
    _lever("mediation", Control("policy.mediation.hours_per_week", lo=0, hi=40, step=1)),
    _lever("shared_services"),
    _lever("timebank", Control("policy.timebank.hours_per_week", lo=0, hi=20, step=1)),
    _lever("community_coop", Control("policy.community_coop.grant_year", lo=0, hi=20_000, step=1000)),
    _lever("coop_governance", Control("policy.coop_governance.hours_per_week", lo=0, hi=20, step=1)),
    _lever("regeneration", Control("policy.regeneration.units_per_year", lo=0, hi=30, step=1)),
    _lever("allocation", Control("policy.allocation.rule", kind="choice")),
    _lever("ers_fund", Control("policy.ers_fund.buildings", lo=0, hi=4, step=1)),
)


# --- presets ----------------------------------------------------------------------------------------------
def presets(group: str) -> list[str]:
    """Names of the preset files of a config group (``configs/<group>/*.yaml``), without ``default``."""
    names = sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))
    return [n for n in names if n != "default"]


_COMPOSE_LOCK = threading.Lock()  # Hydra's compose API uses a process-wide singleton


@lru_cache(maxsize=32)
def _base(neighbourhood: str, policy: str) -> SimConfig:
    with _COMPOSE_LOCK:
        return compose([f"neighbourhood={neighbourhood}", f"policy={policy}"])


def preset_config(neighbourhood: str, policy: str) -> SimConfig:
    """The composed presets, shared and cached (composition takes about a second): read it, never change it."""
    if neighbourhood not in presets("neighbourhood"):
        raise ConfigError("neighbourhood", neighbourhood, "one of " + ", ".join(presets("neighbourhood")))
    if policy not in presets("policy"):
        raise ConfigError("policy", policy, "one of " + ", ".join(presets("policy")))
    return _base(neighbourhood, policy)


def base_config(neighbourhood: str, policy: str) -> SimConfig:
    """A fresh copy of the composed presets, to change and run."""
    return copy.deepcopy(preset_config(neighbourhood, policy))


# --- config keys --------------------------------------------------------------------------------------------
_MISSING = object()


def _parent(cfg, key: str):
    *path, last = key.split(".")
    node = cfg
    for part in path:
        node = getattr(node, part, _MISSING)
        if node is _MISSING or node is None:
            return None, last
    return node, last


def get_key(cfg, key: str, default=_MISSING):
    node, last = _parent(cfg, key)
    if node is None or not hasattr(node, last):
        if default is _MISSING:
            raise KeyError(key)
        return default
    return getattr(node, last)


def has_key(cfg, key: str) -> bool:
    node, last = _parent(cfg, key)
    return node is not None and dataclasses.is_dataclass(node) and last in {f.name for f in dataclasses.fields(node)}


def key_meta(cfg, key: str) -> dict:
    """What a parameter declares with :func:`abm.params.param` (``lo``, ``hi``, ``choices``)."""
    node, last = _parent(cfg, key)
    for f in dataclasses.fields(node):
        if f.name == last:
            return dict(f.metadata)
    raise KeyError(key)


def key_range(cfg, key: str) -> tuple[float | None, float | None]:
    """The allowed ``(lo, hi)`` of a parameter (None where unbounded)."""
    meta = key_meta(cfg, key)
    return meta.get("lo"), meta.get("hi")


def choices(cfg, key: str) -> tuple:
    """The values a "choice" parameter allows."""
    return tuple(key_meta(cfg, key).get("choices") or ())


def set_key(cfg, key: str, value) -> None:
    """Set ``key`` to ``value``, cast to the type of the current value (a slider sends floats for ints)."""
    node, last = _parent(cfg, key)
    if node is None or not has_key(cfg, key):
        raise ConfigError(key, value, "a key of the configuration")
    current = getattr(node, last)
    if isinstance(current, bool):
        value = bool(value)
    elif isinstance(current, int):
        if isinstance(value, float) and not value.is_integer():
            raise ConfigError(key, value, "a whole number")
        value = int(value)
    elif isinstance(current, float):
        value = float(value)
    setattr(node, last, value)


def available(cfg: SimConfig) -> list[LeverControls]:
    """The lever controls whose keys exist in ``cfg`` (a lever shows if at least its switch or one dose exists)."""
    out = []
    for lever in LEVERS:
        present = tuple(c for c in lever.controls if has_key(cfg, c.key))
        if present:
            out.append(LeverControls(lever.lever, present))
    return out


def slider_bounds(cfg: SimConfig, control: Control) -> tuple[float, float]:
    """The table's slider range, narrowed to what the parameter allows."""
    lo, hi = key_range(cfg, control.key)
    return (max(control.lo, lo) if lo is not None else control.lo,
            min(control.hi, hi) if hi is not None else control.hi)


def lever_values(cfg: SimConfig) -> dict[str, float | bool]:
    """The current value of every available control in ``cfg`` (a preset's values, to show on the controls)."""
    return {c.key: get_key(cfg, c.key) for lever in available(cfg) for c in lever.controls}


# --- settings --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """One side's policy: a preset and the lever values changed on screen (key, value pairs)."""

    preset: str = "baseline"
    levers: tuple[tuple[str, float | bool], ...] = ()

    def with_lever(self, key: str, value) -> "Policy":
        levers = dict(self.levers)
        levers[key] = value
        return Policy(self.preset, tuple(sorted(levers.items())))


@dataclass(frozen=True)
class Settings:
    """The whole screen: one policy, or policies A and B on the same neighbourhood and seed (compare mode)."""

    neighbourhood: str = "acer_estate"
    seed: int = 0
    a: Policy = field(default_factory=Policy)
    b: Policy | None = None

    @property
    def compare(self) -> bool:
        return self.b is not None

    def sides(self) -> dict[str, Policy]:
        return {"A": self.a} if self.b is None else {"A": self.a, "B": self.b}

    def config(self, side: str = "A") -> SimConfig:
        """The validated configuration of one side (raises ConfigError naming the key, value and what is allowed)."""
        policy = self.sides()[side]
        cfg = base_config(self.neighbourhood, policy.preset)
        cfg.seed = self.seed
        for key, value in policy.levers:
            set_key(cfg, key, value)
        validated(cfg)
        return cfg


#: the policy side B starts with in compare mode, the first that exists (else the same as A)
CONTRAST = ("full_package", "portierato", "shared_services", "timebank", "mediation")


def contrast(a: Policy) -> Policy:
    """A policy to compare ``a`` with when compare mode is switched on."""
    for name in CONTRAST:
        if name != a.preset and name in presets("policy"):
            return Policy(name)
    return a


def parse_seed(text) -> int:
    """A seed typed on screen (text) as an int, or ConfigError saying what is allowed."""
    s = str(text).strip().replace("_", "")
    try:
        value = int(s)
    except ValueError:
        raise ConfigError("seed", text, f"a whole number from 0 to {SEED_MAX}") from None
    if not 0 <= value <= SEED_MAX:
        raise ConfigError("seed", text, f"a whole number from 0 to {SEED_MAX}")
    return value
