"""Before/after: ``python -m benchmarks.compare --base REV`` times the same scenario with the code of
revision ``REV`` and with the working tree, alternating child processes repetition by repetition.

The scenario must run on both codes, so it is written as an explicit preset (a YAML file in a temporary
config directory, passed to whole runs with ``--config-dir``): the buildings of the ``city_district`` generator (of the
working tree) with one courtyard per building, since older code may lack generated districts and spaces
shared by several buildings.  Figures per code: model build (with warm-up), core and full step per
household-step, the collection's share, a whole 260-week ``acer_estate`` run and the peak memory of a
520-week district run; and parts on the same model state (one indicator collection, the graph measures,
the CSR adjacency, adding 100 ties to the graph).  Ratios are base / head (above 1: the head is faster or smaller).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from benchmarks.runs import ROOT, run

CHILD = r"""
import json, sys, time
import yaml
from abm.config import compose
from abm.model import NeighbourhoodModel
from abm.space import BuildingSpec, SharedSpaceSpec
preset, steps = yaml.safe_load(open(sys.argv[1])), int(sys.argv[2])
def config():
    c = compose(["seed=1"])
    c.neighbourhood.name = preset["name"]
    c.neighbourhood.initial_waiting_list = preset["initial_waiting_list"]
    c.neighbourhood.buildings = [BuildingSpec(**b) for b in preset["buildings"]]
    c.neighbourhood.shared_spaces = [SharedSpaceSpec(**x) for x in preset["shared_spaces"]]
    return c
out = {}
c0 = time.process_time(); core = NeighbourhoodModel(config=config(), collect=False); out["build_s"] = time.process_time() - c0
full = NeighbourhoodModel(config=config(), collect=True)
n = float(core.households.occupied.sum())
for m in (core, full):
    for _ in range(2): m.step()
for name, m in (("core", core), ("full", full)):
    c0 = time.process_time()
    for _ in range(steps): m.step()
    out[name + "_us"] = 1e6 * (time.process_time() - c0) / (steps * n)
# parts, on the same state: one indicator collection, graph measures, CSR adjacency, adding 100 ties
import numpy as np
from abm import indicators
from abm.ties import TieGraph
def ms(f, reps=20, setup=None):
    total = 0.0
    for _ in range(reps):
        arg = setup() if setup else None
        c0 = time.process_time(); f(arg); total += time.process_time() - c0
    return 1e3 * total / reps
g, occ = full.ties, full.households.occupied
out["collect_ms"] = ms(lambda _: full.collect())
out["graph_measures_ms"] = ms(lambda _: indicators.graph_measures(g, occ))
def fresh_version(_=None):
    g.version += 1
out["adjacency_ms"] = ms(lambda _: g.adjacency(), setup=fresh_version)
rng = np.random.default_rng(0)
new_a, new_b = rng.integers(0, g.n_slots, 100), rng.integers(0, g.n_slots, 100)
def copy_graph():
    h = TieGraph(g.n_slots)
    h.add(g.u, g.v, g.strength, 0)
    return h
out["add_100_ties_ms"] = ms(lambda h: h.add(new_a, new_b, 0.25, 1), setup=copy_graph)
print(json.dumps(out))
"""


def export(rev: str, dest: Path) -> None:
    """The files of revision ``rev`` (no git worktree bookkeeping)."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def scenario_yaml(households: int) -> str:
    """The district's buildings as an explicit preset with one courtyard per building."""
    from abm.config import compose

    nb = compose(["neighbourhood=city_district", f"neighbourhood.households={households}"]).neighbourhood
    buildings, _ = nb.layout()
    keys = ("name", "tenure", "stairwells", "floors", "units_per_landing", "unit_m2", "unusable_units", "vacant_units")
    return yaml.safe_dump({
        "name": "bench_district", "initial_waiting_list": nb.initial_waiting_list,
        "buildings": [{k: getattr(b, k) for k in keys} for b in buildings],
        "shared_spaces": [{"name": f"courtyard_{b.name}", "kind": "courtyard", "building": b.name, "capacity": 25,
                           "sessions_per_week": 7, "use_probability": 0.15, "manager": "none"} for b in buildings],
    }, sort_keys=False)


def run_child(code: Path, script: str, *args: str):
    """Run ``script`` (python -c) with the package at ``code`` and return the JSON of its last output line."""
    proc = subprocess.run([sys.executable, "-c", script, *args], cwd=code,
                          env=dict(os.environ, PYTHONPATH=str(code)), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed in {code}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_steps(code: Path, preset: Path, steps: int) -> dict:
    return run_child(code, CHILD, str(preset), str(steps))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__)
    ap.add_argument("--base", required=True, help="git revision to compare against (e.g. main)")
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "compare.json")
    args = ap.parse_args(argv)
    # each code chooses its own Arrow allocator (the head's experiments package sets one): inherit none
    os.environ.pop("ARROW_DEFAULT_MEMORY_POOL", None)
    tmp = Path(tempfile.mkdtemp(prefix="abitare-base-"))
    try:
        base = tmp / "code"
        base.mkdir()
        export(args.base, base)
        config_dir = tmp / "configs"
        (config_dir / "neighbourhood").mkdir(parents=True)
        (config_dir / "neighbourhood" / "bench_district.yaml").write_text(scenario_yaml(args.households))
        codes = {"base": base, "head": ROOT}
        raw = {k: [] for k in codes}
        for rep in range(args.reps):
            print(f"repetition {rep + 1}/{args.reps}", file=sys.stderr, flush=True)
            for name, code in codes.items():
                r = child_steps(code, config_dir / "neighbourhood" / "bench_district.yaml", args.steps)
                acer = run(["steps=260", f"seed={rep}"], root=code)
                r.update({"acer_run_cpu_s": acer["cpu_s"], "acer_run_wall_s": acer["wall_s"]})
                big = run([f"--config-dir={config_dir}", "neighbourhood=bench_district", "steps=520", f"seed={rep}"],
                          root=code)
                r.update({"district_run_cpu_s": big["cpu_s"], "peak_rss_mb": big["peak_rss_mb"]})
                r["collection_share"] = (r["full_us"] - r["core_us"]) / r["full_us"]
                raw[name].append(r)
        keys = list(raw["head"][0])
        table = {}
        for k in keys:
            b = [r[k] for r in raw["base"]]
            h = [r[k] for r in raw["head"]]
            ratios = [x / y for x, y in zip(b, h)]
            table[k] = {"base": statistics.median(b), "head": statistics.median(h),
                        "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}
        result = {"base": args.base, "households": args.households, "steps": args.steps, "reps": args.reps,
                  "clock": "CPU time (process_time / rusage)", "figures": table, "raw": raw}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"{'figure':<22}{'base':>12}{'head':>12}{'base/head':>12}  (min-max)")
        for k, v in table.items():
            print(f"{k:<22}{v['base']:>12.4g}{v['head']:>12.4g}{v['ratio_median']:>12.3g}  "
                  f"({v['ratio_min']:.3g}-{v['ratio_max']:.3g})")
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
