"""One run of the model from the Hydra config: ``python -m experiments.run neighbourhood=acer_estate seed=3``.

Validates everything (config ranges, CSV inputs) before writing anything; on bad input prints one
clear error naming the key and exits with status 2, leaving no result files behind.

With ``-m`` it is a sweep (``python -m experiments.run -m +experiment=smoke``): each job is a task that
shares out the runs with the others (:mod:`experiments.tasks`); a run is skipped if its directory already holds a completed run of
the same identity, and a failure is written to ``error.txt`` instead of stopping the sweep (see
:mod:`experiments.sweep`).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from abm.config import to_sim_config
from abm.errors import ConfigError
from abm.indicators import HEADLINE
from experiments.ensemble import require_sweep
from experiments.sensitivity import apply_design
from experiments.sweep import execute_run, parse_overrides, recipe_overrides


def configure(cfg: DictConfig):
    """The validated run configuration (a sensitivity design point applied; a posterior parameter set is applied
    before, by the sweep's task: experiments.ensemble); raises ConfigError."""
    require_sweep(cfg)
    return to_sim_config(apply_design(cfg))


def new_model(sim):
    from abm.model import NeighbourhoodModel

    return NeighbourhoodModel(config=sim)


def build(cfg: DictConfig):
    """A validated config and a ready model; raises ConfigError before any file is written."""
    sim = configure(cfg)
    return sim, new_model(sim)


def run_and_write(model, sim, out: Path, progress: bool = False, overrides: dict | None = None) -> float:
    """Step the model to the horizon and write its results; the simulation's wall time in seconds."""
    t0 = time.perf_counter()
    simulate(model, sim.steps, progress=progress)
    seconds = time.perf_counter() - t0
    from experiments.outputs import write_run  # the parquet writer is needed only now: not on the way to step 1

    write_run(out, model, sim, seconds, overrides=overrides)
    return seconds


def simulate(model, steps: int, progress: bool = False) -> None:
    """Step the model ``steps`` weeks, with a progress bar on a terminal for long runs."""
    mark("first_step")
    bar = None
    if progress and sys.stderr.isatty() and steps >= 100:
        from tqdm import tqdm

        bar = tqdm(total=steps, unit="week", leave=False)
    for _ in range(steps):
        model.step()
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()


#: environment variable naming a file where a run notes (for benchmarks) when its first step starts and when
#: its results are written: event, wall clock, CPU time and peak resident memory so far, one line each
RUN_MARKS = "ABITARE_RUN_MARKS"


def mark(event: str) -> None:
    """Append ``event`` with the time and the peak memory to the file named by ``ABITARE_RUN_MARKS``, if set."""
    path = os.environ.get(RUN_MARKS)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{event} {time.time()!r} {time.process_time()!r} {peak_rss_kb()}\n")


def peak_rss_kb() -> int:
    """Peak resident memory of this process image in kB (Linux VmHWM: not counting a parent it was spawned
    from, which ``getrusage`` would); ``getrusage``'s figure where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def print_summary(out: Path, model, sim, seconds: float) -> None:
    ind = model.indicators()
    print(f"Abitare: {sim.neighbourhood.name}, policy {sim.policy.name}, seed {sim.seed}, "
          f"{sim.steps} weeks, {int(model.households.occupied.sum())} households "
          f"({seconds:.1f} s)")
    for k in HEADLINE:
        print(f"  {k:<30} {ind[k]:10.3f}")
    print(f"Results in {out.resolve()}")


def _remove_if_empty(out: Path) -> None:
    try:
        out.rmdir()
    except OSError:
        pass


def mode_from_command_line(hydra_app, config_name, overrides):
    """Stands in for Hydra's ``Hydra.get_mode``, which composes the whole configuration (a fifth of a run's
    start-up) only to read ``hydra.mode``: when no file of configs/ sets it, it can only come from the command
    line (``-m``, or an override ``hydra.mode=RUN|MULTIRUN``, returned here), and the result is the same."""
    for line in overrides:
        key, _, value = str(line).partition("=")
        if key.lstrip("+") == "hydra.mode":
            return RunMode[value.strip()]
    return None


def configs_set_mode(config_dir: Path = Path(__file__).resolve().parent.parent / "configs") -> bool:
    """True if a config file may set ``hydra.mode`` (then Hydra's own composition decides)."""
    pattern = re.compile(r"^\s*mode\s*:", re.MULTILINE)
    return any(pattern.search(p.read_text(encoding="utf-8")) for p in config_dir.rglob("*.yaml"))


def shortcut_get_mode() -> None:
    from hydra._internal.hydra import Hydra

    if not configs_set_mode():
        Hydra.get_mode = mode_from_command_line


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def main(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    if hc.mode == RunMode.MULTIRUN:
        if OmegaConf.select(cfg, "output.task", default=None) is not None:  # a task of hydra/sweeper=abitare
            from experiments.tasks import run_task

            return run_task(cfg, Path(hc.sweep.dir))
        overrides = recipe_overrides(parse_overrides(hc.overrides.task))  # one run per job (another sweeper)
        return execute_run(out, lambda: configure(cfg),
                           lambda sim: run_and_write(new_model(sim), sim, out, overrides=overrides))
    try:
        sim, model = build(cfg)
    except ConfigError as e:
        _remove_if_empty(out)
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    seconds = run_and_write(model, sim, out, progress=sim.output.get("progress", True))
    print_summary(out, model, sim, seconds)
    mark("written")


if __name__ == "__main__":
    shortcut_get_mode()
    main()
