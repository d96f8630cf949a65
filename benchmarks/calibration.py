"""The calibration loop's throughput for ``make bench`` (issue 14): evaluations per hour per core, and the loop's
cost per model run over the same runs done bare.

Each repetition runs one generation of ABC-SMC in this process with pyabc's single-process sampler (one core):
the ``default`` calibration (acer_estate, 156 weeks, its four scenarios) with 1 seed per evaluation and a
population of 4 (``--quick``: the ``test`` calibration), in a throw-away SQLite database, and counts its
evaluations (prior sample included).  Then it runs, bare (:func:`experiments.calibration.evaluate.run_model`,
no pyabc, no statistics), as many model runs of the same scenarios as the loop did, with parameter sets drawn
from the prior as the loop's first generation draws them.

- ``calibration_evals_per_hour_per_core``: evaluations x 3600 / CPU seconds of the generation.  An evaluation
  runs every scenario once per seed: with k seeds (``calibration.replicates``) divide by k.
- ``calibration_loop_ratio``: CPU seconds per model run inside the loop over CPU seconds per bare model run:
  what pyabc, setting the parameters and computing the statistics add (machine speed cancels out).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks import report

FIGURES = ("calibration_evals_per_hour_per_core", "calibration_loop_ratio")


def _setup(quick: bool):
    from experiments.calibrate import prepare
    from experiments.calibration.config import compose_calibrate

    overrides = (["calibration=test", "calibration.population_size=4"] if quick else
                 ["calibration=default", "calibration.population_size=4", "calibration.replicates=1"])
    return prepare(compose_calibrate([*overrides, "calibration.sampler.kind=single", "calibration.sampler.n_procs=1",
                                      "calibration.progress=false"]))


def one_generation(setup, seed: int) -> dict[str, float]:
    """CPU seconds and evaluations of one generation of a new calibration."""
    import logging

    from pyabc.sampler import SingleCoreSampler

    from experiments.calibrate import make_abc, observed, reseed

    logging.getLogger("ABC").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="abitare-bench-calibration-") as tmp:
        abc = make_abc(setup, SingleCoreSampler())
        history = abc.new(f"sqlite:///{Path(tmp) / 'bench.db'}", observed(setup))
        reseed(seed, 0)
        c0 = time.process_time()
        abc.run(max_nr_populations=1)
        cpu = time.process_time() - c0
        evaluations = int(history.total_nr_simulations)
    return {"cpu_s": cpu, "evaluations": evaluations}


def bare_runs(setup, n_evaluations: int, seed: int) -> float:
    """CPU seconds per model run of the calibration's scenarios without the loop, with parameter sets drawn from
    the prior like those of a first generation."""
    import numpy as np

    from experiments.calibration.evaluate import run_model
    from experiments.calibration.parameters import apply

    rng = np.random.default_rng(seed)
    scenarios = [setup.scenarios[sc] for sc in setup.evaluator().groups]
    runs, cpu = 0, 0.0
    for i in range(n_evaluations):
        values = {k: rng.uniform(p.lo, p.hi) for k, p in setup.priors.items()}
        for scenario in scenarios:
            config = apply(scenario, setup.priors, values)
            config.seed = 1000 + i
            c0 = time.process_time()
            run_model(config)
            cpu += time.process_time() - c0
            runs += 1
    return cpu / runs


def figures(quick: bool, reps: int, log=print) -> dict[str, dict]:
    setup = _setup(quick)
    scenarios = len(setup.evaluator().groups)
    per_hour, ratio = [], []
    for rep in range(reps):
        log(f"calibration loop: repetition {rep + 1}/{reps}")
        g = one_generation(setup, seed=rep)
        runs_in_loop = g["evaluations"] * scenarios * setup.cal.replicates
        per_hour.append(3600.0 * g["evaluations"] / g["cpu_s"])
        ratio.append((g["cpu_s"] / runs_in_loop) / bare_runs(setup, g["evaluations"], seed=rep))
    clock = "CPU time of the benchmark process (time.process_time), one core"
    return {
        "calibration_evals_per_hour_per_core": report.summary(
            per_hour, "evaluations/h", clock=clock, seeds_per_evaluation=setup.cal.replicates,
            scenarios_per_evaluation=scenarios, calibration=setup.cal.name),
        "calibration_loop_ratio": report.summary(ratio, "ratio", clock=clock),
    }
