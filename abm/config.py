"""The run configuration: one dataclass tree, registered in Hydra's ConfigStore.

Hydra composes ``configs/`` on top of these schemas, so unknown keys and wrong
types fail at composition; :func:`to_sim_config` then checks every range and
cross-field rule (:func:`abm.params.validate`) before any work starts.  A config
is validated once: :func:`validated` remembers the content it has checked, so the
model (which checks what it is given) does not check a config the launcher
already checked, unless it was changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from abm.agents import CooperativeParams, ServicesParams
from abm.indicators import IndicatorParams
from abm.levers import PolicyConfig, check_neighbourhood
from abm.params import param, validate
from abm.population import PopulationParams
from abm.space import NeighbourhoodConfig
from abm.spinup import SpinupParams
from abm.submodels.conflict import ConflictParams
from abm.submodels.encounters import EncounterParams
from abm.submodels.help import HelpParams
from abm.submodels.moving import MovingParams
from abm.submodels.participation import ParticipationParams
from abm.submodels.wellbeing import WellbeingParams

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


@dataclass
class SimConfig:
    """Everything a run depends on."""

    #: the run's seed; None only before a model is built from it, which then draws one from the OS (as Mesa does)
    seed: int | None = param(None, lo=0, hi=2**63 - 1)
    #: weeks to simulate (one step = one week)
    steps: int = param(260, lo=1, hi=100_000)
    neighbourhood: NeighbourhoodConfig = field(default_factory=NeighbourhoodConfig)
    population: PopulationParams = field(default_factory=PopulationParams)
    encounters: EncounterParams = field(default_factory=EncounterParams)
    help: HelpParams = field(default_factory=HelpParams)
    services: ServicesParams = field(default_factory=ServicesParams)
    conflict: ConflictParams = field(default_factory=ConflictParams)
    wellbeing: WellbeingParams = field(default_factory=WellbeingParams)
    moving: MovingParams = field(default_factory=MovingParams)
    cooperative: CooperativeParams = field(default_factory=CooperativeParams)
    participation: ParticipationParams = field(default_factory=ParticipationParams)
    indicators: IndicatorParams = field(default_factory=IndicatorParams)
    spinup: SpinupParams = field(default_factory=SpinupParams)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    #: where the results go and what is written (not part of the model)
    output: dict = field(default_factory=lambda: {"by_group": True, "progress": True})

    def check(self, prefix: str) -> None:
        # levers' rules that need the buildings (checked by the model once a buildings CSV is read)
        if not self.neighbourhood.buildings_csv:
            check_neighbourhood(self.policy, *self.neighbourhood.layout(), f"{prefix}policy.")


def register() -> None:
    """Register the schema of the whole tree as ``base_config``: it types every group, so group files need
    no schema of their own (each one registered and merged would cost start-up time)."""
    ConfigStore.instance().store(name="base_config", node=SimConfig)


register()


#: the contents (``repr``) of the configs validated so far in this process, most recent last
_VALIDATED: dict[str, None] = {}


def validated(config: SimConfig) -> SimConfig:
    """``config``, checked (raises ConfigError naming the key) unless a config with exactly this content was
    checked before in this process: a config is validated once, whoever asks (launcher, app, model)."""
    key = repr(config)
    if key not in _VALIDATED:
        validate(config)
        if len(_VALIDATED) >= 64:
            _VALIDATED.pop(next(iter(_VALIDATED)))
        _VALIDATED[key] = None
    return config


def to_sim_config(cfg: DictConfig | SimConfig) -> SimConfig:
    """A validated :class:`SimConfig` from a composed Hydra config (raises ConfigError naming the key)."""
    if isinstance(cfg, DictConfig):
        if OmegaConf.get_type(cfg) is not SimConfig:  # e.g. a saved config.yaml loaded as plain YAML
            cfg = OmegaConf.merge(OmegaConf.structured(SimConfig), cfg)
        cfg = OmegaConf.to_object(cfg)
    return validated(cfg)


def compose(overrides: list[str] | tuple[str, ...] = ()) -> SimConfig:
    """Compose ``configs/config.yaml`` with command-line style overrides, outside a Hydra app."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = hydra_compose(config_name="config", overrides=list(overrides))
    cfg = OmegaConf.masked_copy(cfg, [k for k in cfg.keys() if k != "hydra"]) if "hydra" in cfg else cfg
    return to_sim_config(cfg)
