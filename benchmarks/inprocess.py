"""``python -m benchmarks.inprocess OUT_DIR STEPS SEEDS POLICY...``: the runs of a sweep in one process.

The yardstick of the sweep figures: what a researcher's own loop would do, one process, each scenario's
configuration composed once, each seed's model built, stepped and its results written (the same files a sweep
writes), one run after another.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    out, steps, seeds, policies = Path(argv[0]), int(argv[1]), int(argv[2]), argv[3:]
    from abm.config import compose
    from experiments.run import new_model, run_and_write

    for policy in policies:
        base = compose([f"policy={policy}", f"steps={steps}"])
        for seed in range(seeds):
            sim = dataclasses.replace(base, seed=seed)
            run_and_write(new_model(sim), sim, out / policy / f"seed{seed}")


if __name__ == "__main__":
    main(sys.argv[1:])
