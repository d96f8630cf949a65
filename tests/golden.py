"""Golden runs for refactors that must not change results: ``python tests/golden.py record|check``.

``record --rev REV --out REF`` runs every case below with the package of git revision ``REV`` (the revision
before the refactor, exported to ``REF/code``), keeps each run's result files under ``REF/<case>/`` and their hashes in
``REF/hashes.json``.  ``check --ref REF`` runs the same cases with the working tree and prints, case by
case, whether ``timeseries.parquet``, ``by_group.parquet`` and ``summary.json`` are byte-identical (the
summary without its ``config_hash``, which changes whenever a parameter is added, and its ``provenance``, which
names the code: it changes with every change to the code, refactors included).  Exit status 1 if
any differs.  Cases: every policy preset of configs/policy/ on every neighbourhood preset (the generated
district small), plus variants that reach the rarer paths (buildings added while every lever runs, a
community cooperative that fails, regeneration letting to cooperative members, referrals to mediation, a
CSV estate); long enough that every lever acts (ERS building delivered at week 104, regeneration done,
community cooperative running).  Children run with :func:`benchmarks.compare.run_child`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.compare import export, run_child  # noqa: E402

SEEDS = (0, 1)
STEPS = 182
NEIGHBOURHOODS = {"acer_estate": [], "coop_housing": [], "mixed_regeneration": [], "rural_village": [],
                  "city_district": ["neighbourhood.households=400"]}
#: the presets that exist in configs/policy/ when the golden runs were defined
POLICIES = ("allocation_mix", "allocation_need", "baseline", "community_coop", "coop_governance", "ers_fund",
            "full_package", "mediation", "portierato", "regeneration", "shared_services", "timebank")
GROW_ALL = ["policy=full_package", "policy.ers_fund.buildings=3", "policy.ers_fund.start_every_weeks=20",
            "policy.ers_fund.delay_weeks=30", "policy.allocation.coop_share=0.3"]
VARIANTS = {
    "grow_all": GROW_ALL,
    "grow_all_mix": [*GROW_ALL, "policy.allocation.rule=social_mix", "policy.regeneration.rule=social_mix",
                     "policy.regeneration.space_open_to=building"],
    "portierato_mediation": ["policy=portierato", "policy.mediation.enabled=true"],
    "regen_coop": ["policy=regeneration", "policy.regeneration.rule=coop_members"],
    "coop_fails": ["policy=full_package", "policy.community_coop.grant_year=0",
                   "policy.community_coop.fixed_cost_year=20000"],
    "high_rent": ["population=high_rent", "policy=allocation_need"],
    # lever spaces run by the community cooperative (self-managed while it runs them) and by the residents'
    # cooperative (formed for the cooperative members allocation lets units to)
    "self_managed": ["policy=full_package", "policy.allocation.coop_share=0.3",
                     "policy.shared_services.spaces.0.manager=community_coop",
                     "policy.shared_services.spaces.2.manager=residents_coop",
                     "policy.shared_services.spaces.2.volunteer_probability=0.3",
                     "policy.regeneration.shared_space.manager=community_coop"],
}
VARIANT_PLACES = {"acer_estate": ["policy.community_coop.manage_spaces=[courtyard]"],
                  "mixed_regeneration": ["policy.community_coop.manage_spaces=[cortile]"],
                  "city_district": ["neighbourhood.households=400"]}
CSV = ["neighbourhood.buildings_csv=docs/examples/buildings.csv",
       "neighbourhood.households_csv=docs/examples/households.csv"]


def cases() -> dict[str, list[str]]:
    out = {}
    for seed in SEEDS:
        for nb, extra in NEIGHBOURHOODS.items():
            for policy in POLICIES:
                out[f"{nb}.{policy}.s{seed}"] = [f"neighbourhood={nb}", *extra, f"policy={policy}", f"seed={seed}"]
        for nb, extra in VARIANT_PLACES.items():
            for name, overrides in VARIANTS.items():
                out[f"{nb}.{name}.s{seed}"] = [f"neighbourhood={nb}", *extra, *overrides, f"seed={seed}"]
        out[f"csv.full_package.s{seed}"] = [*CSV, "policy=full_package", f"seed={seed}"]
    return out


CHILD = r"""
import json, sys
from pathlib import Path
from abm.config import compose
from abm.errors import ConfigError
from abm.model import NeighbourhoodModel
from experiments.outputs import write_run
todo, steps, out = json.loads(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
done = {}
for name, overrides in todo.items():
    try:
        sim = compose([*overrides, f"steps={steps}"])
        model = NeighbourhoodModel(config=sim)
    except ConfigError as e:
        done[name] = str(e)
        continue
    for _ in range(steps):
        model.step()
    write_run(out / name, model, sim)
    done[name] = ""
print(json.dumps(done))
"""

FILES = ("timeseries.parquet", "by_group.parquet", "summary.json")


def _digest(path: Path) -> str:
    if path.name == "summary.json":
        s = json.loads(path.read_text(encoding="utf-8"))
        s.pop("config_hash", None)
        s.pop("provenance", None)
        return hashlib.sha256(json.dumps(s, sort_keys=True).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_all(code: Path, out: Path, jobs: int = 2) -> dict[str, dict[str, str]]:
    """Every case with the package at ``code``; result files in ``out/<case>``; hashes by case and file."""
    todo = cases()
    names = list(todo)
    parts = [{n: todo[n] for n in names[i::jobs]} for i in range(jobs)]
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda part: run_child(code, CHILD, json.dumps(part), str(STEPS), str(out)), parts))
    errors = {k: v for r in results for k, v in r.items()}
    hashes = {}
    for name in names:
        if errors[name]:
            hashes[name] = {"error": errors[name]}
            continue
        hashes[name] = {f: _digest(out / name / f) for f in FILES}
        hashes[name]["config_hash"] = json.loads((out / name / "summary.json").read_text())["config_hash"]
    return hashes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python tests/golden.py", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("--rev", required=True)
    rec.add_argument("--out", type=Path, required=True)
    chk = sub.add_parser("check")
    chk.add_argument("--ref", type=Path, required=True)
    chk.add_argument("--out", type=Path, help="where to keep the working tree's result files (default: REF/../head)")
    args = ap.parse_args(argv)
    if args.cmd == "record":
        code = args.out.resolve() / "code"
        code.mkdir(parents=True)
        export(args.rev, code)
        hashes = run_all(code, args.out.resolve())
        (args.out / "hashes.json").write_text(json.dumps(hashes, indent=1, sort_keys=True))
        print(f"{len(hashes)} cases recorded in {args.out}")
        return 0
    ref = json.loads((args.ref / "hashes.json").read_text())
    out = (args.out or args.ref.parent / "head").resolve()
    head = run_all(ROOT, out)
    bad = 0
    for name in sorted(ref):
        same = {f: ref[name].get(f) == head.get(name, {}).get(f) for f in (*FILES, "error")}
        ok = all(same.values())
        bad += not ok
        flags = " ".join(f"{f.split('.')[0]}={'yes' if v else 'NO'}" for f, v in same.items() if f != "error")
        print(f"{name:<48} {'identical' if ok else 'DIFFERS'}  {flags}")
    print(f"{len(ref) - bad}/{len(ref)} cases identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
