"""Posterior ensembles in sweeps: every scenario and seed run on N parameter sets drawn from a calibration's
posterior, paired by (parameter set, seed).

    python -m experiments.run -m +experiment=policy_comparison +posterior=calibration output.posterior.draws=20
    python -m experiments.run -m +experiment=default_job posterior=none        # default_job without its posterior

The Hydra group ``posterior`` (``configs/posterior/``, placed at ``output.posterior``) says which posterior
(``file``: a ``posterior.json`` written by ``python -m experiments.calibrate``, or its directory), how many
parameter sets to draw from it (``draws``, by weight, with replacement) and with which seed (``seed``);
``posterior=none`` (``file: null``) is no ensemble.  With a posterior, the sweep (hydra/sweeper=abitare):

1. checks it and draws the sets once, before any run, into ``<sweep dir>/ensemble/`` (:func:`prepare`):
   ``draws.csv`` (set, posterior particle, one column per parameter, every digit), a copy of the
   posterior (and of the calibration's ``calibration.json`` and ``fit.csv`` beside it, for the report) and
   ``ensemble.json`` (source, its sha256, draws, seed).  A rerun (resume) uses the sets recorded there; a
   rerun with another posterior or draw seed is refused; more draws extend the recorded sets (drawing is
   prefix-stable: the first sets stay the same);
2. expands every planned run into one run per set (:func:`expand`: override ``output.param_set=k``, which
   is part of the run's recipe and directory, ``<scenario>/set<k>/seed<N>``);
3. in each run sets set ``k``'s values on the composed configuration before validation (:func:`apply`), so
   the run's ``config.yaml`` and run identity hold the values it ran.  **A key the scenario sets by name in
   its own overrides** (the command line or ``hydra.sweeper.params``, e.g. a dose sweep's
   ``policy.portierato.hours_per_week``) **keeps the scenario's value**; anything else the posterior holds
   (defaults, the experiment file, a preset chosen with ``policy=...``) takes the posterior's value.  The
   sweep names the keys where a scenario wins when it starts.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from abm.errors import ConfigError

KEY = "output.posterior"
SET = "output.param_set"
#: the ensemble's files in the sweep directory
DIR, DRAWS, INFO, POSTERIOR = "ensemble", "draws.csv", "ensemble.json", "posterior.json"
#: files of the calibration copied beside the posterior (read by the report)
CALIBRATION_FILES = ("calibration.json", "fit.csv")
SPEC_KEYS = ("file", "draws", "seed")
MAX_DRAWS = 100_000
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Spec:
    """A posterior ensemble: the posterior file, how many sets to draw from it, and the seed of the draw."""

    file: Path
    draws: int
    seed: int


def locate_posterior(file: str) -> Path:
    """The ``posterior.json`` named by ``file`` (a file or its directory; relative to the current directory,
    else to the project's root), or a ConfigError naming ``output.posterior.file``."""
    path = Path(str(file))
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, ROOT / path]
    for p in candidates:
        if p.is_dir():
            p = p / POSTERIOR
        if p.is_file():
            return p.resolve()
    raise ConfigError(f"{KEY}.file", str(file), "a posterior.json written by python -m experiments.calibrate, or "
                                                 "its directory (relative to the current directory or the project)")


def spec_of(config) -> Spec | None:
    """The ensemble a configuration asks for (None without a posterior), checked: a ConfigError names the key."""
    node = OmegaConf.select(config, KEY, default=None) if isinstance(config, DictConfig) else None
    if node is None:
        return None
    if not isinstance(node, DictConfig):
        raise ConfigError(KEY, node, "the posterior group: +posterior=<name> (configs/posterior/), then "
                                     f"{KEY}.file / .draws / .seed")
    unknown = sorted(set(node) - set(SPEC_KEYS))
    if unknown:
        raise ConfigError(f"{KEY}.{unknown[0]}", node[unknown[0]], "one of the keys " + ", ".join(SPEC_KEYS))
    if node.get("file") in (None, ""):
        return None
    draws, seed = node.get("draws"), node.get("seed")
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= MAX_DRAWS:
        raise ConfigError(f"{KEY}.draws", draws, f"a whole number of parameter sets from 1 to {MAX_DRAWS}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ConfigError(f"{KEY}.seed", seed, "a whole number from 0 to 2**32 - 1")
    file = locate_posterior(node["file"])
    from experiments.calibration.posterior import read

    try:
        read(file)
    except ConfigError as e:
        raise ConfigError(f"{KEY}.file", str(file), e.allowed) from None
    return Spec(file, int(draws), int(seed))


# --- planning (in the process that launches the sweep) -------------------------------------------------
def _ensemble_keys(key: str) -> bool:
    return key == "posterior" or key.startswith(KEY) or key == SET


def expand(jobs: list[list[str]], spec: Spec | None) -> list[list[str]]:
    """Each job once per parameter set (``++output.param_set=k``, k = 0..draws-1); unchanged without an
    ensemble.  The posterior's settings cannot be swept, and ``output.param_set`` is the sweep's own."""
    from experiments.sweep import parse_overrides

    seen: dict[str, set] = {}
    for job in jobs:
        for key, value in parse_overrides(job).items():
            if _ensemble_keys(key):
                seen.setdefault(key, set()).add(value)
    if SET in seen:
        raise ConfigError(SET, sorted(seen[SET])[0], "nothing: the sweep sets it, one run per parameter set of "
                                                     f"{KEY} (choose the ensemble's size with {KEY}.draws)")
    for key, values in seen.items():
        if len(values) > 1:
            raise ConfigError(key, ",".join(sorted(values)), "one value for the whole sweep (an ensemble's "
                                                             "posterior, size and seed are not swept)")
    if spec is None:
        return jobs
    if any("output.design_row" in parse_overrides(job) for job in jobs):
        raise ConfigError(f"{KEY}.file", str(spec.file), "no posterior in a sensitivity design (output.design_row): "
                                                         "the design sets the parameters itself (posterior=none)")
    return [[*job, f"++{SET}={k}"] for job in jobs for k in range(spec.draws)]


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _draws_csv(draws: pd.DataFrame) -> str:
    return draws.to_csv(index=False, float_format="%.17g")


def drawn(spec: Spec) -> pd.DataFrame:
    """The parameter sets of ``spec``: columns ``set``, ``particle`` (the posterior row drawn), one per parameter."""
    from experiments.calibration.posterior import read

    out = read(spec.file).draw(spec.draws, spec.seed)
    out.insert(0, "set", np.arange(len(out)))
    return out


def prepare(sweep_dir: Path, spec: Spec, jobs: list[list[str]], config=None) -> dict:
    """Draw the sets into ``<sweep dir>/ensemble/`` (or check the ones recorded there), say which keys the
    scenarios' own overrides keep; the ensemble's description for the manifest.  ValueError on a conflict, and
    a ConfigError when the posterior calibrates a key the sweep's ``config`` does not have (before any run)."""
    from experiments.calibration.posterior import read
    from experiments.outputs import write_text
    from experiments.sweep import parse_overrides, scenario_dir, identity

    out = Path(sweep_dir) / DIR
    post = read(spec.file)
    for key in post.priors if config is not None else ():
        value = OmegaConf.select(config, key, default=None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{KEY}.file", str(spec.file), f"a posterior of this model's parameters: it calibrates "
                                                             f"'{key}', which the sweep's configuration "
                                                             f"{'does not have' if value is None else 'holds as ' + repr(value)}")
    digest = _sha256(spec.file)
    draws = drawn(spec)
    old = json.loads((out / INFO).read_text(encoding="utf-8")) if (out / INFO).is_file() else None
    if old is not None:
        if old.get("sha256") != digest or old.get("seed") != spec.seed:
            raise ValueError(
                f"{out} holds the parameter sets of another posterior or draw seed ({old.get('source')}, seed "
                f"{old.get('seed')}; now {spec.file}, seed {spec.seed}): sweep into another directory "
                f"(hydra.sweep.dir=...) or delete it")
        recorded = pd.read_csv(out / DRAWS, float_precision="round_trip")
        n = min(len(recorded), len(draws))
        if _draws_csv(recorded.iloc[:n]) != _draws_csv(draws.iloc[:n]):
            raise ValueError(f"{out / DRAWS}: the recorded parameter sets differ from those drawn now from the same "
                             f"posterior and seed (another numpy?): sweep into another directory")
        if len(recorded) >= len(draws):  # resume: the recorded sets, whatever draws now
            draws = recorded.iloc[:spec.draws]
    overridden: dict[str, list[str]] = {}
    for job in jobs:
        ov = parse_overrides(job)
        for key in post.priors:
            if key in ov:
                name = scenario_dir({k: v for k, v in identity(ov).items() if k != SET})
                overridden.setdefault(key, [])
                if name not in overridden[key]:
                    overridden[key].append(name)
    info = {"source": str(spec.file), "sha256": digest, "draws": spec.draws, "seed": spec.seed,
            "parameters": list(post.priors), "calibration": post.meta.get("calibration"),
            "generation": post.meta.get("generation"), "particles": len(post.weights),
            "scenario_overrides_win": overridden}
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / POSTERIOR, spec.file.read_text(encoding="utf-8"))
    for name in CALIBRATION_FILES:
        src = spec.file.parent / name
        if src.is_file():
            shutil.copyfile(src, out / f".{name}.tmp")
            (out / f".{name}.tmp").replace(out / name)
        else:
            (out / name).unlink(missing_ok=True)
    write_text(out / DRAWS, _draws_csv(draws))
    write_text(out / INFO, json.dumps(info, indent=1))
    print(f"posterior ensemble: {spec.draws} parameter sets of {len(post.priors)} parameters drawn from {spec.file} "
          f"(seed {spec.seed}) into {out / DRAWS}", file=sys.stderr)
    for key, names in overridden.items():
        print(f"  {key}: the value set by scenario {', '.join(names)} wins over the posterior's", file=sys.stderr)
    return info


# --- in a run --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _sets(sweep_dir: str, mtime_ns: int):
    from experiments.calibration.posterior import read

    out = Path(sweep_dir) / DIR
    return read(out / POSTERIOR).priors, pd.read_csv(out / DRAWS, float_precision="round_trip")


def sets(sweep_dir: Path):
    """(priors, draws) recorded in ``<sweep dir>/ensemble/``; ConfigError if there are none."""
    path = Path(sweep_dir) / DIR / DRAWS
    if not path.is_file():
        raise ConfigError(SET, str(path), "a sweep with a posterior ensemble, whose sets are drawn when it starts")
    return _sets(str(Path(sweep_dir).resolve()), path.stat().st_mtime_ns)


def set_values(sweep_dir: Path, k: int, skip=()) -> dict:
    """The values parameter set ``k`` of the sweep's ensemble gives its parameters (as the model takes them:
    integers rounded), but the keys in ``skip``; a ConfigError if there is no such set."""
    from experiments.calibration.parameters import coerce

    priors, draws = sets(sweep_dir)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(draws):
        raise ConfigError(SET, k, f"a parameter set of {Path(sweep_dir) / DIR / DRAWS}: 0 to {len(draws) - 1}")
    row = draws.iloc[k]
    return {key: coerce(prior, float(row[key])) for key, prior in priors.items() if key not in skip}


def apply(cfg: DictConfig, sweep_dir: Path, overridden=()) -> DictConfig:
    """Set parameter set ``output.param_set`` of the sweep's ensemble on ``cfg`` (in place), except the keys
    in ``overridden`` (set by the scenario's own overrides: they win); no-op without ``output.param_set``."""
    k = OmegaConf.select(cfg, SET, default=None)
    if k is None:
        return cfg
    for key, value in set_values(sweep_dir, k, skip=overridden).items():
        if OmegaConf.select(cfg, key, default=None) is None:
            raise ConfigError(f"{KEY}: {key}", None, "a parameter of the model configuration (the posterior "
                                                     "calibrates a key this model does not have)")
        OmegaConf.update(cfg, key, value, merge=False)
    return cfg


def require_sweep(cfg: DictConfig) -> None:
    """A configuration with a posterior runs only as a run of an ensemble sweep (ConfigError otherwise)."""
    node = OmegaConf.select(cfg, KEY, default=None)
    if isinstance(node, DictConfig) and node.get("file") not in (None, "") and \
            OmegaConf.select(cfg, SET, default=None) is None:
        raise ConfigError(f"{KEY}.file", node.get("file"),
                          "a sweep with hydra/sweeper=abitare (python -m experiments.run -m ...), which draws "
                          "the parameter sets; for one run choose posterior=none, or reproduce a run of an "
                          "ensemble from its config.yaml")


# --- reading a sweep -------------------------------------------------------------------------------------
def set_of(overrides: dict) -> int | None:
    """The parameter set of a planned run (its overrides as in the manifest), or None outside an ensemble."""
    value = overrides.get(SET)
    return None if value is None else int(value)


def scenario_of(run_id: str) -> str:
    """The scenario directory of a run id (``<scenario>/seed<N>`` or ``<scenario>/set<k>/seed<N>``)."""
    return run_id.split("/", 1)[0]


def read_info(sweep_dir: Path) -> dict | None:
    path = Path(sweep_dir) / DIR / INFO
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
