"""Sweep overhead and memory above the imports: whole processes, each measured beside its yardstick.

- ``sweep_1worker_ratio``: wall time of a one-worker sweep (``hydra.launcher.n_jobs=1``) of 16 ``acer_estate``
  runs (4 policies x 4 seeds, 260 weeks) over that of the same runs in one process (:mod:`benchmarks.inprocess`);
- ``make_run_ratio``: wall time of ``make run``'s sweep without its posterior ensemble (``+experiment=default_job
  posterior=none seed=range(0,5)``: 5 policies x 5 seeds x 156 weeks, default workers: the runs the in-process
  yardstick runs) over the CPU time of the same runs in one process divided by the usable cores;
- ``shared_spinup_ratio``: wall time of that sweep as it runs (every scenario of a seed starts from one shared
  spin-up: experiments.spinups) over that of the same sweep with every run spinning up by itself
  (:data:`ALONE`), one after the other in each repetition.  The two ratios above are measured with :data:`ALONE`,
  like the runs in one process they are compared with;
- memory: the peak resident memory of whole runs (``city_district``) above that of a process that only imports
  what a run imports (:func:`imports_rss`).

Each child is waited for with ``os.wait4``: its CPU time includes the workers it started and reaped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIXTEEN = {"policies": ["baseline", "portierato", "mediation", "shared_services"], "seeds": 4, "steps": 260}
MAKE_RUN = {"policies": ["baseline", "portierato", "mediation", "shared_services", "full_package"], "seeds": 5,
            "steps": 156}
#: the sweep option that makes every run spin up by itself
ALONE = "hydra.sweeper.share_spinup=false"
IMPORTS = ("import experiments.run, experiments.outputs, abm.model, pyarrow.parquet\n"
           "from experiments.run import peak_rss_kb\nprint(peak_rss_kb())")


def child(cmd: list[str], root: Path = ROOT, stdout=subprocess.DEVNULL) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root))
    work = Path(tempfile.mkdtemp(prefix="abitare-bench-"))
    try:
        with open(work / "stderr", "wb") as err, open(work / "stdout", "wb") as out:
            t0 = time.time()
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.time() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n" + (work / "stderr").read_text(errors="replace")[-3000:])
        return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                "stdout": (work / "stdout").read_text(errors="replace")}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def in_process(shape: dict) -> dict:
    out = Path(tempfile.mkdtemp(prefix="abitare-inprocess-"))
    try:
        return child([sys.executable, "-m", "benchmarks.inprocess", str(out), str(shape["steps"]),
                      str(shape["seeds"]), *shape["policies"]])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def shape_overrides(shape: dict) -> list[str]:
    return [f"policy={','.join(shape['policies'])}", f"seed=range(0,{shape['seeds']})", f"steps={shape['steps']}"]


def sweep(*overrides: str) -> dict:
    """``python -m experiments.run -m OVERRIDES`` into a fresh directory."""
    out = Path(tempfile.mkdtemp(prefix="abitare-sweep-"))
    try:
        return child([sys.executable, "-m", "experiments.run", "-m", *overrides, f"hydra.sweep.dir={out}"])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def imports_rss() -> float:
    """Peak resident memory (MB) of a process that imports what a run imports, and nothing more."""
    return int(child([sys.executable, "-c", IMPORTS])["stdout"].strip()) / 1024.0


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
