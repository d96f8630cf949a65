"""Where the time of a district week goes: ``python -m benchmarks.profile [--households N] [--weeks W]``.

Times (CPU) each part of the weekly schedule of a ``city_district`` model with indicators collected, by
wrapping the submodels' entry points of one model instance (the model's code is not touched), and prints
each part's share of the week.  ``--pyinstrument FILE`` also writes pyinstrument's call tree of the same
weeks (``pip install pyinstrument``, in the dev extra).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from benchmarks.steps import district

#: (label, path to the object, method name), in schedule order
PARTS = (
    ("encounters", "encounters", "step"),
    ("cooperatives", "cooperatives", "do"),
    ("levers", "levers", "do"),
    ("needs arise", "help", "arise"),
    ("ask ties", "help", "ask_ties"),
    ("services", "services", "do"),
    ("settle needs", "help", "settle"),
    ("conflict", "conflict", "step"),
    ("tie decay", "encounters", "decay_ties"),
    ("wellbeing", "wellbeing", "step"),
    ("moving", "moving", "step"),
    ("indicators", "", "collect"),
)


def instrument(model, spent: dict[str, float]) -> None:
    for label, path, name in PARTS:
        obj = getattr(model, path) if path else model
        inner = getattr(obj, name)

        def timed(*args, _inner=inner, _label=label, **kwargs):
            t = time.process_time()
            try:
                return _inner(*args, **kwargs)
            finally:
                spent[_label] += time.process_time() - t

        setattr(obj, name, timed)


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--pyinstrument", metavar="FILE", help="also write pyinstrument's text report here")
    args = ap.parse_args(argv)
    t = time.process_time()
    model = district(args.households, seed=1, collect=True)
    build = time.process_time() - t
    spent: dict[str, float] = defaultdict(float)
    instrument(model, spent)
    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    t = time.process_time()
    for _ in range(args.weeks):
        model.step()
    total = time.process_time() - t
    if profiler is not None:
        profiler.stop()
        with open(args.pyinstrument, "w", encoding="utf-8") as f:
            f.write(profiler.output_text(unicode=True, color=False))
    n = float(model.households.occupied.sum())
    spent["rest of step"] = total - sum(spent.values())
    print(f"city_district, {int(n)} households, {args.weeks} weeks: build (with warm-up) {build:.2f} s CPU, "
          f"a week {1e3 * total / args.weeks:.2f} ms CPU = {1e6 * total / args.weeks / n:.2f} us per household")
    for label, s in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<14} {100 * s / total:5.1f} %  {1e6 * s / args.weeks / n:6.3f} us/household-week")
    return dict(spent)


if __name__ == "__main__":
    main()
