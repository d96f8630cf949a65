"""Policy levers: each is a Mesa agent that acts through the households, ties, needs and conflicts
at fixed points of the weekly schedule, never on an indicator.

A lever module (one file per lever in this package) defines a parameter dataclass (with ``enabled`` and
``payer``), a :class:`~abm.levers.base.Lever` subclass decorated with :func:`~abm.levers.base.register`,
and a field of :class:`PolicyConfig` named like the lever.  A lever that is switched off is never built,
so it costs nothing and draws no random numbers.

A lever's parameters may also define ``check_policy(policy, prefix)`` (rules that need the other levers,
e.g. a space managed by the portierato needs the portierato lever) and ``check_neighbourhood(policy,
buildings, spaces, prefix)`` (rules that need the buildings and shared spaces, known only once the
neighbourhood is listed, generated or read from a CSV); both are
called for enabled levers only, before any simulation work.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from abm.levers.base import REGISTRY, Lever, register
from abm.levers.funding import FundingParams
from abm.levers.allocation import AllocationParams
from abm.levers.regeneration import RegenerationParams
from abm.levers.ers_fund import ErsFundParams
from abm.levers.shared_services import SharedServicesParams

# Importing a lever module registers it; the import order is the order in which levers act within a
# hook (the portierato refers conflicts to mediation in the same week).
from abm.levers.timebank import TimebankParams  # noqa: E402
from abm.levers.portierato import PortieratoParams  # noqa: E402
from abm.levers.community_coop import CommunityCoopParams  # noqa: E402
from abm.levers.mediation import MediationParams  # noqa: E402
from abm.levers.coop_governance import CoopGovernanceParams  # noqa: E402

__all__ = ["PolicyConfig", "Lever", "register", "build_levers", "check_neighbourhood", "REGISTRY"]


@dataclass
class PolicyConfig:
    """The policy scenario: which levers are on and how they are dosed (presets in configs/policy/)."""

    name: str = "baseline"
    funding: FundingParams = field(default_factory=FundingParams)
    allocation: AllocationParams = field(default_factory=AllocationParams)
    regeneration: RegenerationParams = field(default_factory=RegenerationParams)
    ers_fund: ErsFundParams = field(default_factory=ErsFundParams)
    shared_services: SharedServicesParams = field(default_factory=SharedServicesParams)
    portierato: PortieratoParams = field(default_factory=PortieratoParams)
    mediation: MediationParams = field(default_factory=MediationParams)
    timebank: TimebankParams = field(default_factory=TimebankParams)
    community_coop: CommunityCoopParams = field(default_factory=CommunityCoopParams)
    coop_governance: CoopGovernanceParams = field(default_factory=CoopGovernanceParams)

    def check(self, prefix: str) -> None:
        for name, params in _enabled(self):
            check = getattr(params, "check_policy", None)
            if check is not None:
                check(self, f"{prefix}{name}.")


def _enabled(policy: PolicyConfig):
    for f in fields(policy):
        params = getattr(policy, f.name)
        if getattr(params, "enabled", False):
            yield f.name, params


def check_neighbourhood(policy: PolicyConfig, buildings, spaces, prefix: str = "policy.") -> None:
    """Rules of the enabled levers that need the neighbourhood's buildings and shared spaces (a ConfigError
    names the key); run before any work, on the listed, read or generated buildings."""
    for name, params in _enabled(policy):
        check = getattr(params, "check_neighbourhood", None)
        if check is not None:
            check(policy, buildings, spaces, f"{prefix}{name}.")


def build_levers(model, policy: PolicyConfig) -> list[Lever]:
    """Create the agents of every enabled lever, in registry order."""
    levers = []
    for name, cls in REGISTRY.items():
        params = getattr(policy, name, None)
        if params is not None and getattr(params, "enabled", False):
            levers.append(cls(model, params))
    return levers
