"""Policy levers: each is a Mesa agent that acts through the households, ties, needs and conflicts
at fixed points of the weekly schedule, never on an indicator.

A lever module (one file per lever in this package) defines a parameter dataclass (with ``enabled``),
a :class:`~abm.levers.base.Lever` subclass decorated with :func:`~abm.levers.base.register`, and a field
of :class:`PolicyConfig` named like the lever.  A lever that is switched off is never built, so it costs
nothing and draws no random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from abm.levers.base import REGISTRY, Lever, register

__all__ = ["PolicyConfig", "Lever", "register", "build_levers", "REGISTRY"]


@dataclass
class PolicyConfig:
    """The policy scenario: which levers are on and how they are dosed (presets in configs/policy/)."""

    name: str = "baseline"


def build_levers(model, policy: PolicyConfig) -> list[Lever]:
    """Create the agents of every enabled lever, in registry order."""
    levers = []
    for name, cls in REGISTRY.items():
        params = getattr(policy, name, None)
        if params is not None and getattr(params, "enabled", False):
            levers.append(cls(model, params))
    return levers
