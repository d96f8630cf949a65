"""``python -m benchmarks [--quick] [--reps N] [--out PATH]``: measure everything, write JSON, print a table."""

from __future__ import annotations

import argparse
import datetime
import logging
import sys
from pathlib import Path

from benchmarks import calibration, machine, report, runs, sweeps
from benchmarks.reference import BoltzmannWealth
from benchmarks.steps import Stepper, district

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "latest.json"

FULL = {"households": 5000, "large": 20000, "steps": 20, "warmup_steps": 4,
        "rss_weeks": 520, "rss_short_weeks": 52, "run_weeks": 260,
        "sixteen": sweeps.SIXTEEN, "make_run": sweeps.MAKE_RUN}
#: wall seconds of ``python -c "import mesa"`` on the machine the issue's targets were set on
MESA_IMPORT_REFERENCE_S = 0.5
#: a run without spin-up (week 0 is the initial population): for the start-up figures
NO_SPINUP = ("spinup.min_weeks=0", "spinup.max_weeks=0")
QUICK = {"households": 200, "large": 400, "steps": 2, "warmup_steps": 1,
         "rss_weeks": 4, "rss_short_weeks": 2, "run_weeks": 4,
         "sixteen": {"policies": ["baseline", "portierato"], "seeds": 2, "steps": 3},
         "make_run": {"policies": ["baseline", "portierato"], "seeds": 2, "steps": 2}}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test of the suite)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions of every figure (default 5; 2 if --quick)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"result file (default {DEFAULT_OUT})")
    args = ap.parse_args(argv)
    s = dict(QUICK if args.quick else FULL)
    reps = args.reps or (2 if args.quick else 5)
    if reps < 1:
        ap.error("--reps must be >= 1")
    logging.getLogger("mesa").setLevel(logging.WARNING)
    load_before = machine.load()
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    log(f"building models ({s['households']} and {s['large']} households) ...")
    reference = Stepper(BoltzmannWealth(n=s["households"], seed=1), "agents")
    core = Stepper(district(s["households"], seed=1, collect=False), "households")
    full = Stepper(district(s["households"], seed=1, collect=True), "households")
    large = Stepper(district(s["large"], seed=1, collect=False), "households")
    for st in (reference, core, full, large):
        st.time(s["warmup_steps"])

    raw = {k: [] for k in ("reference", "core", "full", "large", "run", "startup", "rss", "mesa", "imports", "rss_short",
                           "rss_large", "in16", "sweep16", "in_make_run", "make_run", "make_run_shared")}
    # memory is measured after the short spin-up (a fixed 78 weeks, whose event log the run keeps) so that a
    # generated district of 20,000 households does not spin up for ten years; start-up without any spin-up:
    # the spin-up is simulation, which runs_per_hour counts, not the overhead before the first step
    small_district = ["neighbourhood=city_district", f"neighbourhood.households={s['households']}", "spinup=short"]
    # make run's scenarios and horizon without its posterior ensemble: the runs the in-process yardstick can run
    make_run = (["+experiment=default_job", "posterior=none", f"seed=range(0,{s['make_run']['seeds']})"]
                if s["make_run"] == sweeps.MAKE_RUN else sweeps.shape_overrides(s["make_run"]))
    for rep in range(reps):
        log(f"repetition {rep + 1}/{reps}")
        # the same weeks of the same trajectory for core and full: collection draws no random numbers
        raw["reference"].append(reference.time(s["steps"]))
        raw["core"].append(core.time(s["steps"]))
        raw["full"].append(full.time(s["steps"]))
        raw["large"].append(large.time(s["steps"]))
        raw["mesa"].append(runs.mesa_import())
        raw["run"].append(runs.run([f"steps={s['run_weeks']}", f"seed={rep}"]))
        raw["startup"].append(runs.run([*NO_SPINUP, "steps=1", f"seed={rep}"]))
        raw["rss"].append(runs.run([*small_district, f"steps={s['rss_weeks']}", f"seed={rep}"]))
        # memory above the imports: a process importing what a run imports, beside runs of 52 and 520 weeks
        # and of 4 times the households
        raw["imports"].append(sweeps.imports_rss())
        raw["rss_short"].append(runs.run([*small_district, f"steps={s['rss_short_weeks']}", f"seed={rep}"]))
        raw["rss_large"].append(runs.run(["neighbourhood=city_district", f"neighbourhood.households={s['large']}", "spinup=short",
                                          f"steps={s['rss_short_weeks']}", f"seed={rep}"]))
        # sweeps beside the same runs in one process: each run spinning up by itself in both (the overhead of
        # the sweep machinery, like with like), then make run's sweep as it runs, sharing each seed's spin-up
        raw["in16"].append(sweeps.in_process(s["sixteen"]))
        raw["sweep16"].append(sweeps.sweep(*sweeps.shape_overrides(s["sixteen"]), "hydra.launcher.n_jobs=1",
                                           sweeps.ALONE))
        raw["in_make_run"].append(sweeps.in_process(s["make_run"]))
        raw["make_run"].append(sweeps.sweep(*make_run, sweeps.ALONE))
        raw["make_run_shared"].append(sweeps.sweep(*make_run))

    def per(key, field):
        return [r[field] for r in raw[key]]

    def ratio(a, b, field="cpu_us"):
        return [x / y for x, y in zip(per(a, field), per(b, field))]

    clock = "CPU time of the benchmark process (time.process_time); wall-clock values under 'wall'"
    figures = {
        "reference_us_per_agent_step": report.summary(per("reference", "cpu_us"), "us", clock=clock,
                                                      wall=report.summary(per("reference", "wall_us"), "us")),
        "core_us_per_household_step": report.summary(per("core", "cpu_us"), "us", clock=clock,
                                                     wall=report.summary(per("core", "wall_us"), "us")),
        "core_ratio": report.summary(ratio("core", "reference"), "ratio",
                                     wall=report.summary(ratio("core", "reference", "wall_us"), "ratio")),
        "full_ratio": report.summary(ratio("full", "core"), "ratio",
                                     wall=report.summary(ratio("full", "core", "wall_us"), "ratio")),
        "scaling_ratio": report.summary(ratio("large", "core"), "ratio",
                                        wall=report.summary(ratio("large", "core", "wall_us"), "ratio")),
        "startup_over_mesa_s": report.summary(
            [r["startup_s"] - m["wall_s"] for r, m in zip(raw["startup"], raw["mesa"])], "s",
            clock="wall seconds to the first step minus those of python -c 'import mesa' timed beside it",
            cpu=report.summary([r["startup_cpu_s"] - m["cpu_s"] for r, m in zip(raw["startup"], raw["mesa"])], "s")),
        "sweep_1worker_ratio": report.summary(
            ratio("sweep16", "in16", "wall_s"), "ratio",
            clock="wall time of a 1-worker sweep over that of the same runs in one process",
            cpu=report.summary(ratio("sweep16", "in16", "cpu_s"), "ratio")),
        "make_run_ratio": report.summary(
            [m["wall_s"] / (i["cpu_s"] / sweeps.cores()) for m, i in zip(raw["make_run"], raw["in_make_run"])],
            "ratio", clock="wall time of make run's sweep over the in-process CPU time of its runs / usable cores",
            cpu=report.summary(ratio("make_run", "in_make_run", "cpu_s"), "ratio")),
        "shared_spinup_ratio": report.summary(
            ratio("make_run_shared", "make_run", "wall_s"), "ratio",
            clock="wall time of make run's sweep sharing each seed's spin-up over that of the same sweep with "
                  "every run spinning up by itself (hydra.sweeper.share_spinup=false), measured side by side",
            cpu=report.summary(ratio("make_run_shared", "make_run", "cpu_s"), "ratio")),
        "memory_above_imports_mb": report.summary(
            [r["peak_rss_mb"] - i for r, i in zip(raw["rss_short"], raw["imports"])], "MB",
            note=f"{s['households']} households x {s['rss_short_weeks']} weeks, peak over a process that "
                 f"only imports what a run imports"),
        "memory_long_run_extra_mb": report.summary(
            [a["peak_rss_mb"] - b["peak_rss_mb"] for a, b in zip(raw["rss"], raw["rss_short"])], "MB",
            note=f"{s['rss_weeks']} weeks over {s['rss_short_weeks']} weeks ({s['households']} households)"),
        "memory_large_extra_mb": report.summary(
            [a["peak_rss_mb"] - b["peak_rss_mb"] for a, b in zip(raw["rss_large"], raw["rss_short"])], "MB",
            note=f"{s['large']} over {s['households']} households ({s['rss_short_weeks']} weeks)"),
        "runs_per_hour_per_core": report.summary([3600.0 / w for w in per("run", "wall_s")], "runs/h",
                                                 clock="wall time from launch to results written",
                                                 cpu=report.summary([3600.0 / c for c in per("run", "cpu_s")],
                                                                    "runs/h")),
        "startup_s": report.summary(per("startup", "startup_s"), "s", clock="wall time from launch to the first step",
                                    cpu=report.summary(per("startup", "startup_cpu_s"), "s")),
    }
    figures.update(calibration.figures(args.quick, reps, log))  # issue 14: the calibration loop
    extra = {
        "imports_rss_mb": report.summary(raw["imports"], "MB"),
        "peak_rss_mb": {k: report.summary(per(k, "peak_rss_mb"), "MB") for k in ("rss_short", "rss", "rss_large")},
        "sweeps": {k: {"wall_s": report.summary(per(k, "wall_s"), "s"), "cpu_s": report.summary(per(k, "cpu_s"), "s")}
                   for k in ("in16", "sweep16", "in_make_run", "make_run", "make_run_shared")},
        "cores_usable": sweeps.cores(),
        "full_us_per_household_step": report.summary(per("full", "cpu_us"), "us"),
        "large_us_per_household_step": report.summary(per("large", "cpu_us"), "us"),
        "district_run": {"wall_s": report.summary(per("rss", "wall_s"), "s"),
                         "cpu_s": report.summary(per("rss", "cpu_s"), "s")},
        # the start-up yardstick: Mesa's own import ("about 0.5 s" on an idle machine of this kind), and the
        # start-up over it, measured side by side (a ratio that a busy machine changes little)
        "mesa_import_s": report.summary(per("mesa", "wall_s"), "s", cpu=report.summary(per("mesa", "cpu_s"), "s")),
        "startup_per_mesa_import": report.summary(
            [r["startup_s"] / m["wall_s"] for r, m in zip(raw["startup"], raw["mesa"])], "ratio",
            cpu=report.summary([r["startup_cpu_s"] / m["cpu_s"] for r, m in zip(raw["startup"], raw["mesa"])], "ratio")),
    }
    # whole-process figures on a machine as fast as the ("importing Mesa alone takes about 0.5 s"):
    # each run's wall time scaled by the Mesa import timed beside it (the raw figures above stay as measured)
    scale = [MESA_IMPORT_REFERENCE_S / m["wall_s"] for m in raw["mesa"]]
    extra["at_reference_speed"] = {
        "note": f"scaled to a machine where 'import mesa' takes {MESA_IMPORT_REFERENCE_S} s (the issue's orientation)",
        "runs_per_hour_per_core": report.summary([3600.0 / (r["wall_s"] * k) for r, k in zip(raw["run"], scale)],
                                                 "runs/h"),
        "startup_s": report.summary([r["startup_s"] * k for r, k in zip(raw["startup"], scale)], "s"),
    }
    result = {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine.describe(ROOT),
        "load": {"before": load_before, "after": machine.load()},
        "settings": {"quick": args.quick, "repetitions": reps, **s,
                     "preset": "city_district", "run_preset": "acer_estate"},
        "figures": figures,
        "extra": extra,
    }
    result["verdict"] = report.judge(figures)
    result["verdict_at_reference_speed"] = report.judge(extra["at_reference_speed"])
    report.write_json(args.out, result)
    print(report.table(result))
    print(f"written {args.out}")
    return result


if __name__ == "__main__":
    main()
