"""Policy levers: each is a Mesa agent that acts through the households, ties, needs and conflicts
at fixed points of the weekly schedule, never on an indicator.

A lever module defines a parameter dataclass (with ``enabled``), a :class:`Lever` subclass and
registers both in :data:`REGISTRY`.  A lever that is switched off is never built, so it costs
nothing and draws no random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa


class Lever(mesa.Agent):
    """Base class: hooks called by the model's step; override the ones the lever acts through."""

    #: the indicator suffix of its cost (``cost_year_<name>``)
    name = "lever"

    def __init__(self, model, params):
        super().__init__(model)
        self.p = params
        self.draw = model.stream(f"lever:{self.name}")

    def organise(self) -> None:
        """Before needs arise: organised encounters, outreach, new units."""

    def broker(self, needs) -> None:
        """After households asked their own ties, before formal services: connect needs with helpers."""

    def handle_conflicts(self) -> None:
        """After new conflicts arose: prevention, referral, mediation."""

    def yearly_cost(self) -> float:
        """Running cost, EUR per year at the current rate."""
        return 0.0

    def timebank_members(self) -> int:
        return 0


@dataclass
class PolicyConfig:
    """The policy scenario: which levers are on and how they are dosed (see configs/policy/)."""

    name: str = "baseline"


#: lever name -> (attribute of PolicyConfig holding its params, Lever subclass)
REGISTRY: dict[str, type[Lever]] = {}


def build_levers(model, policy: PolicyConfig) -> list[Lever]:
    """Create the agents of every enabled lever, in registry order."""
    levers = []
    for name, cls in REGISTRY.items():
        params = getattr(policy, name, None)
        if params is not None and getattr(params, "enabled", False):
            levers.append(cls(model, params))
    return levers
