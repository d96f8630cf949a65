"""How each indicator is shown: its unit, its decimals, which direction is desirable, and number
formatting in the report's language (Italian: 1.234,5; English: 1,234.5)."""

from __future__ import annotations

import math

from abm.indicators import RANGES
from experiments.horizon import HEADLINE  # the headline table: indicators by their mean over the horizon, then its net present cost

#: the weekly series among them (trajectories)
SERIES = tuple(i for i in HEADLINE if i in RANGES)

#: +1 higher is better, -1 lower is better, 0 neither (costs, service use): how the report colours a
#: distinguishable difference.  A reading aid stated in the report's methods, not a model result.
DESIRABLE = {
    "ties_mean": 1, "strong_ties_mean": 1, "isolated_share": -1, "isolated_elderly_alone_share": -1,
    "clustering": 1, "largest_component_share": 1, "bridging_origin_share": 1, "intergenerational_share": 1,
    "trust_mean": 1, "satisfaction_mean": 1, "cohesion_index": 1, "cohesion_index_excl_participation": 1,
    "help_per_100_month": 1,
    "needs_met_neighbours_share": 1, "needs_met_services_share": 0, "needs_unmet_share": -1, "needs_met_kin_share": 0,
    "needs_met_market_share": 0, "needs_met_own_share": 0, "reciprocity": 1,
    "timebank_hours_per_member_month": 1, "participation_share": 1, "volunteers_share": 1,
    "neomutualism_index": 1, "neomutualism_index_excl_participation": 1, "conflicts_new_per_100_year": -1, "conflicts_open": -1,
    "conflicts_resolved_share": 1, "occupancy_share": 1, "vacant_units": -1, "turnover_per_year": -1,
    "waiting_list": -1, "rent_burden_share": -1, "units_created": 1,
    "isolated_household_years": -1, "needs_met_neighbours_total": 1, "conflicts_resolved_total": 1,
}

SCORES = ("trust_mean", "satisfaction_mean", "cohesion_index", "cohesion_index_excl_participation",
          "neomutualism_index", "neomutualism_index_excl_participation")


def unit(indicator: str) -> str:
    """``pp`` (a share, shown in percent and differences in percentage points), ``score`` (0-1 scale),
    ``eur`` (EUR a year at the current rate), ``eur_total`` (EUR over the horizon, or per unit of a benefit
    over it) or ``number``."""
    if indicator.startswith("cost_year_"):
        return "eur"
    if indicator.endswith("_eur") or indicator.startswith("pv_eur_per_"):
        return "eur_total"
    if indicator in SCORES:
        return "score"
    if RANGES.get(indicator, (0.0, None))[1] == 1.0:
        return "pp"
    return "number"


#: shown value = native value * SCALE; decimals shown
SCALE = {"pp": 100.0, "score": 1.0, "eur": 1.0, "eur_total": 1.0, "number": 1.0}
DECIMALS = {"pp": 1, "score": 3, "eur": 0, "eur_total": 0, "number": 2}


def number(x: float, decimals: int, lang: str, sign: bool = False) -> str:
    """``x`` with ``decimals`` decimals, thousands grouped, in the language's convention; NaN is a dash."""
    if x is None or not math.isfinite(x):
        return "–"
    if round(x, decimals) == 0:
        x, sign = 0.0, False  # no "-0.0" and no "+0.0"
    text = f"{x:{'+' if sign else ''},.{decimals}f}"
    if lang == "it":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text.replace("-", "\u2212")


def parse(text: str, lang: str) -> float:
    """Inverse of :func:`number` (used by tests and by nobody else)."""
    text = text.strip().replace("\u2212", "-").replace("+", "")
    text = text.replace(".", "").replace(",", ".") if lang == "it" else text.replace(",", "")
    return float(text)


def shown(indicator: str, x: float, lang: str, sign: bool = False) -> str:
    """An indicator's value (or difference, with ``sign``) in its display unit, without the unit name."""
    u = unit(indicator)
    return number(x * SCALE[u] if x is not None else x, DECIMALS[u], lang, sign)
