"""Wellbeing: slow drift of trust and satisfaction towards what a household's situation supports.

ODD: submodel "Trust and satisfaction".  Events (help, conflicts, unmet
needs) push trust and satisfaction week by week; this submodel pulls them back
towards an anchor so that they stay bounded and do not keep what happened
years ago for ever.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.params import param


@dataclass
class WellbeingParams:
    """Parameters of trust and satisfaction drift."""

    #: weekly share of the gap to its anchor (the trust it arrived with) closed by a household's trust
    trust_relax: float = param(0.05, lo=0.0, hi=1.0)
    #: weekly share of the gap to the target closed by satisfaction
    satisfaction_relax: float = param(0.02, lo=0.0, hi=1.0)
    #: satisfaction target of a household with no strong tie and no rent burden
    satisfaction_base: float = param(0.5, lo=0.0, hi=1.0)
    #: target increase for belonging: full with ``belonging_ties`` strong ties
    belonging_weight: float = param(0.3, lo=0.0, hi=1.0)
    belonging_ties: int = param(3, lo=1, hi=50)
    #: target decrease per unit of rent burden above population.rent_burden_threshold (30 % of income)
    burden_weight: float = param(0.6, lo=0.0, hi=5.0)


class Wellbeing:
    def __init__(self, params: WellbeingParams, model):
        self.p = params

    def step(self, model, ageing: bool = True) -> None:
        hh, p = model.households, self.p
        strong = model.ties.degree(model.config.encounters.strong_threshold)
        belonging = np.minimum(strong / p.belonging_ties, 1.0)
        excess = hh.excess_burden(model.config.population)
        target = np.clip(p.satisfaction_base + p.belonging_weight * belonging - p.burden_weight * excess, 0.0, 1.0)
        hh.relax("satisfaction", target, p.satisfaction_relax)
        hh.relax("trust", hh.trust_anchor, p.trust_relax)
        if ageing:
            hh.grow_older(1.0 / 52.0)
