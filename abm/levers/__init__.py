"""Policy levers: each is a Mesa agent that acts through the households, ties, needs and conflicts
at fixed points of the weekly schedule, never on an indicator.

A lever module (one file per lever in this package) defines a parameter dataclass (with ``enabled`` and
``payer``), a :class:`~abm.levers.base.Lever` subclass decorated with :func:`~abm.levers.base.register`,
a field of :class:`PolicyConfig` named like the lever, and its place in :data:`SCHEDULE` (the order in which
levers act; registering or importing a lever does not decide it).  A lever that is switched off is never
built, so it costs nothing and draws no random numbers.

A lever's parameters may also define ``check_policy(policy, prefix)`` (rules that need the other levers,
e.g. a space managed by the portierato needs the portierato lever) and ``check_neighbourhood(policy,
buildings, spaces, prefix)`` (rules that need the buildings and shared spaces, known only once the
neighbourhood is listed, generated or read from a CSV); both are
called for enabled levers only, before any simulation work.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from abm.levers.allocation import AllocationParams
from abm.levers.base import REGISTRY, Lever, register
from abm.levers.community_coop import CommunityCoopParams
from abm.levers.coop_governance import CoopGovernanceParams
from abm.levers.ers_fund import ErsFundParams
from abm.levers.funding import FundingParams
from abm.levers.mediation import MediationParams
from abm.levers.portierato import PortieratoParams
from abm.levers.regeneration import RegenerationParams
from abm.levers.shared_services import SharedServicesParams
from abm.levers.timebank import TimebankParams

__all__ = ["PolicyConfig", "Lever", "register", "build_levers", "check_neighbourhood", "REGISTRY", "SCHEDULE"]

#: The order in which the levers act within each hook of the week (docs/ODD.md, 3.1), whatever the order in
#: which their modules are imported or registered: the housing levers first (allocation is asked by the
#: others, shared spaces open before regeneration's, the ERS fund's building is let before the social levers
#: reach it), then the social levers; the portierato before mediation, since it refers the conflicts it could
#: not defuse to mediation in the same week; supported self-management last, after the cooperative's own week.
SCHEDULE = ("allocation", "shared_services", "regeneration", "ers_fund", "timebank", "portierato", "community_coop",
            "mediation", "coop_governance")


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
    """Create the agents of every enabled lever, in the order of :data:`SCHEDULE` (the order they act in)."""
    unscheduled = sorted(set(REGISTRY) - set(SCHEDULE))
    if unscheduled:
        raise RuntimeError(f"levers {unscheduled} are registered but have no place in abm.levers.SCHEDULE")
    levers = []
    for name in SCHEDULE:
        params = getattr(policy, name, None)
        if params is not None and getattr(params, "enabled", False):
            levers.append(REGISTRY[name](model, params))
    return levers
