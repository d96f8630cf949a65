"""The base class of policy levers and the registry of lever classes."""

from __future__ import annotations

from typing import NamedTuple

from abm.agents import Agent
from abm.rng import OwnStream

#: kinds of spending: running costs (staff, spaces, fees, grants) and capital (works, set-up of spaces)
KINDS = ("running", "capital")
#: assets that capital creates: units built by the ERS fund, units regenerated, the set-up of shared spaces
ASSETS = ("new_units", "regenerated_units", "shared_space")


class CostRow(NamedTuple):
    """Money a lever spent in one week, EUR, by who pays and of what kind.

    Capital names the ``asset`` it creates and the week that asset enters service (``service_week``,
    the scheduled week for works still under way); running costs have neither ("", -1)."""

    payer: str
    kind: str
    eur: float
    asset: str = ""
    service_week: int = -1


class Lever(OwnStream, Agent):
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

    def costs(self) -> list[CostRow]:
        """What it spent this week (``model.week``): by default its running cost by payer at the current yearly
        rate over 52 weeks, from week 1 (week 0 is the set-up: no week of service yet).  Levers whose cost
        counts events of the week, or that spend capital, say so themselves."""
        if self.model.week < 1:
            return []
        return [CostRow(payer, "running", cost / 52.0) for payer, cost in self.costs_by_payer().items() if cost]

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
