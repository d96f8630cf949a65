"""Same model, other random draw order: ``python -m benchmarks.equivalence --base REV [--seeds 24]``.

Optimisations may change the order in which random numbers are drawn, never the model.  This runs the
default preset for ``--seeds`` seeds with the code of revision ``REV`` and with the working tree (one
child process each), takes each indicator's mean over the last 52 weeks of every run, and prints the two
means over seeds with their difference in standard errors (z).  With many indicators a |z| above 3 is a
reason to look for a change of behaviour.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import tempfile
from pathlib import Path

from benchmarks.compare import export, run_child
from benchmarks.runs import ROOT

INDICATORS = ("ties_mean", "strong_ties_mean", "isolated_share", "clustering", "largest_component_share",
              "trust_mean", "satisfaction_mean", "help_per_100_month", "needs_met_neighbours_share",
              "needs_unmet_share", "reciprocity", "conflicts_new_per_100_year", "conflicts_open",
              "turnover_per_year", "occupancy_share", "cohesion_index")

CHILD = r"""
import json, sys
from abm.config import compose
from abm.model import NeighbourhoodModel
names, seeds, weeks, overrides = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
out = {n: [] for n in names}
for seed in range(seeds):
    m = NeighbourhoodModel(config=compose([*overrides, f"seed={seed}"]))
    for _ in range(weeks):
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    for n in names:
        out[n].append(float(df[n].iloc[-52:].mean()))
print(json.dumps(out))
"""


def runs(code: Path, seeds: int, weeks: int, overrides: list[str]) -> dict[str, list[float]]:
    return run_child(code, CHILD, json.dumps(INDICATORS), str(seeds), str(weeks), json.dumps(overrides))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.equivalence", description=__doc__)
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--seeds", type=int, default=24)
    ap.add_argument("--weeks", type=int, default=260)
    ap.add_argument("overrides", nargs="*", help="config overrides for both (e.g. neighbourhood=coop_housing)")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="abitare-equiv-"))
    try:
        export(args.base, tmp)
        before = runs(tmp, args.seeds, args.weeks, args.overrides)
        after = runs(ROOT, args.seeds, args.weeks, args.overrides)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table = {}
    print(f"{'indicator':<28}{'before':>10}{'after':>10}{'z':>7}   ({args.seeds} seeds, mean of the last 52 weeks)")
    for name in INDICATORS:
        x, y = before[name], after[name]
        se = math.sqrt(statistics.variance(x) / len(x) + statistics.variance(y) / len(y)) if len(x) > 1 else 0.0
        z = (statistics.mean(y) - statistics.mean(x)) / se if se > 0 else 0.0
        table[name] = {"before": statistics.mean(x), "after": statistics.mean(y), "z": z}
        print(f"{name:<28}{statistics.mean(x):>10.4g}{statistics.mean(y):>10.4g}{z:>7.2f}")
    return {"base": args.base, "seeds": args.seeds, "weeks": args.weeks, "table": table}


if __name__ == "__main__":
    main()
