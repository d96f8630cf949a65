"""One evaluation of the calibration: a parameter set -> the targets' statistics, mean over replicate seeds.

The model function pyabc calls (:class:`Evaluator` is picklable, for Dask workers).  Targets that share
their model overrides (``scenario``) share their runs: each scenario runs once per seed and every statistic
of its targets is computed from the same run.  The seeds of an evaluation are a pure function of the
calibration seed, a stream name and the parameter values (:func:`seeds_for`), so any evaluation can be
repeated exactly from the posterior table, whatever process or machine ran it.  A parameter set the model
refuses (a cross-field rule of the configuration) gives NaN statistics, which no threshold accepts.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np

from abm.errors import ConfigError
from experiments import statistics
from experiments.calibration.parameters import Prior, apply

log = logging.getLogger("abitare.calibration")

#: the seed streams of the calibration loop and of the posterior predictive check
STREAMS = {"abc": 0, "predictive": 1, "bench": 2}


def seeds_for(seed: int, stream: str, values: dict[str, float], k: int, draw: int = 0) -> list[int]:
    """``k`` model seeds for one evaluation: from the calibration seed, the stream, the values and a draw index."""
    digest = hashlib.sha256(repr(sorted((key, float(v)) for key, v in values.items())).encode()).digest()
    words = np.frombuffer(digest[:16], dtype=np.uint32).tolist()
    ss = np.random.SeedSequence([int(seed), STREAMS[stream], int(draw), *words])
    return [int(s) for s in ss.generate_state(k, dtype=np.uint64) >> np.uint64(1)]  # < 2**63: a model seed


def run_model(config):
    """Build and run one model to its horizon: the :class:`~experiments.statistics.Run` of it."""
    from abm.model import NeighbourhoodModel

    model = NeighbourhoodModel(config=config)
    for _ in range(config.steps):
        model.step()
    return statistics.Run(model)


class Evaluator:
    """``evaluator(values) -> {target: statistic}`` for the calibration's targets and priors."""

    def __init__(self, scenarios: dict[tuple[str, ...], object], targets: dict, names: list[str],
                 priors: dict[str, Prior], replicates: int, seed: int):
        #: scenario overrides -> the validated run configuration of that scenario (calibration model first)
        self.scenarios = scenarios
        self.targets = {n: targets[n] for n in names}
        self.priors = priors
        self.replicates = replicates
        self.seed = seed
        self.groups = {sc: [n for n, t in self.targets.items() if tuple(t.scenario) == sc] for sc in scenarios}
        self.groups = {sc: ns for sc, ns in self.groups.items() if ns}

    def __call__(self, parameter) -> dict[str, float]:
        values = {k: float(parameter[k]) for k in self.priors}
        return self.evaluate(values, seeds_for(self.seed, "abc", values, self.replicates))

    def evaluate(self, values: dict[str, float], seeds: list[int]) -> dict[str, float]:
        """Mean over ``seeds`` of each target's statistic under ``values`` (NaN where every seed gives NaN)."""
        out: dict[str, list[float]] = {n: [] for n in self.targets}
        for scenario, names in self.groups.items():
            try:
                config = apply(self.scenarios[scenario], self.priors, values)
            except ConfigError as e:
                log.debug("parameter set refused: %s", e)
                return dict.fromkeys(self.targets, float("nan"))
            for s in seeds:
                config.seed = s
                run = run_model(config)
                for n in names:
                    t = self.targets[n]
                    out[n].append(statistics.compute(t.statistic, run, t.args))
        return {n: statistics.nanmean(v) for n, v in out.items()}
