"""Sweeps: stable run directories, a manifest of the planned runs, resume, fault isolation, progress.

A sweep is ``python -m experiments.run -m ...`` (Hydra multirun).  This module gives it what Hydra
does not do by itself:

- every run goes to ``<sweep dir>/<scenario>/seed<N>``, where ``<scenario>`` is made of the run's own
  overrides (sorted, seed left out), never of the job number: the same command finds the same
  directories again (:func:`run_dir`, used by ``hydra.sweep.subdir`` through the ``abitare_run_dir``
  resolver);
- :class:`SweepCallback` writes ``manifest.json`` (every planned run) when the sweep starts, shows a
  progress bar (runs done / total / time left) while it runs, and at the end names the failed and
  missing runs and exits non-zero if there are any;
- :func:`execute_run` runs one run under its claim (experiments.claims): it skips a run whose directory
  already holds a completed run of the same identity (resume; experiments.provenance), reruns one made by
  other code, and turns any exception into ``error.txt`` with the traceback, so one failing run never stops
  the others.  The sweeper's tasks (experiments.tasks) call it for every run they take.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import quote

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from experiments import ensemble
from experiments.claims import Claim
from experiments.ensemble import SET
from experiments.outputs import DONE, ERROR, write_text
from experiments.provenance import model_version, run_identity

MANIFEST = "manifest.json"
#: run-identity keys left out of the directory name: the experiment is the sweep itself, and so is the
#: posterior of an ensemble (its parameter set is, below)
IDENTITY_EXCLUDED = {"experiment", "posterior"}
#: ``output.*`` keys change what is written, not the model; only these ones identify a run: a sensitivity
#: design point and the parameter set of a posterior ensemble (experiments.ensemble)
OUTPUT_IDENTITY = {"output.design_row", "output.param_set"}
MAX_NAME = 150


# --- run identity ----------------------------------------------------------------------------------
def parse_overrides(lines) -> dict[str, str]:
    """``key=value`` override strings as {key: value}, key without its ``+``/``++``/``~`` prefix."""
    out = {}
    for line in lines:
        key, sep, value = str(line).partition("=")
        key = key.lstrip("+~")
        if sep:
            out[key] = value
    return out


def identity(overrides: dict[str, str]) -> dict[str, str]:
    """The overrides that make a run what it is (not seed, experiment, hydra or output settings)."""
    return {k: v for k, v in sorted(overrides.items())
            if k != "seed" and k not in IDENTITY_EXCLUDED and not k.startswith(("hydra.", "hydra/"))
            and (not k.startswith("output.") or k in OUTPUT_IDENTITY)}


def scenario_dir(ident: dict[str, str]) -> str:
    """A file-name-safe, stable name for a set of overrides (``default`` when there are none)."""
    if not ident:
        return "default"
    name = quote(",".join(f"{k}={v}" for k, v in ident.items()), safe="=,.+-_[]:@")
    if len(name) > MAX_NAME:
        import hashlib

        name = name[:MAX_NAME - 13] + "~" + hashlib.sha256(name.encode()).hexdigest()[:12]
    return name


def run_dir(overrides, seed) -> str:
    """The run id, i.e. the run directory relative to the sweep directory: ``<scenario>/seed<N>``, in a posterior
    ensemble ``<scenario>/set<k>/seed<N>`` (for a task of the sweeper, its own directory under ``.abitare/``:
    experiments.tasks)."""
    ov = parse_overrides(overrides)
    if "output.task" in ov:
        from experiments.tasks import task_dir

        return task_dir(ov["output.task"])
    ident = identity(ov)
    param_set = ident.pop(SET, None)
    seed_dir = f"seed{int(ov.get('seed', seed))}"
    return f"{scenario_dir(ident)}/{seed_dir}" if param_set is None else f"{scenario_dir(ident)}/set{int(param_set)}/{seed_dir}"


OmegaConf.register_new_resolver("abitare_run_dir", lambda overrides, seed: run_dir(overrides, seed),
                                replace=True)


# --- the planned runs ------------------------------------------------------------------------------
def planned_jobs(config: DictConfig) -> list[list[str]]:
    """The override lists of every job, exactly as Hydra's basic sweeper expands them."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    params = OmegaConf.select(config, "hydra.sweeper.params") or {}
    lines = [f"{k}={v}" for k, v in params.items()] + list(config.hydra.overrides.task)
    overrides = OverridesParser.create().parse_overrides(lines)
    try:
        jobs = BasicSweeper.split_arguments(overrides, None)[0]
    except HydraException as e:
        if "ConfigLoader" in str(e):
            raise ValueError("glob() sweeps are not supported: list the choices, e.g. policy=baseline,portierato") from e
        raise
    return ensemble.expand(jobs, ensemble.spec_of(config))


def manifest(config: DictConfig, ensemble_info: dict | None = None) -> dict:
    runs = []
    for job in planned_jobs(config):
        ov = parse_overrides(job)
        seed = int(ov.get("seed", config.seed))
        runs.append({"run_id": run_dir(job, config.seed), "seed": seed,
                     "overrides": identity(ov)})
    ids = [r["run_id"] for r in runs]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"two planned runs share a directory: {dup[:3]}")
    out = {
        "experiment": OmegaConf.select(config, "output.experiment", default=None),
        "neighbourhood": config.neighbourhood.name,
        "steps": int(config.steps),
        "command": list(config.hydra.overrides.task),
        "sweeper_params": {k: str(v) for k, v in (OmegaConf.select(config, "hydra.sweeper.params") or {}).items()},
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "runs": runs,
    }
    if ensemble_info is not None:  # a posterior ensemble (experiments.ensemble); absent otherwise
        out["ensemble"] = ensemble_info
    return out


def read_manifest(sweep_dir: Path) -> dict:
    path = Path(sweep_dir) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: is {sweep_dir} the directory of a sweep "
                                f"(python -m experiments.run -m ...)?")
    return json.loads(path.read_text(encoding="utf-8"))


# --- status of runs --------------------------------------------------------------------------------
def run_status(path: Path) -> str:
    """``completed`` (marker, no error), ``failed`` (error.txt) or ``missing``."""
    if (path / ERROR).exists():
        return "failed"
    return "completed" if (path / DONE).exists() else "missing"


def last_error_line(path: Path) -> str:
    try:
        lines = [ln for ln in (path / ERROR).read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


def sweep_status(sweep_dir: Path, man: dict | None = None) -> dict:
    """{"expected", "completed", "failed": [{"run_id", "error"}], "missing"} over the manifest's runs."""
    sweep_dir = Path(sweep_dir)
    man = man if man is not None else read_manifest(sweep_dir)
    out = {"expected": len(man["runs"]), "completed": [], "failed": [], "missing": []}
    for r in man["runs"]:
        path = sweep_dir / r["run_id"]
        status = run_status(path)
        if status == "failed":
            out["failed"].append({"run_id": r["run_id"], "error": last_error_line(path)})
        else:
            out[status].append(r["run_id"])
    return out


def describe_status(status: dict, sweep_dir: Path) -> str:
    """A few lines for the terminal naming every failed and missing run."""
    lines = [f"{len(status['completed'])} of {status['expected']} runs completed, "
             f"{len(status['failed'])} failed, {len(status['missing'])} missing ({sweep_dir})"]
    for f in status["failed"]:
        lines.append(f"  FAILED  {f['run_id']}: {f['error']}  (traceback in {Path(sweep_dir) / f['run_id'] / ERROR})")
    for m in status["missing"]:
        lines.append(f"  MISSING {m}")
    return "\n".join(lines)


# --- one run: resume by identity, claims, fault isolation ------------------------------------------
class StaleRunError(RuntimeError):
    """The run directory holds a completed run of a different configuration made by this same code."""


def recipe_overrides(overrides: dict[str, str]) -> dict[str, str]:
    """The overrides a run is composed from (the seed apart): what its recipe hashes (experiments.provenance)."""
    return {k: v for k, v in sorted(overrides.items())
            if k != "seed" and not k.startswith(("hydra.", "hydra/"))
            and (not k.startswith("output.") or k in OUTPUT_IDENTITY)}


def completed_provenance(out: Path) -> dict | None:
    """The provenance of the completed run in ``out`` ({} if it has none), or None if there is none."""
    if not (Path(out) / DONE).exists():
        return None
    try:
        s = json.loads((Path(out) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return s.get("provenance") or {}


def state_on_disk(out: Path, recipe: str) -> str:
    """What ``out`` holds, judged without composing the run's configuration: ``missing`` (no completed run,
    or a failed one), ``done`` (a completed run of the same recipe), ``stale`` (a completed run made by another
    model version) or ``unknown`` (same model, other recipe: the run's identity decides, in the run)."""
    prov = completed_provenance(out)
    if prov is None:
        return "missing"
    if prov.get("recipe") == recipe and not (Path(out) / ERROR).exists():
        return "done"
    return "stale" if prov.get("model_version") != model_version() else "unknown"


def execute_run(out: Path, prepare, execute, stale: str = "rerun") -> str:
    """One run of a sweep, never raising: ``claimed`` (another process is computing it), ``skipped`` (a
    completed run of the same identity is there), ``kept`` (one made by other code, kept as asked), else it is
    computed (``completed``) or its traceback goes to ``error.txt`` (``failed``).  The claim is held throughout."""
    out = Path(out)
    try:
        with Claim(out) as held:
            if not held:
                return "claimed"
            sim = prepare()
            prov = completed_provenance(out)
            if prov is not None:
                ident = run_identity(sim)
                if prov.get("run_identity") == ident:
                    (out / ERROR).unlink(missing_ok=True)
                    return "skipped"
                if prov.get("model_version") == model_version():
                    raise StaleRunError(
                        f"{out} already holds a completed run of another configuration (run identity "
                        f"{prov.get('run_identity')}, this one: {ident}, same model version); "
                        f"sweep into another directory (hydra.sweep.dir=...) or delete it")
                if stale == "keep":
                    return "kept"
            execute(sim)
            return "completed"
    except Exception:  # noqa: BLE001 - every failure is recorded and the sweep goes on
        write_text(out / ERROR, traceback.format_exc())
        return "failed"


# --- progress --------------------------------------------------------------------------------------
class Progress:
    """A tqdm bar fed by polling the runs' files (works with every launcher): a run counts as done when
    its completion marker is there, or when it wrote ``error.txt`` after the bar started."""

    def __init__(self, sweep_dir: Path, run_ids: list[str], desc: str, every: float = 1.0):
        from tqdm import tqdm

        self.started = time.time()
        paths = [Path(sweep_dir) / r for r in run_ids]
        self.pending = [p for p in paths if run_status(p) != "completed"]
        self.bar = tqdm(total=len(paths), initial=len(paths) - len(self.pending), desc=desc,
                        unit="run", file=sys.stderr, dynamic_ncols=True)
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _finished(self, path: Path) -> bool:
        try:
            return (path / ERROR).stat().st_mtime >= self.started - 1.0
        except FileNotFoundError:
            return (path / DONE).exists()

    def poll(self) -> None:
        still = [p for p in self.pending if not self._finished(p)]
        if len(still) < len(self.pending):
            self.bar.update(len(self.pending) - len(still))
        elif sys.stderr.isatty():
            self.bar.refresh()  # keep the clock moving on a terminal; no new line in a log file
        self.pending = still

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.poll()

    def start(self) -> "Progress":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()
        self.bar.close()


#: the progress bar of the sweep running in this process (not an attribute of the callback, which
#: Hydra pickles to the workers)
_ACTIVE: dict[str, Progress] = {}


class SweepCallback(Callback):
    """Manifest at the start of a sweep, progress while it runs, failed/missing runs at the end."""

    # Hydra turns an exception raised in a callback into a warning; a sweep that cannot be planned or
    # checked must stop with a message instead, hence SystemExit.
    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            spec = ensemble.spec_of(config)
            info = ensemble.prepare(sweep_dir, spec, planned_jobs(config), config) if spec is not None else None
            man = manifest(config, info)
            write_text(sweep_dir / MANIFEST, json.dumps(man, indent=1))
        except Exception as e:  # noqa: BLE001
            print(f"error: cannot plan the sweep: {type(e).__name__}: {e}", file=sys.stderr)
            sys.exit(2)
        desc = man["experiment"] or sweep_dir.name
        _ACTIVE["bar"] = Progress(sweep_dir, [r["run_id"] for r in man["runs"]], desc).start()

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        bar = _ACTIVE.pop("bar", None)
        if bar is not None:
            bar.stop()
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            status = sweep_status(sweep_dir)
        except Exception as e:  # noqa: BLE001
            print(f"error: cannot check the runs of {sweep_dir}: {type(e).__name__}: {e}", file=sys.stderr)
            sys.exit(1)
        print(describe_status(status, sweep_dir), file=sys.stderr)
        if status["failed"] or status["missing"]:
            sys.exit(1)
