"""Sweeps as a few long-lived tasks that share out the runs: each configuration composed once per task.

Hydra composes the configuration of every job twice (once to check the batch, once in the job), which used
to cost more than a short run itself.  The sweeper ``hydra/sweeper=abitare`` (the default; plugin in
``hydra_plugins/abitare_sweeper``) expands the sweep exactly as Hydra's basic sweeper does, then
(:func:`sweep`):

1. judges every planned run from its directory without composing anything (experiments.sweep.state_on_disk):
   completed runs of the same recipe are skipped, runs made by another model version are reported and rerun
   (``hydra.sweeper.stale=rerun``, the default), kept (``keep``: mixing allowed) or the sweep stops before any
   work (``refuse``), runs claimed by another live sweep are left to it;
2. writes the plan (``<sweep dir>/.abitare/plan-<id>.json``: the runs left, ordered so that runs sharing a
   spun-up state are neighbours: :func:`order_runs`) and launches ``hydra.sweeper.tasks`` jobs (default: one per worker, i.e.
   joblib's ``n_jobs`` or submitit's ``array_parallelism``, at most one per run) through the configured
   launcher: joblib, submitit local or SLURM;
3. each task (:func:`run_task`) walks the plan from its own starting point (task k of T starts about k/T of the
   way in, at the first run of a group sharing a spun-up state, and wraps round) and computes every run that is neither done nor claimed by another task, claiming
   it first: the runs are shared out as the tasks go, so no worker idles while another has a queue, and a
   task that dies (kill -9, a cluster time-out) leaves its runs to the others.  A configuration is composed
   once per task and group of runs that differ only in what is set after composition (the seed, a
   sensitivity design row), and each run's is derived from it.  Each run starts from the spun-up state of
   its seed and settings, computed once (:func:`build_model`, experiments.spinups; ``hydra.sweeper.share_spinup
   =false`` turns this off);
4. waits for runs that another sweep was computing, and launches again what nobody finished;
5. says how many runs it computed, and removes its plan.

**The shared spin-up**: a spun-up state depends on the seed and the settings other than the policy, the
horizon and the outputs.  :func:`build_model` is the only place a run's model is made: it takes the state of
``(model version, spin-up settings, seed)`` from the task's :class:`experiments.spinups.SpinupStore` (in
memory, else ``<sweep dir>/.abitare/spinup/``, else computed there under a claim) and starts the run from a
copy of it.  The plan keeps the runs of one key together (:func:`spinup_group`), so a task's memory serves
the scenarios of one seed.  In a posterior ensemble the run's parameter set is applied before the key is
computed (:class:`Configs`): runs of sets with other values have other states.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shutil
import sys
import uuid
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from experiments import ensemble
from experiments.sweep import parse_overrides, recipe_overrides, run_dir, state_on_disk

PLAN_DIR = ".abitare"
#: keys set on a composed configuration to derive a run's: runs differing only in these share a composition
DERIVED = ("seed", "output.design_row", "output.param_set")
#: overrides a spun-up state does not depend on (abm.spinup.NOT_SPINUP): the policy, the horizon
NOT_SPINUP_KEYS = ("policy", "steps")
SPINUP_DIR = "spinup"
STALE_POLICIES = ("rerun", "keep", "refuse")
TASK_KEY = "output.task"


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- planning (in the process that launches the sweep) -------------------------------------------------
def planned_runs(jobs: list[list[str]], default_seed: int) -> list[dict]:
    runs = []
    for job in jobs:
        ov = parse_overrides(job)
        seed = int(ov.get("seed", default_seed))
        runs.append({"run_id": run_dir(job, default_seed), "seed": seed, "job": list(job),
                     "overrides": recipe_overrides(ov)})
    return runs


def group_key(run: dict) -> str:
    """Runs with the same key share one composed configuration (everything but the DERIVED keys)."""
    return json.dumps({k: v for k, v in run["overrides"].items() if k not in DERIVED}, sort_keys=True)


def workers(config: DictConfig) -> int:
    """How many tasks the launcher runs at once: joblib's n_jobs, submitit's array parallelism, else 1."""
    n = OmegaConf.select(config, "hydra.launcher.n_jobs", default=None)
    if n is not None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, cores + 1 + int(n)) if int(n) < 0 else max(1, int(n))
    return max(1, int(OmegaConf.select(config, "hydra.launcher.array_parallelism", default=1) or 1))


def spinup_group(run: dict, sweep_dir: Path | None = None) -> str:
    """Runs with the same group share a spun-up state: the same seed and overrides but the policy's and the
    horizon, and in a posterior ensemble the same values of their parameter set (those that reach the spin-up:
    not the keys under ``policy.``, not those the run's own overrides name), so that sets drawn twice, or
    differing in a lever's parameter only, share.  Judged without composing (the state's own key,
    experiments.provenance.spinup_identity, is computed in the run); without the ensemble's recorded sets in
    ``sweep_dir``, by the set's number."""
    ov = {k: v for k, v in run["overrides"].items() if k.partition(".")[0] not in NOT_SPINUP_KEYS}
    k = ensemble.set_of(ov)
    if k is not None and sweep_dir is not None and (Path(sweep_dir) / ensemble.DIR / ensemble.DRAWS).is_file():
        del ov[ensemble.SET]
        values = ensemble.set_values(sweep_dir, k, skip=run["overrides"])
        ov.update({f"{ensemble.SET}:{key}": repr(v) for key, v in values.items()
                   if key.partition(".")[0] not in NOT_SPINUP_KEYS})
    return json.dumps([ov, run["seed"]], sort_keys=True)


def order_runs(runs: list[dict]) -> list[dict]:
    """Runs of one spin-up group (their ``spinup``: :func:`spinup_group`) next to each other (stable: the
    sweep's order within a group)."""
    first: dict[str, int] = {}
    for i, r in enumerate(runs):
        first.setdefault(r["spinup"], i)
    return sorted(runs, key=lambda r: first[r["spinup"]])


def check_choices(sweeper, jobs: list[list[str]]) -> None:
    """Every config-group choice of the sweep exists (a typo would otherwise fail only inside its task)."""
    loader = sweeper.hydra_context.config_loader
    seen: dict[str, set] = {}
    for job in jobs:
        for key, value in parse_overrides(job).items():
            if "." not in key and not key.startswith("hydra") and loader.repository.group_exists(key):
                seen.setdefault(key, set()).add(value)
    for group, values in seen.items():
        options = set(loader.get_group_options(group))
        bad = sorted(values - options)
        if bad:
            raise ValueError(f"no config {group}={bad[0]}; {group} is one of: {', '.join(sorted(options))}")


def judge(sweep_dir: Path, runs: list[dict], stale: str) -> dict[str, list[dict]]:
    """Runs by what their directories hold: done, stale, busy (claimed elsewhere), todo."""
    from experiments.claims import is_claimed
    from experiments.provenance import recipe

    out = {"done": [], "stale": [], "busy": [], "todo": []}
    for r in runs:
        path = sweep_dir / r["run_id"]
        state = state_on_disk(path, recipe(r["overrides"], r["seed"]))
        if state == "done" or (state == "stale" and stale == "keep"):
            out["done"].append(r)
        elif is_claimed(path):
            out["busy"].append(r)
        else:
            out["stale" if state == "stale" else "todo"].append(r)
    return out


def report_stale(sweep_dir: Path, stale_runs: list[dict], policy: str) -> None:
    if not stale_runs:
        return
    from experiments.provenance import model_version, read_provenance

    versions = sorted({read_provenance(sweep_dir / r["run_id"]).get("model_version") or "unknown"
                       for r in stale_runs})
    head = (f"{len(stale_runs)} completed runs in {sweep_dir} were made by other code (model version "
            f"{', '.join(versions)}; this code: {model_version()}), e.g. {stale_runs[0]['run_id']}")
    if policy == "refuse":
        note(f"error: {head}.\nNothing was run: rerun them (hydra.sweeper.stale=rerun), keep them and mix "
             f"versions (hydra.sweeper.stale=keep), or sweep into another directory")
        sys.exit(2)
    note(f"{head}: running them again (hydra.sweeper.stale=keep keeps them, =refuse stops instead)")


def launch(sweeper, sweep_dir: Path, runs: list[dict], n_tasks: int, stale: str, first_idx: int,
           share_spinup: bool = True):
    """Write the plan, launch ``n_tasks`` jobs sharing ``runs``, return (job returns, statuses by run id)."""
    import time

    from experiments.outputs import write_text

    plan_id = f"plan-{uuid.uuid4().hex[:12]}"
    runs = order_runs([{**r, "spinup": spinup_group(r, sweep_dir)} for r in runs])
    plan = {"stale": stale, "created": time.time(), "tasks": n_tasks, "share_spinup": bool(share_spinup),
            "runs": [{k: r[k] for k in ("run_id", "seed", "overrides", "job", "spinup")} for r in runs]}
    write_text(sweep_dir / PLAN_DIR / f"{plan_id}.json", json.dumps(plan))
    jobs = [[*runs[i]["job"], f"++{TASK_KEY}={plan_id}/{k}"] for k, i in enumerate(starts(runs, n_tasks))]
    statuses: dict[str, str] = {}
    returns = []
    try:
        returns = launch_jobs(sweeper, jobs, first_idx, sweep_dir)
        for k, ret in enumerate(returns):
            try:
                for rid, status in (ret.return_value or {}).items():
                    if statuses.get(rid) in (None, "claimed", "skipped", "failed elsewhere"):
                        statuses[rid] = status
            except Exception as e:  # noqa: BLE001 - a task that raised: the runs nobody finished stay missing
                note(f"error: task {k} of {n_tasks} failed: {type(e).__name__}: {e}")
    except Exception as e:  # noqa: BLE001 - e.g. a worker killed: the runs not written stay missing
        note(f"error: the launcher stopped: {type(e).__name__}: {e}")
    finally:
        shutil.rmtree(sweep_dir / PLAN_DIR / plan_id, ignore_errors=True)
        (sweep_dir / PLAN_DIR / f"{plan_id}.json").unlink(missing_ok=True)
    return returns, statuses


def launch_jobs(sweeper, jobs: list[list[str]], first_idx: int, sweep_dir: Path) -> list:
    """The job returns of ``jobs``.  With joblib and several jobs, the first job runs in this process and the
    others in ``len(jobs) - 1`` worker processes of joblib's process pool (loky), each through the joblib
    launcher's own job function: this process has imported everything already and would otherwise only wait
    while a fresh worker spends a second importing the model (docs/PERFORMANCE.md).  Other launchers launch
    every job themselves."""
    launcher = sweeper.launcher
    if type(launcher).__name__ != "JoblibLauncher" or len(jobs) < 2:
        return launcher.launch(jobs, initial_job_idx=first_idx)
    from hydra import compose
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.singleton import Singleton
    from hydra.core.utils import JobReturn, JobStatus
    from hydra_plugins.hydra_joblib_launcher._core import execute_job
    from joblib.externals.loky import get_reusable_executor

    pool = get_reusable_executor(max_workers=len(jobs) - 1)
    state = Singleton.get_state()
    others = [pool.submit(execute_job, first_idx + 1 + i, job, launcher.hydra_context, launcher.config,
                          launcher.task_function, state) for i, job in enumerate(jobs[1:])]
    here = JobReturn(overrides=list(jobs[0]), status=JobStatus.COMPLETED)
    try:
        try:
            HydraConfig.instance().set_config(sweeper.config)  # ${hydra:sweep.dir} etc., as in a job
            name = sweeper.config.hydra.job.config_name
            here.return_value = run_task(compose(config_name=name, overrides=list(jobs[0])), sweep_dir, name)
        except Exception as e:  # noqa: BLE001 - reported like a failed job
            here.status, here.return_value = JobStatus.FAILED, e
        return [here, *(f.result() for f in others)]
    except BaseException:  # Ctrl-C: stop the workers too, instead of waiting for their tasks
        pool.shutdown(wait=False, kill_workers=True)
        raise


def sweep(sweeper, arguments: list[str], tasks: int | None, stale: str, share_spinup: bool = True):
    """The whole sweep (see the module's docstring); returns the launcher's job returns, batch by batch."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from experiments.claims import wait_released

    if stale not in STALE_POLICIES:
        raise ValueError(f"hydra.sweeper.stale={stale}: one of {', '.join(STALE_POLICIES)}")
    if tasks is not None and tasks < 1:
        raise ValueError(f"hydra.sweeper.tasks={tasks}: a number >= 1, or null (one per worker)")
    config = sweeper.config
    parser = OverridesParser.create(config_loader=sweeper.hydra_context.config_loader)
    jobs = BasicSweeper.split_arguments(parser.parse_overrides(sweeper._parse_config() + list(arguments)), None)[0]
    jobs = ensemble.expand(jobs, ensemble.spec_of(config))  # one run per parameter set of a posterior ensemble
    sweep_dir = Path(config.hydra.sweep.dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(config, sweep_dir / "multirun.yaml")
    check_choices(sweeper, jobs)
    runs = planned_runs(jobs, int(config.seed))

    returns, ran, found_done, elsewhere, idx = [], 0, None, 0, 0
    pending = runs
    for _round in range(3):
        state = judge(sweep_dir, pending, stale)
        if found_done is None:
            found_done = len(state["done"])
            report_stale(sweep_dir, state["stale"], stale)
        todo = state["todo"] + state["stale"]
        statuses = {}
        if todo:
            n_tasks = min(len(todo), tasks or workers(config))
            rets, statuses = launch(sweeper, sweep_dir, todo, n_tasks, stale, idx, share_spinup)
            returns.append(rets)
            idx += n_tasks
        ran += sum(1 for s in statuses.values() if s in ("completed", "failed"))
        found_done += sum(1 for s in statuses.values() if s in ("skipped", "kept"))  # same identity, other recipe
        busy = state["busy"] + [r for r in todo if statuses.get(r["run_id"]) == "claimed"]
        unreached = [r for r in todo if r["run_id"] not in statuses]  # its tasks died first: run it again
        if not busy and not unreached:
            break
        elsewhere += len(busy)
        wait_released([sweep_dir / r["run_id"] for r in busy], note)
        pending = busy + unreached
    note(f"this sweep ran {ran} of {len(runs)} runs ({found_done} were complete already"
         + (f", {elsewhere} were being run by another process meanwhile" if elsewhere else "") + ")")
    for d in (sweep_dir / PLAN_DIR / SPINUP_DIR, sweep_dir / PLAN_DIR):  # kept while they hold anything
        try:
            d.rmdir()
        except OSError:
            pass
    return returns


# --- one task (in the launcher's job) ------------------------------------------------------------------
def task_dir(ref: str) -> str:
    """The Hydra job directory of task ``plan-<id>/<k>`` (removed with the plan)."""
    plan_id, _, k = str(ref).partition("/")
    return f"{PLAN_DIR}/{plan_id}/task{k}"


def starts(runs: list[dict], n_tasks: int) -> list[int]:
    """Where each of ``n_tasks`` tasks starts walking the plan's ``runs``: task k about k/T of the way in, moved
    on to the first run of the next group sharing a spun-up state (their ``spinup``: :func:`spinup_group`) when
    that is not another task's start, so that two tasks rarely need one state."""
    n = len(runs)
    heads = [i for i in range(n) if i == 0 or runs[i]["spinup"] != runs[i - 1]["spinup"]]
    out: list[int] = []
    for k in range(n_tasks):
        even = (k * n) // n_tasks
        head = next((i for i in heads if i >= even), None)
        out.append(head if head is not None and head not in out else even)
    return out


class Configs:
    """The validated configurations of a task's runs: one composition per group of runs (group_key), each run's
    derived from it (seed set, design row or posterior parameter set applied).  The task's own composed
    configuration is the first."""

    def __init__(self, cfg: DictConfig, first: dict, config_name: str, sweep_dir: Path | None = None):
        self.config_name = config_name
        self.sweep_dir = sweep_dir
        self.composed = {group_key(first): cfg}
        self.validated: dict[str, object] = {}

    def base(self, run: dict) -> DictConfig:
        key = group_key(run)
        if key not in self.composed:
            from hydra import compose

            self.composed[key] = compose(config_name=self.config_name, overrides=list(run["job"]))
        return self.composed[key]

    def __call__(self, run: dict):
        from experiments.run import configure

        ov = run["overrides"]
        if "output.design_row" in ov:
            cfg = copy.deepcopy(self.base(run))
            OmegaConf.update(cfg, "output.design_row", int(ov["output.design_row"]), merge=False)
            sim = configure(cfg)
        else:
            key = group_key(run), ov.get(ensemble.SET)
            if key not in self.validated:
                cfg = self.base(run)
                if key[1] is not None:  # a posterior parameter set; the scenario's own overrides keep their values
                    cfg = copy.deepcopy(cfg)
                    OmegaConf.update(cfg, ensemble.SET, int(key[1]), merge=False)
                    ensemble.apply(cfg, self.sweep_dir, overridden=ov)
                self.validated[key] = configure(cfg)
            sim = copy.deepcopy(self.validated[key])
        output = {k: v for k, v in sim.output.items() if k != "task"}
        return dataclasses.replace(sim, seed=run["seed"], output=output)


def build_model(sim, spinups=None):
    """The model of one run: started from the shared spun-up state of its seed and settings in ``spinups`` (an
    experiments.spinups.SpinupStore), or spinning up by itself without one."""
    if spinups is None:
        from experiments.run import new_model

        return new_model(sim)
    return spinups.model(sim)


def failed_since(out: Path, t0: float) -> bool:
    """The run failed after ``t0`` (in another task of this sweep: not retried by this one)."""
    from experiments.outputs import ERROR

    try:
        return (out / ERROR).stat().st_mtime >= t0
    except FileNotFoundError:
        return False


def run_task(cfg: DictConfig, sweep_dir: Path, config_name: str | None = None) -> dict[str, str]:
    """Task k of a plan: walk the runs from its starting point, compute each one nobody has done or claimed;
    their statuses by run id (never raises).  ``config_name``: of the primary config (default: the job's)."""
    if config_name is None:
        from hydra.core.hydra_config import HydraConfig

        config_name = HydraConfig.get().job.config_name
    from experiments.provenance import recipe
    from experiments.run import run_and_write
    from experiments.sweep import execute_run

    plan_id, _, k = str(cfg.output.task).partition("/")
    plan = json.loads((sweep_dir / PLAN_DIR / f"{plan_id}.json").read_text(encoding="utf-8"))
    runs = plan["runs"]
    first = starts(runs, plan["tasks"])[int(k)]
    configs = Configs(cfg, runs[first], config_name, sweep_dir)
    spinups = None
    if plan.get("share_spinup", True):
        from experiments.spinups import SpinupStore

        spinups = SpinupStore(sweep_dir / PLAN_DIR / SPINUP_DIR)
    groups: dict[str, list[dict]] = {}
    for run in runs:
        groups.setdefault(run["spinup"], []).append(run)
    statuses = {}
    for run in runs[first:] + runs[:first]:
        out = sweep_dir / run["run_id"]
        if state_on_disk(out, recipe(run["overrides"], run["seed"])) == "done":
            statuses[run["run_id"]] = "skipped"  # done meanwhile by another task
            continue
        if failed_since(out, plan["created"]):
            statuses[run["run_id"]] = "failed elsewhere"  # not retried by every task in turn
            continue
        statuses[run["run_id"]] = execute_run(
            out, lambda run=run: configs(run),
            lambda sim, out=out, run=run: run_and_write(build_model(sim, spinups), sim, out,
                                                            overrides=run["overrides"]),
            plan["stale"])
        if spinups is not None and statuses[run["run_id"]] == "completed" and all(
                state_on_disk(sweep_dir / r["run_id"], recipe(r["overrides"], r["seed"])) == "done"
                for r in groups[run["spinup"]]):
            spinups.discard(spinups.last_key)  # every run that needs this run's spun-up state is complete
    if spinups is not None:
        c = spinups.counts
        note(f"task {k}: spin-ups computed {c['computed']}, read from the sweep directory {c['read']}, "
             f"reused in memory {c['memory']}")
    return statuses
