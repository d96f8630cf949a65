"""Calibrate the model against published targets with ABC-SMC (pyabc):
``python -m experiments.calibrate [calibration=default] [targets=bologna] [calibration.<key>=...]``.

Everything is checked before the first simulation (a bad key or value stops with one error naming it,
exit status 2).  The calibration writes into ``outputs/calibration/<calibration.name>`` (``hydra.run.dir=``
to change it): ``calibration.db`` (pyabc's SQLite history), ``calibration.json`` (what was calibrated and
how it ended), ``generations.csv``, ``posterior.json`` / ``posterior.csv`` (the last generation's weighted
parameter sets), ``predictive.csv`` and ``fit.csv`` / ``fit.png`` (each target: observed against the
posterior predictive median and 90 % band) and ``prior_posterior/<parameter>.png``.

**To resume a stopped calibration, run the same command again**: it loads its database
(``ABCSMC.load``) and runs the generations still missing up to ``calibration.max_populations`` (raise it to
go further); the outputs are rewritten from the database.  Method and file formats: docs/CALIBRATION.md.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from abm.errors import ConfigError
from experiments import statistics
from experiments.calibration.config import CalibrationConfig, fingerprint, to_config
from experiments.calibration.evaluate import Evaluator
from experiments.calibration.parameters import Prior, locate, priors_of
from experiments.calibration.posterior import effective_sample_size
from experiments.targets import Target, load, select

log = logging.getLogger("abitare.calibration")
DB, META = "calibration.db", "calibration.json"


@dataclass
class Setup:
    """A checked calibration: its config, targets, priors and the run configuration of each scenario."""

    cal: CalibrationConfig
    targets: dict[str, Target]
    #: targets of the distance, and targets compared only in the fit diagnostics
    used: list[str]
    validation: list[str]
    #: targets selected but skipped (name -> what the model lacks)
    skipped: dict[str, str]
    priors: dict[str, Prior]
    scenarios: dict[tuple[str, ...], object]
    fingerprint: str

    def evaluator(self, names: list[str] | None = None) -> Evaluator:
        return Evaluator(self.scenarios, self.targets, names or self.used, self.priors, self.cal.replicates,
                         self.cal.seed)


def compose_model(overrides: list[str], key: str):
    """The validated run configuration of ``overrides``; any problem is a ConfigError naming ``key``."""
    from hydra.errors import HydraException

    from abm.config import compose

    try:
        return compose(list(overrides))
    except ConfigError as e:
        raise ConfigError(f"{key}: {e.key}", e.value, e.allowed) from None
    except HydraException as e:
        raise ConfigError(key, list(overrides), str(e).splitlines()[0]) from None


def prepare(cfg: DictConfig) -> Setup:
    """Check the whole calibration (config, targets, model overrides, priors) before any simulation (each
    scenario's model is built once, not run, to check the levers its targets read)."""
    from abm.model import NeighbourhoodModel

    cal = to_config(cfg.calibration)
    targets = load(cfg.targets)
    validation = select(targets, cal.validate, "calibration.validate")
    requested = (select(targets, cal.targets, "calibration.targets") if cal.targets is not None
                 else [n for n in targets if n not in validation])
    both = sorted(set(requested) & set(validation))
    if both:
        raise ConfigError("calibration.validate", both, "targets not also calibrated against (calibration.targets)")
    skipped = {n: targets[n].requires for n in requested + validation if not targets[n].active}
    used = [n for n in requested if n not in skipped]
    validation = [n for n in validation if n not in skipped]
    if not used:
        raise ConfigError("calibration.targets", requested, "at least one target the model can compute "
                                                            "(every one selected is marked 'requires')")
    base = compose_model(cal.model, "calibration.model")
    scenarios, built = {}, {}
    for n in used + validation:
        sc = tuple(targets[n].scenario)
        if sc not in scenarios:
            scenarios[sc] = base if not sc else compose_model([*cal.model, *sc], f"targets.{n}.scenario")
            built[sc] = NeighbourhoodModel(config=copy.deepcopy(scenarios[sc]), collect=False)
        statistics.check_args(f"targets.{n}", targets[n].statistic, targets[n].args, scenarios[sc].steps,
                              built[sc])
    first = scenarios[tuple(targets[used[0]].scenario)]
    priors = priors_of(first, cal.parameters)
    for sc, config in scenarios.items():
        for key in priors:
            try:
                locate(config, key)
            except ConfigError as e:
                raise ConfigError(f"calibration.parameters.{key}", e.value, f"{e.allowed} (scenario {list(sc)})")
    return Setup(cal, targets, used, validation, skipped, priors, scenarios,
                 fingerprint(cal, targets, used, scenarios))


# --- pyabc ------------------------------------------------------------------------------------------------------
def make_sampler(cal: CalibrationConfig):
    from pyabc.sampler import DaskDistributedSampler, MulticoreEvalParallelSampler, SingleCoreSampler

    s = cal.sampler
    if s.kind == "single":
        sampler = SingleCoreSampler()
    elif s.kind == "multicore":
        sampler = MulticoreEvalParallelSampler(n_procs=s.n_procs)
    else:
        from distributed import Client, LocalCluster

        logging.getLogger("distributed").setLevel(logging.WARNING)
        client = Client(s.address) if s.address else Client(
            LocalCluster(n_workers=s.n_procs, threads_per_worker=1, processes=True, silence_logs=logging.WARNING))
        sampler = DaskDistributedSampler(dask_client=client)
    sampler.show_progress = cal.progress and sys.stderr.isatty()
    return sampler


def make_distance(setup: Setup):
    """Standardized: sqrt(sum over targets of ((simulated - observed) / se)^2), fixed; adaptive: pyabc's."""
    from pyabc.distance import AdaptivePNormDistance, PNormDistance

    weights = {n: 1.0 / setup.targets[n].se for n in setup.used}
    if setup.cal.distance == "standardized":
        return PNormDistance(p=2, fixed_weights=weights)
    return AdaptivePNormDistance(p=2, initial_scale_weights=weights)


def make_abc(setup: Setup, sampler):
    import pyabc

    prior = pyabc.Distribution(**{k: pyabc.RV("uniform", p.lo, p.hi - p.lo) for k, p in setup.priors.items()})
    return pyabc.ABCSMC(setup.evaluator(), prior, make_distance(setup),
                        population_size=setup.cal.population_size, sampler=sampler,
                        transitions=pyabc.MultivariateNormalTransition(scaling=setup.cal.transition_scaling))


def observed(setup: Setup) -> dict[str, float]:
    return {n: float(setup.targets[n].observed) for n in setup.used}


def reseed(seed: int, generation: int) -> None:
    """Seed pyabc's draws (numpy's and Python's global generators) for one generation."""
    import random

    state = np.random.SeedSequence([seed, generation]).generate_state(2)
    np.random.seed(int(state[0]))
    random.seed(int(state[1]))


# --- the run ----------------------------------------------------------------------------------------------------
def read_meta(out: Path) -> dict | None:
    path = out / META
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_meta(out: Path, setup: Setup, run_id: int, **extra) -> None:
    from experiments.outputs import write_text

    meta = {"calibration": setup.cal.name, "fingerprint": setup.fingerprint, "run_id": run_id, "db": DB,
            "parameters": {k: {"lo": p.lo, "hi": p.hi, "integer": p.integer, "declared": list(p.declared)}
                           for k, p in setup.priors.items()},
            "targets": setup.used, "validation": setup.validation, "skipped": setup.skipped,
            "model": list(setup.cal.model), "replicates": setup.cal.replicates, "seed": setup.cal.seed,
            "population_size": setup.cal.population_size, "distance": setup.cal.distance,
            "sampler": setup.cal.sampler.kind, "target_details": target_details(setup), **extra}
    write_text(out / META, json.dumps(meta, indent=1, default=str))


def target_details(setup: Setup) -> dict[str, dict]:
    """The targets of the calibration as they were (observed value, se, unit, population, source, mapping...):
    what a report of a sweep drawing from its posterior shows, without the target set at hand."""
    from dataclasses import asdict

    names = [*setup.used, *setup.validation, *setup.skipped]
    return {n: asdict(setup.targets[n]) for n in dict.fromkeys(names)}


def db_url(out: Path) -> str:
    return f"sqlite:///{(out / DB).resolve()}"


def open_run(setup: Setup, out: Path, sampler) -> int:
    """The pyabc run id in ``out``: a new run (its generation 0 not yet sampled), or the one stored there
    (refused if it calibrates something else)."""
    meta = read_meta(out)
    if (out / DB).exists():
        if meta is None:
            raise SystemExit(f"error: {out / DB} exists without {META}: delete it or calibrate into another "
                             f"directory (hydra.run.dir=...)")
        if meta["fingerprint"] != setup.fingerprint:
            raise SystemExit(f"error: {out} holds a calibration of another configuration (model, priors, targets, "
                             f"seed, replicates, population size or distance changed): calibrate into another "
                             f"directory (hydra.run.dir=...) or delete it")
        log.info("resuming run %d of %s", meta["run_id"], out / DB)
        return int(meta["run_id"])
    out.mkdir(parents=True, exist_ok=True)
    history = make_abc(setup, sampler).new(db_url(out), observed(setup), meta_info={
        "calibration": setup.cal.name, "fingerprint": setup.fingerprint})
    write_meta(out, setup, history.id, status="running")
    return int(history.id)


def run_generations(setup: Setup, sampler, out: Path, run_id: int):
    """Run generations until ``max_populations`` or another stop rule: the history and why it stopped.

    Each generation loads the run from its database afresh (``ABCSMC.load``) and is seeded from the
    calibration seed and its index, so a calibration stopped and resumed follows the same path as one run
    through (bit for bit with the single-process sampler)."""
    cal = setup.cal
    t_start = time.monotonic()
    while True:
        abc = make_abc(setup, sampler)
        history = abc.load(db_url(out), run_id)
        done = history.n_populations
        if done >= cal.max_populations:
            return history, f"calibration.max_populations ({done}) reached"
        if done:
            last = generations(history).iloc[-1]
            if last["epsilon"] <= cal.min_epsilon:
                return history, f"threshold {last['epsilon']:.4g} <= calibration.min_epsilon"
            if last["acceptance_rate"] < cal.min_acceptance_rate:
                return history, (f"acceptance rate {last['acceptance_rate']:.3g} < "
                                 f"calibration.min_acceptance_rate")
        if cal.max_walltime_minutes is not None and time.monotonic() - t_start > 60 * cal.max_walltime_minutes:
            return history, "calibration.max_walltime_minutes"
        reseed(cal.seed, done)
        log.info("generation %d of %d (population %d, %d seeds per evaluation)", done + 1, cal.max_populations,
                 cal.population_size, cal.replicates)
        abc.run(max_nr_populations=1)
        g = generations(history).iloc[-1]
        log.info("generation %d done: threshold %.4g, %d evaluations, acceptance %.3f, effective sample size %.1f, "
                 "%.0f s", int(g["t"]) + 1, g["epsilon"], int(g["samples"]), g["acceptance_rate"], g["ess"],
                 g["wall_time"])
        if g["ess"] < 0.1 * cal.population_size:
            log.warning("the weights of generation %d are concentrated on few particles (effective sample size "
                        "%.1f of %d): raise calibration.population_size", int(g["t"]) + 1, g["ess"],
                        cal.population_size)


def generations(history):
    """One row per generation: t, threshold, evaluations, particles, acceptance rate, effective sample size
    (1 / sum of squared normalised weights: how many particles the weighted population is worth), seconds."""
    df = history.get_all_populations()
    df = df[df["t"] >= 0].reset_index(drop=True)
    df["acceptance_rate"] = df["particles"] / df["samples"]
    df["ess"] = [effective_sample_size(history.get_distribution(m=0, t=int(t))[1]) for t in df["t"]]
    return df[["t", "epsilon", "samples", "particles", "acceptance_rate", "ess", "wall_time", "population_end_time"]]


def calibrate(setup: Setup, out: Path) -> dict:
    """Run (or resume) the calibration into ``out`` and write every output; the final calibration.json."""
    from experiments.calibration import diagnostics

    sampler = make_sampler(setup.cal)
    run_id = open_run(setup, out, sampler)
    log.info("calibrating %d parameter(s) against %d target(s): %s%s", len(setup.priors), len(setup.used),
             ", ".join(setup.used), "".join(f"\n  skipped {n}: requires {why}" for n, why in setup.skipped.items()))
    t0 = time.monotonic()
    history, stopped = run_generations(setup, sampler, out, run_id)
    log.info("stopped: %s", stopped)
    gens = generations(history)
    extra = {"status": "done", "stopped": stopped, "generations": len(gens),
             "evaluations": int(history.total_nr_simulations), "seconds_this_call": time.monotonic() - t0}
    try:
        diagnostics.write_all(setup, history, gens, out, sampler)
    finally:
        if setup.cal.sampler.kind == "dask":
            sampler.client.close()
    write_meta(out, setup, history.id, **extra)
    return read_meta(out)


def setup_logging() -> None:
    """Progress on stderr: pyabc's generation lines (logger ``ABC``) and ours; warnings from the rest."""
    import pyabc  # noqa: F401  (it installs its own handler on import: replaced below)

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S", force=True)
    for name in ("ABC", "abitare"):
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("ABC").handlers.clear()  # pyabc's own handler would print every line twice
    logging.getLogger("MESA").setLevel(logging.WARNING)


@hydra.main(version_base="1.3", config_path="../configs", config_name="calibrate")
def main(cfg: DictConfig) -> None:
    out = Path(HydraConfig.get().runtime.output_dir)
    setup_logging()
    try:
        setup = prepare(cfg)
    except ConfigError as e:
        try:
            out.rmdir()
        except OSError:
            pass
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    meta = calibrate(setup, out)
    print(f"calibration {setup.cal.name}: {meta['generations']} generation(s), {meta['evaluations']} evaluations "
          f"({meta['stopped']}); results in {out.resolve()}")


if __name__ == "__main__":
    main()
