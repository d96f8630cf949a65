"""A description of the machine and software a benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", "hydra-core", "omegaconf", "psutil")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict[str, str]:
    from experiments.provenance import installed_versions

    return installed_versions(PACKAGES)


def git_commit(root: Path) -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def describe(root: Path) -> dict:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": versions(),
        "commit": git_commit(root),
    }


def load() -> list[float]:
    """1-, 5- and 15-minute load averages (other work sharing the cores makes wall times noisy)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []
