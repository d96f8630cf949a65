"""Indicators: the one place that defines them (names and ranges as in the indicator catalogue).

Every indicator is a pure function of the model state (household arrays, tie
graph, conflict register, event log, levers).  :class:`State` caches what
several indicators share (degrees, the occupied mask) for one collection, so
collecting all of them costs little next to a model step.  The data
collector, the writers, the report and the app all read indicators from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from abm.events import annualised
from abm.params import param
from abm.submodels.help import MET_KIN, MET_MARKET, MET_NEIGHBOUR, MET_OWN, MET_SERVICE, UNMET
from abm.vocabulary import HOUSEHOLD_TYPES

LEVERS = ("portierato", "mediation", "shared_services", "timebank", "community_coop", "regeneration", "ers_fund",
          "coop_governance")

#: the headline indicators, in reading order: the one list that a run's summary on the terminal, the sweep's
#: headline table, the report, the sensitivity analysis (without the costs) and the workshop app's charts show
HEADLINE = ("cohesion_index", "cohesion_index_excl_participation", "neomutualism_index",
            "neomutualism_index_excl_participation", "isolated_share", "isolated_elderly_alone_share",
            "needs_met_neighbours_share", "needs_unmet_share", "conflicts_open", "turnover_per_year",
            "cost_year_total")


@dataclass
class IndicatorParams:
    #: graph measures (clustering, largest component) are recomputed every k weeks (and at the last week of
    #: the run) and carried forward: quarterly by default, like survey waves; they change slowly
    graph_every: int = param(13, lo=1, hi=520)


def _share(num: float, den: float) -> float:
    """A share whose zero denominator is NaN, never 0 (catalogue convention)."""
    return float(num) / float(den) if den > 0 else float("nan")


def _nanmean(parts: list[float]) -> float:
    """Mean of the parts that are not NaN (NaN if all are)."""
    known = [p for p in parts if p == p]
    return sum(known) / len(known) if known else float("nan")


def _mean(x: np.ndarray) -> float:
    """``x.mean()`` (the same pairwise sum), without the method's overhead; NaN if empty."""
    return float(np.add.reduce(x) / len(x)) if len(x) else float("nan")


def _share_true(mask: np.ndarray) -> float:
    """Share of True in ``mask`` (NaN if empty): the mean of a 0/1 array, without making one."""
    return np.count_nonzero(mask) / len(mask) if len(mask) else float("nan")


class State:
    """A read-only view of the model for one collection, with shared quantities cached."""

    def __init__(self, model):
        self.model = model
        self.hh = model.households
        self.ties = model.ties
        self.events = model.events
        self.week = model.week

    @cached_property
    def occ(self) -> np.ndarray:
        return np.flatnonzero(self.hh.occupied)

    @cached_property
    def degree(self) -> np.ndarray:
        return self.ties.degree()[self.occ]

    @cached_property
    def burden(self) -> np.ndarray:
        """Rent and charges over income of occupied households (0 without income)."""
        return self.hh.rent_burden(self.model.config.population)[self.occ]

    @cached_property
    def trust(self) -> np.ndarray:
        return self.hh.trust[self.occ]

    @cached_property
    def satisfaction(self) -> np.ndarray:
        return self.hh.satisfaction[self.occ]

    @cached_property
    def htype(self) -> np.ndarray:
        return self.hh.htype[self.occ]

    def active(self, last: np.ndarray, window: int) -> np.ndarray:
        """Which occupied households had an event (``last`` week) within the trailing window."""
        key = (id(last), window)
        cache = self.__dict__.setdefault("_active", {})
        if key not in cache:
            cache[key] = (self.week - last[self.occ]) < window
        return cache[key]

    def value(self, indicator) -> float:
        """``indicator(self)``, computed once per collection (composite indices reuse their parts)."""
        cache = self.__dict__.setdefault("_values", {})
        name = indicator.__name__
        if name not in cache:
            cache[name] = indicator(self)
        return cache[name]

    @cached_property
    def lever_costs(self) -> dict[str, float]:
        return self.model.lever_costs()

    @cached_property
    def needs4(self) -> np.ndarray:
        return self.events.needs_window(4)


# --- cohesion ---------------------------------------------------------------------------------------
def ties_mean(s: State) -> float:
    """Mean number of ties per household: how connected residents are to their neighbours.

    Ties join occupied units only (a household that leaves takes its ties), so the mean degree is twice
    the number of ties over the number of households.
    """
    return _share(2 * len(s.ties), len(s.occ))


def strong_ties_mean(s: State) -> float:
    """Mean number of strong ties (strength at or above the strong-tie threshold): the ties people rely on.

    Twice the number of strong ties over the number of households (as for ``ties_mean``).
    """
    strong = np.count_nonzero(s.ties.strength >= s.model.config.encounters.strong_threshold)
    return _share(2 * strong, len(s.occ))


def isolated_share(s: State) -> float:
    """Share of households with no tie: who has nobody in the neighbourhood to turn to."""
    return _share_true(s.degree == 0)


def isolated_elderly_alone_share(s: State) -> float:
    """Share of elderly people living alone with no tie: the group the portierato looks out for first."""
    mask = s.htype == HOUSEHOLD_TYPES.index("elderly_alone")
    return _share_true(s.degree[mask] == 0)


def clustering(s: State) -> float:
    """Average local clustering of the tie graph: whether neighbours of a household know each other too."""
    return s.model.graph_measures()["clustering"]


def largest_component_share(s: State) -> float:
    """Share of households in the largest connected part of the tie graph: one community or many islands."""
    return s.model.graph_measures()["largest_component_share"]


def bridging_origin_share(s: State) -> float:
    """Share of ties between households of different origin/language groups: bridging social capital."""
    if len(s.ties) == 0:
        return float("nan")
    return _share_true(s.hh.origin[s.ties.u] != s.hh.origin[s.ties.v])


def intergenerational_share(s: State) -> float:
    """Share of ties between a head aged 65+ and one under 65: contact across generations."""
    if len(s.ties) == 0:
        return float("nan")
    old = s.hh.elderly(s.model.config.population)
    return _share_true(old[s.ties.u] != old[s.ties.v])


def trust_mean(s: State) -> float:
    """Mean generalised trust of households."""
    return _mean(s.trust)


def satisfaction_mean(s: State) -> float:
    """Mean residential satisfaction / sense of belonging."""
    return _mean(s.satisfaction)


def _cohesion_parts(s: State) -> list[float]:
    return [1.0 - s.value(isolated_share), s.value(trust_mean), s.value(satisfaction_mean)]


def cohesion_index(s: State) -> float:
    """Composite cohesion: mean of (1 - isolated_share), trust_mean, satisfaction_mean, participation_share.

    Equal weights (assumption, see ODD); components that are NaN are left out.
    """
    return _nanmean([*_cohesion_parts(s), s.value(participation_share)])


def cohesion_index_excl_participation(s: State) -> float:
    """``cohesion_index`` without its participation component: mean of (1 - isolated_share), trust_mean,
    satisfaction_mean (what a lever changes besides the attendance at its own activities)."""
    return _nanmean(_cohesion_parts(s))


# --- neomutualism --------------------------------------------------------------------------------------
def help_per_100_month(s: State) -> float:
    """Help acts between households per 100 households over the last 4 weeks."""
    return _share(100.0 * 4.0 * s.events.mean("help_acts", 4), s.events.mean("households", 4))


def _needs_share(s: State, outcome: int) -> float:
    """Share of the needs of the last 4 weeks that ended in ``outcome`` (one per outcome: they sum to 1)."""
    n = s.needs4.sum(axis=0)
    return _share(n[outcome], n.sum())


def needs_met_neighbours_share(s: State) -> float:
    """Share of needs (last 4 weeks) met by another household: mutual aid at work."""
    return _needs_share(s, MET_NEIGHBOUR)


def needs_met_services_share(s: State) -> float:
    """Share of needs (last 4 weeks) met by a formal or cooperative service."""
    return _needs_share(s, MET_SERVICE)


def needs_unmet_share(s: State) -> float:
    """Share of needs (last 4 weeks) left unmet after every channel (kin, neighbours, services, paid help, the
    household itself); with the five channel shares it sums to 1."""
    return _needs_share(s, UNMET)


# --- needs met outside the neighbourhood: with the three shares above, the shares of needs sum to 1 --------
def needs_met_kin_share(s: State) -> float:
    """Share of needs (last 4 weeks) met by relatives living outside the neighbourhood."""
    return _needs_share(s, MET_KIN)


def needs_met_market_share(s: State) -> float:
    """Share of needs (last 4 weeks) met by paid help (care workers, craftsmen, paid services)."""
    return _needs_share(s, MET_MARKET)


def needs_met_own_share(s: State) -> float:
    """Share of needs (last 4 weeks) the household met by itself after no one else did."""
    return _needs_share(s, MET_OWN)


def reciprocity(s: State) -> float:
    """Share of helping pairs (last 52 weeks) in which help went both ways."""
    t = s.ties
    recent_uv = t.last_help_uv > s.week - 52
    recent_vu = t.last_help_vu > s.week - 52
    return _share((recent_uv & recent_vu).sum(), (recent_uv | recent_vu).sum())


def timebank_hours_per_member_month(s: State) -> float:
    """Hours exchanged through the time bank per member over the last 4 weeks (0 without a time bank)."""
    members = s.model.timebank_members()
    if members == 0:
        return 0.0
    return s.events.total("timebank_hours", 4) / members


def participation_share(s: State) -> float:
    """Share of households that took part in a collective activity in the last 13 weeks."""
    return _share_true(s.active(s.hh.last_participation, 13))


def volunteers_share(s: State) -> float:
    """Share of households volunteering for a cooperative or community service in the last 13 weeks."""
    return _share_true(s.active(s.hh.last_volunteer, 13))


def _neomutualism_parts(s: State) -> list[float]:
    return [s.value(needs_met_neighbours_share), s.value(reciprocity), s.value(volunteers_share)]


def neomutualism_index(s: State) -> float:
    """Composite mutual aid: mean of needs_met_neighbours_share, reciprocity, participation_share, volunteers_share.

    Equal weights (assumption, see ODD); components that are NaN are left out.
    """
    return _nanmean([*_neomutualism_parts(s), s.value(participation_share)])


def neomutualism_index_excl_participation(s: State) -> float:
    """``neomutualism_index`` without its participation component: mean of needs_met_neighbours_share,
    reciprocity, volunteers_share."""
    return _nanmean(_neomutualism_parts(s))


# --- conflict ---------------------------------------------------------------------------------------------
def conflicts_new_per_100_year(s: State) -> float:
    """New neighbour conflicts per 100 households, annualised over the last 13 weeks."""
    weeks = s.events.weeks(13)
    return _share(annualised(100.0 * s.events.total("conflicts_new", 13), weeks), s.events.mean("households", 13))


def conflicts_open(s: State) -> float:
    """Conflicts not yet resolved or faded."""
    return float(len(s.model.conflicts))


def conflicts_resolved_share(s: State) -> float:
    """Share of conflicts ended in the last 52 weeks that were resolved (not faded or ended by a move)."""
    return _share(s.events.total("conflicts_resolved", 52), s.events.total("conflicts_ended", 52))


# --- housing --------------------------------------------------------------------------------------------------
def occupancy_share(s: State) -> float:
    """Occupied units over habitable units."""
    return _share(len(s.occ), s.model.space.habitable.sum())


def vacant_units(s: State) -> float:
    """Habitable units without a household plus unusable stock not yet regenerated."""
    return float(s.model.space.n_units - len(s.occ))


def turnover_per_year(s: State) -> float:
    """Households moving out per 100 households, annualised over the last 52 weeks."""
    weeks = s.events.weeks(52)
    return _share(annualised(100.0 * s.events.total("moves_out", 52), weeks), s.events.mean("households", 52))


def waiting_list(s: State) -> float:
    """Households waiting for a social-tenure unit."""
    return float(s.model.waiting_list)


def rent_burden_share(s: State) -> float:
    """Share of households paying more than ``population.rent_burden_threshold`` (30 %) of income in rent and
    charges."""
    return _share_true(s.burden > s.model.config.population.rent_burden_threshold)


def units_created(s: State) -> float:
    """Units added by regeneration or the ERS fund since the start."""
    return float(s.model.space.units_created)


def community_coop_alive(s: State) -> float:
    """1 while the community cooperative runs, 0 once it has failed (money or volunteers ran out); NaN without one.

    Not in the catalogue: the survival output of the community cooperative lever.
    """
    coops = [lever for lever in s.model.levers if lever.name == "community_coop"]
    return float(all(c.alive for c in coops)) if coops else float("nan")


# --- cost ----------------------------------------------------------------------------------------------------
def _cost(lever: str):
    def cost(s: State) -> float:
        return float(s.lever_costs.get(lever, 0.0))

    cost.__name__ = f"cost_year_{lever}"
    cost.__doc__ = f"Running cost of the {lever} lever, EUR per year at the current rate (0 when switched off)."
    return cost


def cost_year_total(s: State) -> float:
    """Public and cooperative running cost of all active levers, EUR per year at the current rate."""
    return float(sum(s.lever_costs.values()))


# --- weekly counts: what the horizon account adds up over a period (experiments.horizon) ------------------
def isolated_households(s: State) -> float:
    """Households with no tie now (a week of it is a household-week of isolation)."""
    return float(np.count_nonzero(s.degree == 0))


def needs_met_neighbours_week(s: State) -> float:
    """Needs met by another household this week."""
    return float(s.events.needs_window(1)[:, MET_NEIGHBOUR].sum())


def conflicts_resolved_week(s: State) -> float:
    """Conflicts resolved this week (by the parties, the portierato or mediation)."""
    return s.events.total("conflicts_resolved", 1)


INDICATORS = {f.__name__: f for f in (
    ties_mean, strong_ties_mean, isolated_share, isolated_elderly_alone_share, clustering,
    largest_component_share, bridging_origin_share, intergenerational_share, trust_mean, satisfaction_mean,
    cohesion_index, cohesion_index_excl_participation,
    help_per_100_month, needs_met_neighbours_share, needs_met_services_share, needs_unmet_share,
    needs_met_kin_share, needs_met_market_share, needs_met_own_share, reciprocity,
    timebank_hours_per_member_month, participation_share, volunteers_share, neomutualism_index,
    neomutualism_index_excl_participation,
    conflicts_new_per_100_year, conflicts_open, conflicts_resolved_share,
    occupancy_share, vacant_units, turnover_per_year, waiting_list, rent_burden_share, units_created,
    community_coop_alive, cost_year_total, *(_cost(lever) for lever in LEVERS),
    isolated_households, needs_met_neighbours_week, conflicts_resolved_week,
)}

#: [lo, hi] of each indicator (hi None = unbounded), as in the catalogue
RANGES = {name: (0.0, None) for name in INDICATORS}
RANGES.update({name: (0.0, 1.0) for name in (
    "isolated_share", "isolated_elderly_alone_share", "clustering", "largest_component_share",
    "bridging_origin_share", "intergenerational_share", "trust_mean", "satisfaction_mean", "cohesion_index",
    "cohesion_index_excl_participation", "needs_met_neighbours_share", "needs_met_services_share",
    "needs_unmet_share", "needs_met_kin_share", "needs_met_market_share", "needs_met_own_share", "reciprocity",
    "participation_share", "volunteers_share", "neomutualism_index",
    "neomutualism_index_excl_participation", "conflicts_resolved_share",
    "occupancy_share", "rent_burden_share", "community_coop_alive")})


# --- breakdown by household type ---------------------------------------------------------------------------
BY_TYPE = ("isolated_share", "ties_mean", "trust_mean", "satisfaction_mean", "needs_unmet_share", "participation_share")


def by_type(s: State) -> np.ndarray:
    """The BY_TYPE indicators per household type: an array (len(BY_TYPE), len(HOUSEHOLD_TYPES)); NaN for a
    type without households (or without needs)."""
    k = len(HOUSEHOLD_TYPES)
    t = s.htype
    n = np.bincount(t, minlength=k)
    total = lambda x: np.bincount(t, weights=x, minlength=k)  # noqa: E731
    needs = s.needs4
    num = np.vstack([total(s.degree == 0), total(s.degree), total(s.trust), total(s.satisfaction), needs[:, UNMET],
                     total(s.active(s.hh.last_participation, 13))])
    den = np.vstack([n, n, n, n, needs.sum(axis=1), n])
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def graph_measures(ties, occupied: np.ndarray) -> dict[str, float]:
    """Average local clustering and largest-component share of the tie graph, over occupied units.

    Equal to networkx's ``average_clustering`` and ``connected_components`` on the same graph (tested).
    Each triangle is counted once, at its lowest slot ("forward" counting): edges are stored sorted by
    ``(u, v)`` with ``u < v``, so the ties of ``u`` to higher slots are already grouped; every pair of
    them closes a triangle if their two ends are tied (one sorted lookup for all pairs).  That is about a
    quarter of the pairs an all-wedges count (``A @ A``) looks at.
    """
    occ = np.flatnonzero(occupied)
    n = len(occ)
    if n == 0:
        return {"clustering": float("nan"), "largest_component_share": float("nan")}
    if len(ties) == 0:
        return {"clustering": 0.0, "largest_component_share": 1.0 / n}
    slots, u, v = ties.n_slots, ties.u, ties.v
    indptr = np.zeros(slots + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=slots), out=indptr[1:])
    edge = np.arange(len(u))
    after = indptr[u + 1] - edge - 1          # ties of the same u to higher slots than v
    i = np.repeat(edge, after)
    j = i + 1 + (np.arange(len(i)) - np.repeat(np.cumsum(after) - after, after))
    key = (v[i] << 32) | v[j]                  # v[i] < v[j]: already the pair's sort key
    pos = np.minimum(np.searchsorted(ties.key, key), len(ties.key) - 1)
    closed = ties.key[pos] == key
    i, j = i[closed], j[closed]
    tri = np.bincount(u[i], minlength=slots) + np.bincount(v[i], minlength=slots) + np.bincount(v[j], minlength=slots)
    deg = ties.degree()
    with np.errstate(divide="ignore", invalid="ignore"):
        local = np.where(deg > 1, 2.0 * tri / (deg * (deg - 1.0)), 0.0)
    largest = np.bincount(ties.components()[occ]).max()
    return {"clustering": float(local[occ].mean()), "largest_component_share": float(largest / n)}


def collect(model) -> dict[str, float]:
    """Every indicator of the catalogue at the current week."""
    s = State(model)
    return {name: f(s) for name, f in INDICATORS.items()}
