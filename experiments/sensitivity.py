"""Morris screening of the behavioural parameters, run as an ordinary sweep.

    python -m experiments.sensitivity sample [--experiment NAME] [overrides...]   # design + sweep
    python -m experiments.sensitivity analyse MULTIRUN_DIR [--indicators ...]     # morris.csv

``sample`` reads a screening experiment (``configs/experiment/sensitivity.yaml`` by default, e.g.
``portierato_sensitivity`` for the portierato's assumed parameters: parameters and their ranges in
``output.morris``, trajectories, levels, design seed), draws a Morris design with SALib, writes it to
``<sweep dir>/design.csv`` (one row per design point, one column per parameter key) and
``problem.json``, and runs ``python -m experiments.run -m +experiment=NAME
output.design_row=range(0,N)``: each job applies its design row to the configuration before
validation (:func:`apply_design`), so every run directory holds the configuration it really ran.
Replicate seeds (``seed`` in the experiment's sweep parameters) are the same at every design point
(common random numbers); ``analyse`` averages them per point before computing elementary effects.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from abm.errors import ConfigError
from abm.indicators import HEADLINE

DESIGN = "design.csv"
PROBLEM = "problem.json"
MORRIS = "morris.csv"
#: the headline indicators but the costs (behavioural parameters do not move them)
DEFAULT_INDICATORS = tuple(i for i in HEADLINE if not i.startswith("cost_year"))


# --- in the run: the design point of this job ------------------------------------------------------
def apply_design(cfg: DictConfig) -> DictConfig:
    """Set the parameters of design row ``output.design_row`` of ``output.design`` (no-op without it)."""
    row = OmegaConf.select(cfg, "output.design_row", default=None)
    if row is None:
        return cfg
    path = Path(str(OmegaConf.select(cfg, "output.design", default="")))
    if not path.is_file():
        raise ConfigError("output.design", str(path), "the design.csv written by python -m experiments.sensitivity sample")
    design = pd.read_csv(path, float_precision="round_trip")  # every digit of the design, as written
    if not (isinstance(row, int) and 0 <= row < len(design)):
        raise ConfigError("output.design_row", row, f"a row of {path}: 0 to {len(design) - 1}")
    for key, value in design.iloc[row].items():
        current = OmegaConf.select(cfg, key, default=None)
        if current is None or isinstance(current, (bool, str, DictConfig)) or OmegaConf.is_list(current):
            raise ConfigError(f"{path} column '{key}'", key, "the key of a numeric model parameter")
        OmegaConf.update(cfg, key, int(round(value)) if isinstance(current, int) else float(value), merge=False)
    return cfg


# --- sample ----------------------------------------------------------------------------------------
def problem_of(spec: DictConfig) -> dict:
    params = OmegaConf.to_container(spec.parameters)
    for key, bounds in params.items():
        if not (isinstance(bounds, list) and len(bounds) == 2 and bounds[0] < bounds[1]):
            raise ConfigError(f"output.morris.parameters.{key}", bounds, "[low, high] with low < high")
    return {"num_vars": len(params), "names": list(params), "bounds": [list(map(float, b)) for b in params.values()]}


def design_of(spec: DictConfig) -> tuple[dict, pd.DataFrame]:
    """The Morris problem and design (one row per design point) of an experiment's ``output.morris``."""
    from SALib.sample import morris

    problem = problem_of(spec)
    x = morris.sample(problem, int(spec.trajectories), num_levels=int(spec.levels), seed=int(spec.seed))
    return problem, pd.DataFrame(x, columns=problem["names"])


def compose_experiment(overrides: list[str], experiment: str = "sensitivity") -> DictConfig:
    """The composed screening experiment, Hydra node included (for the sweep directory)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from abm.config import CONFIG_DIR

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=[f"+experiment={experiment}", *overrides],
                       return_hydra_config=True)


def write_design(sweep_dir: Path, spec: DictConfig) -> int:
    """Write design.csv and problem.json (or check that the ones there are the same); the number of rows."""
    from experiments.outputs import write_text

    problem, design = design_of(spec)
    text = design.to_csv(index=False, float_format="%.17g")
    meta = {"problem": problem, "trajectories": int(spec.trajectories), "levels": int(spec.levels), "seed": int(spec.seed)}
    if spec.get("effect") is not None:  # a screening of lever effects (experiments.effect_sensitivity)
        meta["effect"] = OmegaConf.to_container(spec.effect)
    meta = json.dumps(meta, indent=1)
    path = sweep_dir / DESIGN
    if path.exists() and path.read_text(encoding="utf-8") != text:
        raise SystemExit(f"error: {path} holds another design (parameters, ranges, trajectories, levels or "
                         f"seed changed); sweep into another directory (hydra.sweep.dir=...) or delete it")
    write_text(path, text)
    write_text(sweep_dir / PROBLEM, meta)
    return len(design)


def sample(overrides: list[str], experiment: str = "sensitivity") -> int:
    cfg = compose_experiment(overrides, experiment)
    sweep_dir = Path(cfg.hydra.sweep.dir)
    n = write_design(sweep_dir, cfg.output.morris)
    print(f"Morris design: {n} points x {len(cfg.output.morris.parameters)} parameters in {sweep_dir / DESIGN}",
          file=sys.stderr)
    cmd = [sys.executable, "-m", "experiments.run", "-m", f"+experiment={experiment}",
           f"output.design_row=range(0,{n})", *overrides]
    return subprocess.call(cmd)


# --- analyse ---------------------------------------------------------------------------------------
def analyse(sweep_dir: Path, indicators=DEFAULT_INDICATORS) -> pd.DataFrame:
    """Morris indices per indicator and parameter, ranked by mu_star, written to ``morris.csv``."""
    from SALib.analyze import morris

    from experiments.aggregate import horizon_values
    from experiments.outputs import write_text
    from experiments.sweep import describe_status, read_manifest, sweep_status

    sweep_dir = Path(sweep_dir)
    meta = json.loads((sweep_dir / PROBLEM).read_text(encoding="utf-8"))
    design = pd.read_csv(sweep_dir / DESIGN, float_precision="round_trip")
    man = read_manifest(sweep_dir)
    status = sweep_status(sweep_dir, man)
    if status["failed"] or status["missing"]:
        raise SystemExit("error: Morris screening needs every design point:\n" + describe_status(status, sweep_dir))
    runs = man["runs"]
    rows = np.array([int(r["overrides"]["output.design_row"]) for r in runs])
    ends = horizon_values(sweep_dir, [r["run_id"] for r in runs])
    problem = meta["problem"]
    out = []
    for ind in indicators:
        y = pd.Series(ends[ind].to_numpy(), index=rows).groupby(level=0).mean().reindex(range(len(design)))
        if y.isna().any():
            raise SystemExit(f"error: {ind} is NaN (or not run) at design rows "
                             f"{list(np.flatnonzero(y.isna()))[:10]}: no elementary effects")
        si = morris.analyze(problem, design.to_numpy(), y.to_numpy(), num_levels=meta["levels"], seed=meta["seed"])
        df = pd.DataFrame({"indicator": ind, "parameter": si["names"], "mu": si["mu"], "mu_star": si["mu_star"],
                           "sigma": si["sigma"], "mu_star_conf": si["mu_star_conf"]})
        df = df.sort_values("mu_star", ascending=False, kind="stable")
        df["rank"] = np.arange(1, len(df) + 1)
        out.append(df)
    result = pd.concat(out, ignore_index=True)
    write_text(sweep_dir / MORRIS, result.to_csv(index=False))
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.sensitivity", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="write the Morris design and run it as a sweep")
    s.add_argument("--experiment", default="sensitivity",
                   help="screening experiment in configs/experiment/ (default: sensitivity; also portierato_sensitivity)")
    s.add_argument("overrides", nargs="*", help="Hydra overrides (e.g. steps=104 output.morris.trajectories=4)")
    a = sub.add_parser("analyse", help="rank parameters by mu_star into MULTIRUN_DIR/morris.csv")
    a.add_argument("sweep_dir", type=Path)
    a.add_argument("--indicators", nargs="+", default=list(DEFAULT_INDICATORS))
    e = sub.add_parser("effects", help="Morris indices of lever effects with their noise floor: effect_morris.csv/.png "
                                       "(a screening with output.morris.effect, e.g. --experiment effect_sensitivity)")
    e.add_argument("sweep_dir", type=Path)
    e.add_argument("--statistic", choices=("last_year_mean", "period_mean"), default=None,
                   help="the effect averaged over the last year or over the whole period (default: the experiment's)")
    e.add_argument("--splits", type=int, default=None, help="random seed splits of the noise floor (default: the experiment's)")
    e.add_argument("--into", type=Path, default=None, metavar="SWEEP_DIR",
                   help="also copy effect_morris.csv into a policy sweep's directory: its report shows it")
    args = ap.parse_args(argv)
    if args.command == "sample":
        return sample(args.overrides, args.experiment)
    if args.command == "effects":
        return effects_main(args)
    res = analyse(args.sweep_dir, args.indicators)
    with pd.option_context("display.width", 140, "display.max_rows", 200):
        for ind, df in res.groupby("indicator", sort=False):
            print(f"\n{ind}\n" + df[["rank", "parameter", "mu_star", "mu_star_conf", "mu", "sigma"]]
                  .to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\nMorris indices in {Path(args.sweep_dir) / MORRIS}")
    return 0


def effects_main(args) -> int:
    import shutil

    from experiments.effect_sensitivity import EFFECT_MORRIS, FIGURE, analyse_effects

    try:
        res = analyse_effects(args.sweep_dir, args.statistic, args.splits)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cols = ["rank", "parameter", "mu_star", "noise_floor_q95", "above_noise", "mu", "sigma"]
    with pd.option_context("display.width", 160, "display.max_rows", 500):
        for (sc, ind), df in res.groupby(["scenario", "indicator"], sort=False):
            print(f"\neffect of {sc} against {df['baseline'].iloc[0]} on {ind} ({df['statistic'].iloc[0]}, "
                  f"{df['design_points'].iloc[0]} points x {df['seeds'].iloc[0]} seeds)\n"
                  + df[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    below = res[~res["above_noise"]]
    rest = ("; the rest are known only to lie below it: report them as at most the floor (more seeds per design "
            "point lower it)") if len(below) else ""
    print(f"\n{len(res) - len(below)} of {len(res)} indices above the noise floor (95th percentile of the mu* of "
          f"seed noise alone){rest}")
    print(f"Indices in {Path(args.sweep_dir) / EFFECT_MORRIS}, figure in {Path(args.sweep_dir) / FIGURE}")
    if args.into is not None:
        shutil.copyfile(Path(args.sweep_dir) / EFFECT_MORRIS, Path(args.into) / EFFECT_MORRIS)
        print(f"copied into {Path(args.into) / EFFECT_MORRIS}: its report shows it (python -m experiments.report)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
