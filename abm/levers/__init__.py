"""Policy levers: each is a Mesa agent that acts through the households, ties, needs and conflicts
at fixed points of the weekly schedule, never on an indicator.

A lever module (one file per lever in this package) defines a parameter dataclass (with ``enabled``),
a :class:`~abm.levers.base.Lever` subclass decorated with :func:`~abm.levers.base.register`, and a field
of :class:`PolicyConfig` named like the lever.  A lever that is switched off is never built, so it costs
nothing and draws no random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from abm.levers.base import REGISTRY, Lever, register

# Importing a lever module registers it; the import order is the order in which levers act within a
# hook (the portierato refers conflicts to mediation in the same week).
from abm.levers.timebank import TimebankParams  # noqa: E402
from abm.levers.portierato import PortieratoParams  # noqa: E402
from abm.levers.community_coop import CommunityCoopParams  # noqa: E402
from abm.levers.mediation import MediationParams  # noqa: E402
from abm.levers.coop_governance import CoopGovernanceParams  # noqa: E402

__all__ = ["PolicyConfig", "Lever", "register", "build_levers", "REGISTRY"]


@dataclass
class PolicyConfig:
    """The policy scenario: which levers are on and how they are dosed (presets in configs/policy/)."""

    name: str = "baseline"
    portierato: PortieratoParams = field(default_factory=PortieratoParams)
    mediation: MediationParams = field(default_factory=MediationParams)
    timebank: TimebankParams = field(default_factory=TimebankParams)
    community_coop: CommunityCoopParams = field(default_factory=CommunityCoopParams)
    coop_governance: CoopGovernanceParams = field(default_factory=CoopGovernanceParams)


def build_levers(model, policy: PolicyConfig) -> list[Lever]:
    """Create the agents of every enabled lever, in registry order."""
    levers = []
    for name, cls in REGISTRY.items():
        params = getattr(policy, name, None)
        if params is not None and getattr(params, "enabled", False):
            levers.append(cls(model, params))
    return levers
