"""Whole runs in child processes: ``python -m experiments.run ...`` from launch to exit.

Each child is waited for with ``os.wait4``, which gives its CPU time; ``ABITARE_RUN_MARKS`` makes the run
note when its first step starts and when its results are written, with its peak resident memory (VmHWM:
``getrusage``'s peak of a child also counts the memory of the parent it was spawned from).
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


def run(overrides: list[str], root: Path = ROOT) -> dict[str, float]:
    """Run the model (the code in ``root``) once; returns wall and CPU seconds, peak RSS in MB and, if the
    code writes run marks, the wall and CPU seconds to the first step (else ``getrusage``'s peak RSS)."""
    work = Path(tempfile.mkdtemp(prefix="abitare-bench-"))
    marks = work / "marks"
    env = dict(os.environ, ABITARE_RUN_MARKS=str(marks), PYTHONPATH=str(root))
    cmd = [sys.executable, "-m", "experiments.run", *overrides, "output.progress=false",
           f"hydra.run.dir={work / 'run'}"]
    try:
        with open(work / "stderr", "wb") as err:
            t0 = time.time()
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.time() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0 or not (work / "run" / "DONE").exists():
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                               + (work / "stderr").read_text(errors="replace")[-3000:])
        out = {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
               "peak_rss_mb": usage.ru_maxrss / 1024.0}  # kilobytes on Linux
        if marks.exists():
            seen = {line.split()[0]: [float(x) for x in line.split()[1:]] for line in marks.read_text().splitlines()}
            out.update(startup_s=seen["first_step"][0] - t0, startup_cpu_s=seen["first_step"][1],
                       peak_rss_mb=seen["written"][2] / 1024.0)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)
