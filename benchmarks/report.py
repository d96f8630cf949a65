"""Summaries (median, min, max of the repetitions), targets, the JSON file and the terminal table."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from pathlib import Path

#: figure -> (direction, must, aim), from the performance issues (aim None: only a must).  Memory is judged
#: above the imports, not as an absolute peak: `import mesa` alone takes 150-190 MB here.
TARGETS = {
    "core_ratio": ("<=", 1.0, 0.5),
    "full_ratio": ("<=", 1.3, 1.1),
    "scaling_ratio": ("<=", 1.2, 1.05),
    "runs_per_hour_per_core": (">=", 1000.0, 2000.0),
    "startup_s": ("<=", 1.5, 1.0),
    "startup_over_mesa_s": ("<=", 0.3, None),
    "sweep_1worker_ratio": ("<=", 1.25, None),
    "make_run_ratio": ("<=", 1.6, None),
    "memory_above_imports_mb": ("<=", 40.0, None),
    "memory_long_run_extra_mb": ("<=", 15.0, None),
    "memory_large_extra_mb": ("<=", 60.0, None),
}
#: the figures every result file has, in table order
FIGURES = ("reference_us_per_agent_step", "core_us_per_household_step", "core_ratio", "full_ratio",
           "scaling_ratio", "runs_per_hour_per_core", "startup_s", "startup_over_mesa_s", "sweep_1worker_ratio",
           "make_run_ratio", "shared_spinup_ratio", "memory_above_imports_mb", "memory_long_run_extra_mb",
           "memory_large_extra_mb")
FIGURES += ("calibration_evals_per_hour_per_core", "calibration_loop_ratio")  # benchmarks/calibration.py


def summary(values: list[float], unit: str, **extra) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "values": list(values), "unit": unit, **extra}


def verdict(name: str, value: float) -> str:
    if name not in TARGETS:
        return ""
    direction, must, aim = TARGETS[name]
    ok = (lambda x, t: x <= t) if direction == "<=" else (lambda x, t: x >= t)
    if aim is not None and ok(value, aim):
        return "aim met"
    return "must met" if ok(value, must) else "MISSED"


def judge(figures: dict) -> dict:
    return {name: verdict(name, figures[name]["median"]) for name in TARGETS if name in figures}


def write_json(path: Path, result: dict) -> None:
    """Atomically: a temporary file in the same directory, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}"


def table(result: dict) -> str:
    figs = result["figures"]
    rows = [("figure", "median", "min", "max", "must", "aim", "")]
    for name in FIGURES:
        f = figs[name]
        direction, must, aim = TARGETS.get(name, ("", None, None))
        rows.append((name, _fmt(f["median"]), _fmt(f["min"]), _fmt(f["max"]),
                     f"{direction} {_fmt(must)}" if must is not None else "",
                     f"{direction} {_fmt(aim)}" if aim is not None else "",
                     "" if result["settings"]["quick"] else result["verdict"].get(name, "")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    m = result["machine"]
    lines.append("")
    extra = result.get("extra", {})
    if "mesa_import_s" in extra:
        mi, sp = extra["mesa_import_s"], extra["startup_per_mesa_import"]
        lines.append(f"yardstick: python -c 'import mesa' {_fmt(mi['median'])} s wall ({_fmt(mi['cpu']['median'])} s CPU);"
                     f" start-up = {_fmt(sp['median'])} x that ({_fmt(sp['cpu']['median'])} x in CPU time)")
        lines.append(f"CPU time of whole runs: start-up {_fmt(figs['startup_s']['cpu']['median'])} s, "
                     f"{_fmt(figs['runs_per_hour_per_core']['cpu']['median'])} runs/h per core")
        ref = extra["at_reference_speed"]
        lines.append(f"at reference speed ({ref['note']}): " + ", ".join(
            f"{name} {_fmt(ref[name]['median'])} ({_fmt(ref[name]['min'])}-{_fmt(ref[name]['max'])}, "
            f"{result['verdict_at_reference_speed'][name]})" for name in ("runs_per_hour_per_core", "startup_s")))
    cpu_read = [f"{name} {_fmt(figs[name]['cpu']['median'])}" for name in
                ("startup_over_mesa_s", "sweep_1worker_ratio", "make_run_ratio", "shared_spinup_ratio") if "cpu" in figs.get(name, {})]
    if cpu_read:
        lines.append("CPU-time readings (load-robust; make_run_ratio: the whole sweep's CPU over the in-process "
                     "runs'): " + ", ".join(cpu_read))
    lines.append(f"{m['cpu']}, {m['cores_usable']} usable cores, Python {m['python']}, "
                 f"mesa {m['packages']['mesa']}, numpy {m['packages']['numpy']}; load {result['load']}")
    if result["settings"]["quick"]:
        lines.append("quick mode: tiny sizes, targets not judged")
    return "\n".join(lines)
