"""The base class of policy levers and the registry of lever classes."""

from __future__ import annotations

import mesa

from abm.rng import OwnStream


class Lever(OwnStream, mesa.Agent):
    """Base class: hooks called by the model's step; override the ones the lever acts through."""

    #: the indicator suffix of its cost (``cost_year_<name>``)
    name = "lever"

    def __init__(self, model, params):
        super().__init__(model)
        self.p = params
        self.rng = model.stream(f"lever:{self.name}")
        #: counts of what the lever did since week 0 (events, cases, exchanges, ...), see :meth:`summary`
        self.acts: dict[str, int] = {}

    def organise(self) -> None:
        """Before needs arise: organised encounters, outreach, new units."""

    def broker(self, needs) -> None:
        """After households asked their own ties, before formal services: connect needs with helpers."""

    def handle_conflicts(self) -> None:
        """After new conflicts arose: prevention, referral, mediation."""

    def yearly_cost(self) -> float:
        """Running cost, EUR per year at the current rate."""
        return 0.0

    def costs_by_payer(self) -> dict[str, float]:
        """Its yearly cost split by who pays it (all of it by its ``payer`` unless the lever says otherwise)."""
        return {self.p.payer: self.yearly_cost()}

    def summary(self) -> dict[str, float]:
        """What the lever did since week 0, for ``summary.json``: its counts of acts and any state the lever
        adds (hours used, members, units delivered, ...)."""
        return dict(self.acts)

    def timebank_members(self) -> int:
        return 0


#: lever name -> Lever subclass (filled by each lever module when imported; the order in which levers act is
#: :data:`abm.levers.SCHEDULE`, not the order of this dict)
REGISTRY: dict[str, type[Lever]] = {}


def register(cls: type[Lever]) -> type[Lever]:
    """Class decorator: make a lever available to :func:`abm.levers.build_levers` under ``cls.name``."""
    REGISTRY[cls.name] = cls
    return cls
