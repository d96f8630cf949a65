"""``hydra/sweeper=abitare``: Hydra's basic sweep (same expansion of ``key=a,b`` and ``range()``), run as a few tasks that
share out the runs, with resume by run identity and claims (the work is in experiments.tasks; this module is
imported whenever Hydra starts, so it stays light)."""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore


@dataclass
class AbitareSweeperConf:
    _target_: str = "hydra_plugins.abitare_sweeper.abitare_sweeper.AbitareSweeper"
    #: the sweep, as for the basic sweeper: {key: "a,b" or "range(0,5)"}
    params: Optional[Dict[str, str]] = None
    #: launcher jobs that share out the runs; null: one per worker (joblib n_jobs, submitit array_parallelism)
    tasks: Optional[int] = None
    #: a completed run made by another model version: rerun | keep (mix versions) | refuse (stop, run nothing)
    stale: str = "rerun"
    #: runs of one seed and the same settings but their policy, horizon and outputs start from one spun-up
    #: state, computed once (experiments.spinups); false: every run spins up by itself (same results, slower)
    share_spinup: bool = True
    #: not used (every task is launched in one batch); kept so that configs written for the basic sweeper work
    max_batch_size: Optional[int] = None


ConfigStore.instance().store(group="hydra/sweeper", name="abitare", node=AbitareSweeperConf, provider="abitare")


class AbitareSweeper(BasicSweeper):
    def __init__(self, params: Optional[Dict[str, str]] = None, tasks: Optional[int] = None,
                 stale: str = "rerun", share_spinup: bool = True, max_batch_size: Optional[int] = None) -> None:
        super().__init__(max_batch_size=None, params=params)
        self.tasks = tasks
        self.stale = stale
        self.share_spinup = share_spinup

    def sweep(self, arguments: List[str]) -> Any:
        from experiments.tasks import sweep

        return sweep(self, arguments, self.tasks, self.stale, self.share_spinup)
