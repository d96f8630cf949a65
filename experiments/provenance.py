"""Which code made a run, with which packages, configuration and seed: what resume and the aggregate trust.

- **Model version** (:func:`model_version`): a content hash (sha256, 16 hex digits) of the files that decide a
  run's numbers: every ``.py`` file of the installed ``abm`` package (its locales, user-facing labels only, are
  left out) and ``experiments/outputs.py`` (which computes what a run writes).  It needs no git: it is the same
  in a checkout, a wheel install or on a cluster node without git, and an uncommitted edit changes it.
- **Git state** (:func:`git_state`): commit and whether tracked files differ from it (``dirty``), when the
  package sits in a git work tree and git is installed; ``None`` otherwise.  Recorded, never compared: two
  commits that leave those files alone make the same model.
- **Packages** (:func:`packages`): the installed versions of the project's declared dependencies, and Python's.
- **Run identity** (:func:`run_identity`): a content hash of (model version, resolved configuration, seed),
  the resolved configuration including the contents of the input files it names (``*_csv``).  A sweep skips a
  run only when its identity matches.
- **Spin-up identity** (:func:`spinup_identity`): the same hash without the settings the spin-up does not depend
  on (policy, horizon, outputs): the key of a spun-up state shared by the runs of a sweep (experiments.spinups).
- **Recipe** (:func:`recipe`): a content hash of (model version, the ``configs/`` tree, the run's overrides and
  seed).  Composition is deterministic, so a matching recipe implies a matching identity: the sweep uses it to
  skip completed runs without composing their configuration (the run itself checks its identity again).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

import abm

ABM_DIR = Path(abm.__file__).resolve().parent
ROOT = ABM_DIR.parent
CONFIG_DIR = ROOT / "configs"
WRITER = Path(__file__).resolve().parent / "outputs.py"
#: dependencies recorded when the project's own metadata cannot be read (run from a plain checkout)
FALLBACK_PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", "hydra-core", "omegaconf")


def _digest(parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _tree(files, base: Path):
    """(relative path, bytes) of ``files``, sorted by path: the same set hashes the same anywhere."""
    for path in sorted(files, key=lambda p: p.relative_to(base).as_posix()):
        yield path.relative_to(base).as_posix()
        yield path.read_bytes()


@functools.cache
def model_version() -> str:
    files = [p for p in ABM_DIR.rglob("*.py") if "__pycache__" not in p.parts]
    return _digest([*_tree(files, ABM_DIR), "experiments/outputs.py", WRITER.read_bytes()])[:16]


@functools.cache
def configs_version() -> str:
    """Content hash of the ``configs/`` tree (every YAML file a composition can read)."""
    if not CONFIG_DIR.is_dir():
        return "none"
    return _digest(_tree(CONFIG_DIR.rglob("*.yaml"), CONFIG_DIR))[:16]


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True,
                          timeout=20).stdout.strip()


@functools.cache
def git_state() -> dict | None:
    """{"commit", "dirty"} of the work tree the package is in, or None (no git, or not a work tree of its own)."""
    if not (ROOT / ".git").exists():
        return None
    try:
        return {"commit": _git("rev-parse", "HEAD"),
                "dirty": bool(_git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return None


@functools.cache
def packages() -> dict[str, str]:
    try:
        names = [re.match(r"[A-Za-z0-9._-]+", r).group(0) for r in metadata.requires("abitare") or []
                 if "extra ==" not in r]
    except metadata.PackageNotFoundError:
        names = list(FALLBACK_PACKAGES)
    return {"python": platform.python_version(), **installed_versions(names)}


def installed_versions(names) -> dict[str, str]:
    """The installed version of each distribution in ``names`` ("not installed" where it is missing)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _inputs(d, key=""):
    """(key, path) of every non-empty ``*_csv`` value of a configuration dict."""
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _inputs(v, f"{key}.{k}" if key else str(k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from _inputs(v, f"{key}[{i}]")
    elif key.endswith("_csv") and d:
        yield key, d


def config_digest(config, leave_out: tuple[str, ...] = ("seed", "output")) -> str:
    """sha256 of the resolved configuration without ``leave_out`` (seed and output settings), and of the input
    files it names."""
    d = dataclasses.asdict(config)
    for key in leave_out:
        d.pop(key, None)
    parts = [json.dumps(d, sort_keys=True, default=str)]
    for key, path in sorted(_inputs(d)):
        p = Path(path) if Path(path).is_absolute() else ROOT / path
        parts += [key, p.read_bytes() if p.is_file() else b"missing"]
    return _digest(parts)


def run_identity(config, version: str | None = None) -> str:
    return _digest([version or model_version(), config_digest(config), config.seed])[:16]


def spinup_identity(config, version: str | None = None) -> str:
    """A content hash of (model version, the settings the spin-up depends on, seed): runs with the same one
    start from the same spun-up state (experiments.spinups)."""
    from abm.spinup import NOT_SPINUP

    return _digest([version or model_version(), config_digest(config, NOT_SPINUP), config.seed])[:16]


def recipe(overrides: dict[str, str], seed: int, version: str | None = None) -> str:
    """Hash of what a run is composed from (see the module's docstring); ``overrides`` without the seed."""
    return _digest([version or model_version(), configs_version(), json.dumps(overrides, sort_keys=True), seed])[:16]


def record(config, overrides: dict[str, str] | None = None) -> dict:
    """The provenance block of a run's summary.json."""
    out = {"model_version": model_version(), "run_identity": run_identity(config), "git": git_state(),
           "packages": packages()}
    if overrides is not None:
        out["recipe"] = recipe(overrides, config.seed)
    return out


# --- many runs -------------------------------------------------------------------------------------
def read_provenance(run_path: Path) -> dict:
    """The provenance block of a run's summary.json ({} for a run written before provenance was recorded)."""
    try:
        return json.loads((Path(run_path) / "summary.json").read_text(encoding="utf-8")).get("provenance") or {}
    except (OSError, ValueError):
        return {}


def of_runs(provs: list[dict]) -> dict:
    """The provenance of a set of runs, for sweep_meta.json: how many runs per model version, git state and
    package set (one entry each when the sweep is homogeneous)."""
    def count(key):
        seen: dict[str, dict] = {}
        for p in provs:
            value = p.get(key)
            k = json.dumps(value, sort_keys=True)
            seen.setdefault(k, {"value": value, "runs": 0})["runs"] += 1
        return list(seen.values())

    return {"model_versions": {e["value"] or "unknown": e["runs"] for e in count("model_version")},
            "git": count("git"), "packages": count("packages"), "this_code": model_version()}


def check_pooling(sweep_dir: Path, run_ids: list[str], allow_mixed: bool = False) -> list[dict]:
    """The provenance of ``run_ids``; raises SystemExit when they come from more than one model version and
    ``allow_mixed`` is False (pooling them would mix two models into one estimate)."""
    provs = [read_provenance(Path(sweep_dir) / r) for r in run_ids]
    versions: dict[str, list[str]] = {}
    for rid, p in zip(run_ids, provs):
        versions.setdefault(p.get("model_version") or "unknown (no provenance)", []).append(rid)
    if len(versions) > 1 and not allow_mixed:
        lines = [f"  model version {v}: {len(ids)} runs, e.g. {ids[0]}" for v, ids in versions.items()]
        raise SystemExit(f"error: the runs of {sweep_dir} were made by {len(versions)} versions of the model:\n"
                         + "\n".join(lines) + "\nrerun the sweep with this code (stale runs are rerun), or pass "
                         "--allow-mixed-versions to pool them anyway")
    return provs
