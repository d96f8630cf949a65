"""The schema of ``python -m experiments.calibrate``: ``configs/calibrate.yaml`` with the groups
``calibration`` (``configs/calibration/``) and ``targets`` (``configs/targets/``).

Hydra types every group with these dataclasses (a misspelt key fails at composition, naming it);
:func:`to_config` then checks every range and cross-field rule and raises :class:`~abm.errors.ConfigError`
naming the key before any simulation.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from abm.errors import ConfigError
from abm.params import param, validate
from experiments.targets import Target

SAMPLERS = ("multicore", "single", "dask")
DISTANCES = ("standardized", "adaptive")


@dataclass
class PriorSpec:
    """A parameter's prior: uniform over its declared range (abm.params metadata), or over [lo, hi] within it."""

    lo: Optional[float] = None
    hi: Optional[float] = None


@dataclass
class SamplerConfig:
    #: multicore: pyabc's MulticoreEvalParallelSampler on this machine; single: one process (bit-reproducible);
    #: dask: pyabc's DaskDistributedSampler on the scheduler at ``address`` ("" = a local Dask cluster)
    kind: str = param("multicore", choices=SAMPLERS)
    n_procs: int = param(2, lo=1, hi=4096)
    address: str = ""


@dataclass
class PredictiveConfig:
    """The posterior predictive check after the last generation."""

    #: parameter sets drawn from the posterior (by weight)
    draws: int = param(50, lo=0, hi=100_000)
    #: seeds per draw (fresh seeds, not those of the calibration); mean of the statistic over them
    replicates: int = param(3, lo=1, hi=1000)


@dataclass
class CalibrationConfig:
    name: str = MISSING
    description: str = ""
    #: Hydra overrides of the model config (configs/config.yaml) every evaluation starts from
    model: list[str] = field(default_factory=list)
    #: calibrated parameters (dotted keys of the model config) and their priors
    parameters: dict[str, PriorSpec] = field(default_factory=dict)
    #: targets the distance uses (null: every target of the set that is not skipped or listed in ``validate``)
    targets: Optional[list[str]] = None
    #: targets only compared in the fit diagnostics (patterns left for validation)
    validate: list[str] = field(default_factory=list)
    #: seeds per evaluation: the statistic is the mean over them
    replicates: int = param(3, lo=1, hi=1000)
    #: seed of the calibration: pyabc's draws and every model seed derive from it
    seed: int = param(0, lo=0, hi=2**32 - 1)
    population_size: int = param(100, lo=2, hi=1_000_000)
    #: generations in all (a resumed calibration runs the ones missing)
    max_populations: int = param(4, lo=1, hi=10_000)
    #: stop once the acceptance threshold is at or below this distance
    min_epsilon: float = param(0.0, lo=0.0)
    #: stop once a generation accepts fewer than this share of its evaluations
    min_acceptance_rate: float = param(0.0, lo=0.0, hi=1.0)
    #: stop starting generations after this many minutes (null: no limit)
    max_walltime_minutes: Optional[float] = None
    #: standardized: sqrt of the sum of squared (simulated - observed) / se; adaptive: pyabc's adaptive p-norm
    distance: str = param("standardized", choices=DISTANCES)
    #: proposal kernel: pyabc's multivariate normal around the last population, its covariance the weighted
    #: covariance x Silverman's bandwidth factor squared x this scaling (1: pyabc's default; about 4.5 for 7
    #: parameters and 40 particles gives twice the weighted covariance, Beaumont et al. 2009)
    transition_scaling: float = param(1.0, lo=0.01, hi=100.0)
    sampler: SamplerConfig = field(default_factory=SamplerConfig)
    predictive: PredictiveConfig = field(default_factory=PredictiveConfig)
    #: progress bar of each generation on a terminal
    progress: bool = True

    def check(self, prefix: str) -> None:
        if not self.parameters:
            raise ConfigError(f"{prefix}parameters", {}, "at least one model parameter to calibrate")
        if self.sampler.kind == "single" and self.sampler.n_procs != 1:
            raise ConfigError(f"{prefix}sampler.n_procs", self.sampler.n_procs, "1 with sampler.kind=single")
        if self.max_walltime_minutes is not None and not self.max_walltime_minutes > 0:
            raise ConfigError(f"{prefix}max_walltime_minutes", self.max_walltime_minutes, "minutes > 0, or null")
        if self.targets is not None and not self.targets:
            raise ConfigError(f"{prefix}targets", [], "at least one target, or null for all")


@dataclass
class CalibrateConfig:
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    targets: dict[str, Target] = field(default_factory=dict)


ConfigStore.instance().store(name="calibrate_schema", node=CalibrateConfig)

#: fields that steer how long and how a calibration runs, not what it computes: they may change on resume
RUN_CONTROL = ("description", "max_populations", "min_epsilon", "min_acceptance_rate", "max_walltime_minutes",
               "sampler", "predictive", "progress")


def to_config(cfg: DictConfig | CalibrationConfig) -> CalibrationConfig:
    """A checked :class:`CalibrationConfig` (ConfigError naming ``calibration.<key>``)."""
    if isinstance(cfg, DictConfig):
        if OmegaConf.get_type(cfg) is not CalibrationConfig:
            cfg = OmegaConf.merge(OmegaConf.structured(CalibrationConfig), cfg)
        cfg = OmegaConf.to_object(cfg)
    validate(cfg, "calibration.")
    return cfg


def fingerprint(cal: CalibrationConfig, targets: dict[str, Target], used: list[str], scenarios: dict) -> str:
    """A hash of what the calibration computes: priors, targets used, seeds, population, distance, and the
    resolved run configuration of every scenario (so a changed model default changes it too)."""
    from experiments.outputs import config_hash

    what = {k: v for k, v in asdict(cal).items() if k not in RUN_CONTROL and k not in ("name", "targets",
                                                                                     "validate")}
    if what.get("transition_scaling") == 1.0:  # pyabc's default kernel: the fingerprint of calibrations before the option
        del what["transition_scaling"]
    what["targets"] = {n: asdict(targets[n]) for n in used}
    what["scenarios"] = {" ".join(sc): config_hash(config) for sc, config in scenarios.items()}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:16]


def compose_calibrate(overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """``configs/calibrate.yaml`` composed with command-line style overrides, outside a Hydra app."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from abm.config import CONFIG_DIR

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="calibrate", overrides=list(overrides))
