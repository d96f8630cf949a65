"""The neighbourhood model: one step is one week (see docs/ODD.md for the schedule)."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import pickle
import secrets

import mesa
from mesa.agent import AgentSet
import numpy as np

from abm import indicators
from abm.agents import Agent, FormalService, Resident, ResidentsCooperative
from abm.config import SimConfig, validated
from abm.errors import ConfigError
from abm.events import EventLog
from abm.inputs import load_buildings, load_households
from abm.levers import build_levers, check_neighbourhood
from abm.levers.base import CostRow
from abm.levers.common import find_lever
from abm.params import validate
from abm.population import Households, PopulationGenerator
from abm.rng import stream
from abm.space import BuildingSpec, Neighbourhood
from abm.spinup import Monitor, SpinupResult, differences, spinup_settings
from abm.submodels.conflict import Conflict, ConflictRegister
from abm.submodels.encounters import Encounters
from abm.submodels.help import NeedsAndHelp
from abm.submodels.moving import Moving, exit_annual
from abm.submodels.participation import Participation
from abm.submodels.wellbeing import Wellbeing
from abm.ties import TieGraph
from abm.vocabulary import PAYERS, TENURE_CODE

logging.getLogger("mesa").setLevel(logging.WARNING)

#: the data collector's table of what the levers spent each week (one row per lever, payer, kind and asset)
COST_COLUMNS = ["step", "lever", *CostRow._fields]


class NeighbourhoodModel(mesa.Model):
    """Households in buildings, their ties, needs, help, conflicts and moves, under a policy scenario."""

    def __init__(self, *, config: SimConfig | None = None, seed: int | None = None, rng: int | None = None,
                 collect: bool = True, start: bool = True):
        """``seed`` (or Mesa's name for it, ``rng``) wins over the config's; with neither, nor a seed in the given
        config, a fresh seed is drawn from the operating system, as a Mesa model does, and kept in ``self.seed``
        and ``self.config.seed``.  The caller's config is never changed.

        With ``start=False`` the model stops at week 0 after the spin-up, before the policy's levers and the data
        collector are built: :meth:`snapshot` keeps that state, :meth:`from_snapshot` starts runs from it."""
        if config is None:
            from abm.config import compose

            config = dataclasses.replace(compose(), seed=None)  # the command line's default seed is not the model's
        seed = next((int(s) for s in (seed, rng, config.seed) if s is not None), None)
        # the caller's config stays as it is; a model without a seed draws one, as a Mesa model does
        config = dataclasses.replace(config, seed=secrets.randbits(63) if seed is None else seed)
        validated(config)  # once: not again if the launcher checked this very config
        super().__init__(rng=config.seed)
        self.seed = config.seed
        self.config = config
        #: the week the initial state is dated: just before the spin-up's first week (3.2)
        self.week = -config.spinup.max_weeks - 1
        #: households move and age during the spin-up (else its week 0 has the initial households: 3.2)
        self.renewing = config.spinup.renews(config.neighbourhood.households_csv)
        self.residents: dict[int, Resident] = {}

        buildings, spaces = policy_fits(config)
        self.space = Neighbourhood(buildings, spaces)  # checks that every shared space's building exists
        self.households = Households(self.space.n_units)
        self.ties = TieGraph(self.space.n_units)
        self.households.on_grow(self.ties.grow)
        self.conflicts = ConflictRegister()
        self.events = EventLog(first=self.week + 1)
        self.generator = PopulationGenerator(config.population, exit_annual(config.moving))

        self.encounters = Encounters(config.encounters, self)
        self.help = NeedsAndHelp(config.help, self)
        self.conflict = Conflict(config.conflict, self)
        self.wellbeing = Wellbeing(config.wellbeing, self)
        self.moving = Moving(config.moving, self)
        self.participation = Participation(config.participation, self)

        self.populate()
        self.cooperatives = AgentSet(
            [ResidentsCooperative(self, config.cooperative)] if any(b.tenure == "coop" for b in buildings) else [],
            random=self.random)
        self.services = AgentSet([FormalService(self, s) for s in config.services.formal], random=self.random)
        #: the allocation rule of social-tenure vacancies (the allocation lever; None: first come)
        self.allocation = None
        self.levers = AgentSet([], random=self.random)  # none during the spin-up
        self.datacollector = None
        self.started = False
        self.spinup: SpinupResult = self.spin_up()
        if start:
            self.start(collect)

    def start(self, collect: bool = True) -> None:
        """Week 0: the policy's levers are built on the spun-up state, then the data collector observes it."""
        if self.started:
            raise RuntimeError("the model has started already: its levers are built")
        self.started = True
        self.levers = AgentSet(build_levers(self, self.config.policy), random=self.random)
        self.allocation = find_lever(self, "allocation")

        self._graph_cache: tuple[int, dict] | None = None
        self.last_needs = None
        if collect:
            reporters = {name: _reporter(f) for name, f in indicators.INDICATORS.items()}
            reporters["by_type"] = lambda m: indicators.by_type(m._indicator_state)
            self.datacollector = mesa.DataCollector(model_reporters=reporters, tables={"costs": COST_COLUMNS})
            self.collect()

    # --- a spun-up state shared by the runs of one seed (experiments.spinups) ---------------------------
    def snapshot(self) -> bytes:
        """The spun-up state at week 0 of a model built with ``start=False``, as bytes: every agent, store,
        tie, conflict and event, the model's generators (``rng``, ``random``), every named stream's state and
        Mesa's counter of agent ids.  It depends on the seed and :func:`abm.spinup.spinup_settings` only."""
        if self.started:
            raise RuntimeError("a snapshot is taken before the levers are built (NeighbourhoodModel(start=False))")
        ids = Agent._ids[self]  # the per-model counter of agent ids lives outside the model (abm.agents)
        next_id = next(ids)
        Agent._ids[self] = itertools.count(next_id)
        return pickle.dumps((self, next_id), protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_snapshot(cls, state: bytes, config: SimConfig, collect: bool = True) -> "NeighbourhoodModel":
        """A model of ``config`` started from a :meth:`snapshot`: the same model, bit for bit, as
        ``NeighbourhoodModel(config=config, collect=collect)`` spinning up by itself.  ``config`` must have the
        snapshot's seed and spin-up settings (it may differ in its policy, horizon and outputs)."""
        model, next_id = pickle.loads(state)
        if not isinstance(model, cls):
            raise TypeError(f"a snapshot of a {type(model).__name__}, not of a {cls.__name__}")
        model.resume(validated(config), next_id, collect)
        return model

    def resume(self, config: SimConfig, next_id: int, collect: bool) -> None:
        """The policy, horizon and outputs of ``config`` on this spun-up state, then week 0 (``start``)."""
        if config.seed != self.seed or spinup_settings(config) != spinup_settings(self.config):
            raise ValueError(f"the snapshot was spun up with seed {self.seed} and other settings than the run's "
                             f"(seed {config.seed}): it cannot start that run")
        policy_fits(config)
        # the submodels keep their parameters (the same objects as before); the policy, horizon and outputs
        # are the run's
        self.config = dataclasses.replace(self.config, policy=config.policy, steps=config.steps,
                                          output=config.output)
        Agent._ids[self] = itertools.count(next_id)
        self.start(collect)

    # --- set-up ----------------------------------------------------------------------------------------
    @property
    def waiting_list(self) -> int:
        """Households waiting for a social-tenure unit (kept by the moving submodel)."""
        return self.moving.waiting_list

    def ensure_residents_coop(self) -> None:
        """Households let a unit as cooperative members need a residents' cooperative: form one if there is none."""
        if len(self.cooperatives) == 0:
            self.cooperatives.add(ResidentsCooperative(self, self.config.cooperative))

    def stream(self, name: str) -> np.random.Generator:
        """The random stream of one submodel or lever (independent of every other)."""
        return stream(self.config.seed, name)

    def populate(self) -> None:
        """Fill the units: from the households CSV, or by the population generator."""
        nb, cfg = self.space, self.config.neighbourhood
        rng = self.stream("population")
        if cfg.households_csv:
            units, given = load_households(cfg.households_csv, nb)
            attrs = self.generator.draw(rng, nb.unit_tenure[units], nb.unit_m2[units],
                                        htype=np.array(given["htype"], dtype=np.int64))
            for col, values in given.items():
                known = np.array([v is not None for v in values])
                if col != "htype" and known.any():
                    attrs[col][known] = np.array([v for v in values if v is not None])
                    if col == "income":  # the rent follows the income given, unless the rent is given too
                        rent_given = np.array([v is not None for v in given["rent"]])
                        rent = self.generator.rent(nb.unit_tenure[units], nb.unit_m2[units], attrs["income"])
                        attrs["rent"][~rent_given] = rent[~rent_given]
        else:
            units = np.flatnonzero(nb.habitable & ~nb.initially_vacant)
            attrs = self.generator.draw(rng, nb.unit_tenure[units], nb.unit_m2[units], stock=True)
        self._place(units, attrs, rng=rng)
        vacant = np.flatnonzero(nb.habitable & ~self.households.occupied)
        delay = self.moving.delay[nb.unit_tenure[vacant]]
        #: the empty units are let within their re-let delay from the start: of the spin-up if households
        #: renew in it, else of week 1 (``spin_up`` dates them then)
        self._vacant = (vacant, (rng.random(len(vacant)) * (delay + 1)).astype(np.int64))
        if self.renewing:
            self.moving.relet_from(vacant, self.week + self._vacant[1])

    def _place(self, units: np.ndarray, attrs: dict, step: int | None = None, rng=None,
               coop_members: np.ndarray | None = None) -> None:
        """Households move into ``units``; at set-up they arrived before the spin-up, after a tenancy drawn from
        the exponential distribution of its tenure's mean (``population.tenancy_mean_years``).

        Households in ``coop`` units, and those let a unit as members (``coop_members``), are cooperative members.
        """
        if step is None:
            elapsed = self.generator.elapsed_weeks(rng, self.space.unit_tenure[units])
            arrived = self.week - elapsed
        else:
            arrived = np.full(len(units), step)
        member = self.space.unit_tenure[units] == TENURE_CODE["coop"]
        if coop_members is not None and len(coop_members):
            member |= np.isin(units, coop_members)
        hids = self.households.move_in(units, attrs, arrived, member)
        for u, hid in zip(units, hids):
            self.residents[int(u)] = Resident(self, int(u), int(hid))

    def add_households(self, units: np.ndarray, attrs: dict | None = None,
                       coop_members: np.ndarray | None = None) -> None:
        """New households (from the waiting list or the market) move into empty ``units`` this week.

        Without ``attrs`` they are drawn for the units' tenures (and chosen by the allocation rule, if a lever
        sets one); ``coop_members`` are the units let to members of a residents' cooperative.
        """
        nb = self.space
        if attrs is None:
            attrs = self.generator.draw(self.moving.rng, nb.unit_tenure[units], nb.unit_m2[units])
            if self.allocation is not None:
                attrs = self.allocation.choose(units, attrs, coop_members)
        self._place(units, attrs, step=self.week, coop_members=coop_members)

    def add_building(self, spec: BuildingSpec) -> np.ndarray:
        """A newly built building (ERS fund): the store grows every per-unit column. Returns the new (empty) units.

        Existing units keep their indices, households, ties and conflicts; the new units are habitable and
        empty, and wait for the caller to let them (``moving.relet_at`` stays NEVER).
        """
        validate(spec, f"building '{spec.name}' ")
        if spec.unusable_units or spec.vacant_units:
            raise ConfigError(f"building '{spec.name}' unusable_units", spec.unusable_units + spec.vacant_units,
                              "0 for a new building (all its units are habitable and empty)")
        new = self.space.add_building(spec)
        self.households.grow(self.space.n_units)  # every declared column, then whoever derives from the layout
        return new

    def remove_households(self, units: np.ndarray) -> None:
        """Households in ``units`` leave: their ties and open conflicts go with them."""
        self.ties.remove_slots(units)
        gone = self.conflicts.involving(units, self.space.n_units)
        self.conflicts.end({"moved": gone}, self.events)
        for u in units:
            self.residents.pop(int(u)).remove()
        self.households.vacate(units)

    def spin_up(self) -> SpinupResult:
        """The baseline schedule (no lever is built yet) runs before week 0 until the stop rule of
        ``config.spinup`` is met (docs/ODD.md, 3.2); its weeks are then renumbered to end at week -1, the
        event log keeps them, and the model is at week 0, in a state that depends on the seed and the
        baseline configuration only (not on the policy)."""
        p = self.config.spinup
        monitor = Monitor(p)
        weeks = 0
        while weeks < p.max_weeks:
            self.week += 1
            self.run_week()
            weeks += 1
            monitor.record(indicators.State(self))
            if monitor.done(weeks):
                break
        self.redate(-1 - self.week)
        self.week = 0
        self.events.start_week(0)  # week 0 records no event
        if not self.renewing:
            self.moving.relet_from(*self._vacant)
        self.renewing = True  # from week 1 on households move and age
        return SpinupResult(weeks, monitor.converged, differences(monitor.series(), p.window))

    def redate(self, weeks: int) -> None:
        """Every date in the model's state moves ``weeks`` later (the clock too): the spin-up's renumbering."""
        if weeks == 0:
            return
        self.week += weeks
        self.households.redate(weeks)
        self.ties.redate(weeks)
        self.conflicts.redate(weeks)
        self.events.redate(weeks)

    @property
    def spinup_weeks(self) -> int:
        return self.spinup.weeks

    @property
    def spinup_converged(self) -> bool:
        return self.spinup.converged

    # --- the weekly schedule ------------------------------------------------------------------------------
    def step(self) -> None:
        """One week, in the order of the ODD's process overview, then the observation."""
        self.week += 1
        self.run_week()
        if self.datacollector is not None:
            self.collect()

    def run_week(self) -> None:
        """The processes of week ``self.week`` (the spin-up runs the same, without levers)."""
        self.events.start_week(self.week)
        self.events.add("households", float(self.households.occupied.sum()))
        self.encounters.step(self)                   # 1. meeting neighbours: ties form and strengthen
        self.cooperatives.do("step")                 # 2. collective life: assemblies, self-management
        self.participation.step(self)                #    residents' own activities
        self.levers.do("organise")                   #    levers: events, outreach, new units
        needs = self.help.arise(self)                # 3. needs arise
        self.help.ask_kin(self, needs)               #    relatives outside the neighbourhood
        self.help.ask_ties(self, needs)              #    households ask their ties
        self.levers.do("broker", needs)              #    levers connect needs with helpers
        self.services.do("serve", needs)             #    formal services with weekly capacity
        self.help.buy_or_cope(self, needs)           #    paid help, then the household's own resources
        self.help.settle(self, needs)                #    outcomes update trust, ties, ledger
        self.last_needs = needs
        self.conflict.step(self)                     # 4. conflicts arise, settle, fade or erode
        self.levers.do("handle_conflicts")           #    prevention and mediation
        self.encounters.decay_ties(self)             # 5. ties without contact decay and may dissolve
        self.wellbeing.step(self, ageing=self.renewing)  # 6. trust and satisfaction drift, ageing
        if self.renewing:
            self.moving.step(self)                   # 7. moving out, waiting list, re-letting

    # --- observation ----------------------------------------------------------------------------------------
    def collect(self) -> None:
        self._indicator_state = indicators.State(self)
        self.datacollector.collect(self)
        for lever in self.levers:
            for row in lever.costs():
                self.datacollector.add_table_row("costs", {"step": self.week, "lever": lever.name, **row._asdict()})

    def graph_measures(self) -> dict[str, float]:
        """Clustering and largest component, recomputed every ``indicators.graph_every`` weeks and at the
        run's last week (``steps``), so that the horizon value is never carried forward."""
        k = self.config.indicators.graph_every
        due = self.week % k == 0 or self.week == self.config.steps
        if self._graph_cache is None or (due and self._graph_cache[0] != self.week):
            self._graph_cache = (self.week, indicators.graph_measures(self.ties, self.households.occupied))
        return self._graph_cache[1]

    def lever_costs(self) -> dict[str, float]:
        costs: dict[str, float] = {}
        for lever in self.levers:
            costs[lever.name] = costs.get(lever.name, 0.0) + lever.yearly_cost()
        return costs

    def costs_by_payer(self) -> dict[str, float]:
        """Yearly cost of the active levers (EUR/year, current rate) by who pays (``PAYERS``)."""
        costs = dict.fromkeys(PAYERS, 0.0)
        for lever in self.levers:
            for payer, cost in lever.costs_by_payer().items():
                costs[payer] += cost
        return costs

    def lever_activity(self) -> dict[str, dict]:
        """Per enabled lever: its payer, yearly cost now and what it did since week 0 (``Lever.summary``)."""
        return {lever.name: {"payer": lever.p.payer, "cost_year": lever.yearly_cost(), **lever.summary()}
                for lever in self.levers}

    def timebank_members(self) -> int:
        return int(sum(lever.timebank_members() for lever in self.levers))

    def indicators(self) -> dict[str, float]:
        """All indicators now."""
        return indicators.collect(self)


def policy_fits(config: SimConfig) -> tuple[list, list]:
    """The buildings and shared spaces of ``config``; with a buildings CSV, the levers' rules that need the
    buildings are checked now that they are read (else they were checked with the config)."""
    nb_cfg = config.neighbourhood
    if nb_cfg.buildings_csv:
        buildings, spaces = load_buildings(nb_cfg.buildings_csv), nb_cfg.shared_spaces
        check_neighbourhood(config.policy, buildings, spaces)
        return buildings, spaces
    return nb_cfg.layout()


def _reporter(f):
    def report(model):
        return model._indicator_state.value(f)

    report.__name__ = f.__name__
    return report
