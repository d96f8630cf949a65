"""The aggregation on synthetic sweeps (known numbers, no simulation): pairing by seed, NaN safety, the
horizon account (totals, present value, ratios) computed by hand, failed and missing runs, the baseline rule,
streaming; and run identities."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from experiments import aggregate as agg
from experiments.horizon import HorizonSettings
from experiments.outputs import COST_SCHEMA, write_parquet
from experiments.stats import ratio_interval, t_interval
from experiments.sweep import (MANIFEST, Progress, identity, manifest, parse_overrides, planned_jobs, run_dir,
                               scenario_dir, sweep_status)

INDS = ("cohesion_index", "trust_mean", "cost_year_total", "isolated_households", "needs_met_neighbours_week",
        "conflicts_resolved_week")
STEPS = 3


def write_run(path, seed, values: dict, spent: list | None = None, steps=STEPS):
    """A completed run directory: each indicator's weekly value is ``values[name]`` (a number for weeks
    1..steps, 0 at week 0, or a function of the week), and what the levers spent each week."""
    path.mkdir(parents=True, exist_ok=True)
    ts = pd.DataFrame({"step": np.arange(steps + 1, dtype=np.int64)})
    for k in INDS:
        v = values.get(k, 0.0)
        ts[k] = [0.0] + [float(v(w) if callable(v) else v) for w in range(1, steps + 1)]
    ts.to_parquet(path / "timeseries.parquet", index=False)
    bg = pd.DataFrame({"step": np.repeat(np.arange(steps + 1, dtype=np.int64), 2),
                       "household_type": ["elderly_alone", "family_children"] * (steps + 1),
                       "indicator": "isolated_share", "value": np.r_[np.zeros(2 * steps), [0.1 * seed, 0.2]]})
    bg.to_parquet(path / "by_group.parquet", index=False)
    write_parquet(path / "costs.parquet", pd.DataFrame(spent or [], columns=COST_SCHEMA.names), COST_SCHEMA)
    (path / "summary.json").write_text(json.dumps({"seed": seed, "config_hash": "h"}))
    (path / "DONE").write_text("{}")


def fake_sweep(root, scenarios: dict, seeds=range(5), skip=(), steps=STEPS):
    """Scenarios (policy name -> seed -> (values, spent)); runs in ``skip`` are not written."""
    runs = []
    for policy, per_seed in scenarios.items():
        for s in seeds:
            job = [f"policy={policy}", f"seed={s}", f"steps={steps}"]
            rid = run_dir(job, 0)
            runs.append({"run_id": rid, "seed": s, "overrides": identity(parse_overrides(job))})
            if rid not in skip:
                write_run(root / rid, s, *per_seed(s), steps=steps)
    (root / MANIFEST).write_text(json.dumps({"experiment": "fake", "neighbourhood": "acer_estate", "steps": steps,
                                             "runs": runs}))
    return runs


def base(s):
    return {"cohesion_index": 0.4 + 0.01 * s, "trust_mean": 0.5, "isolated_households": 20 + s,
            "needs_met_neighbours_week": 10 + s, "conflicts_resolved_week": 2}, []


def lever(s):
    """Costs 100 EUR a week in running costs (ACER); 1 more need met by neighbours a week, 1 household less
    isolated, the same conflicts resolved as the baseline give or take one (no distinguishable benefit)."""
    return ({"cohesion_index": 0.45 + 0.01 * s, "trust_mean": 0.5 + 0.001 * s, "cost_year_total": 5200.0,
             "isolated_households": 19 + s, "needs_met_neighbours_week": 11 + s,
             "conflicts_resolved_week": lambda w: 2 + (1 if s % 2 else -1) * (w == 1)},
            [(w, "portierato", "acer", "running", 100.0, "", -1) for w in range(1, STEPS + 1)])


def row(df, scenario, indicator, statistic):
    r = df[(df.scenario == scenario) & (df.indicator == indicator) & (df.statistic == statistic)]
    assert len(r) == 1, (scenario, indicator, statistic)
    return r.iloc[0]


def test_effects_are_paired_by_seed(tmp_path):
    fake_sweep(tmp_path, {"baseline": base, "portierato": lever})
    res = agg.aggregate(tmp_path)
    coh = row(res["effects"], "portierato", "cohesion_index", "last_week")
    # the seed-to-seed spread cancels in the pairs: the difference is exactly 0.05 with no spread
    assert coh["n_pairs"] == 5 and coh["diff_mean"] == pytest.approx(0.05) and coh["diff_sd"] == pytest.approx(0, abs=1e-12)
    assert coh["ci_low"] == pytest.approx(0.05) and coh["distinguishable"]
    assert list(res["effects"]["scenario"].unique()) == ["portierato"]
    level = row(res["summary"], "baseline", "cohesion_index", "last_week")
    assert level["mean"] == pytest.approx(0.42)
    assert level["ci_low"] < 0.42  # unpaired: spread over seeds
    assert row(res["summary"], "baseline", "cohesion_index", "period_mean")["mean"] == pytest.approx(0.42)  # the same each week


def test_horizon_account_by_hand(tmp_path):
    """Totals, present value and ratios of a small sweep, computed by hand (3 weeks, 5 seeds)."""
    fake_sweep(tmp_path, {"baseline": base, "portierato": lever})
    r = 0.05
    res = agg.aggregate(tmp_path, settings=HorizonSettings(discount_rate=r))
    eff, summ = res["effects"], res["summary"]
    pv = sum(100.0 / (1 + r) ** (w / 52) for w in (1, 2, 3))
    for name, value in (("cost_eur", 300.0), ("cost_running_eur", 300.0), ("cost_capital_eur", 0.0),
                        ("cost_pv_eur", pv), ("residual_value_eur", 0.0), ("cost_net_pv_eur", pv),
                        ("cost_eac_eur", 5200.0)):
        assert row(summ, "portierato", name, "period")["mean"] == pytest.approx(value), name
        assert row(eff, "portierato", name, "period")["diff_mean"] == pytest.approx(value), name
    assert row(summ, "baseline", "cost_net_pv_eur", "period")["mean"] == 0
    # cumulative effects over weeks 1..3: one household less isolated each week, one more need met each week
    years = row(eff, "portierato", "isolated_household_years", "period")
    assert years["diff_mean"] == pytest.approx(-3 / 52) and years["distinguishable"]
    assert row(eff, "portierato", "needs_met_neighbours_total", "period")["diff_mean"] == pytest.approx(3.0)
    conflicts = row(eff, "portierato", "conflicts_resolved_total", "period")
    assert conflicts["diff_mean"] == pytest.approx(-0.2) and not conflicts["distinguishable"]  # -1, +1, -1, +1, -1
    # ratios: net present cost per household-year of isolation avoided, per extra need met
    iso = row(eff, "portierato", "pv_eur_per_household_year_of_isolation_avoided", "period")
    assert iso["diff_mean"] == pytest.approx(pv / (3 / 52)) and iso["distinguishable"]
    assert iso["ci_low"] == pytest.approx(iso["diff_mean"]) and iso["ci_high"] == pytest.approx(iso["diff_mean"])
    need = row(eff, "portierato", "pv_eur_per_extra_need_met_by_neighbours", "period")
    assert need["diff_mean"] == pytest.approx(pv / 3)
    # no distinguishable benefit: no ratio at all (NaN, never inf), and the file says so
    none = row(eff, "portierato", "pv_eur_per_extra_conflict_resolved", "period")
    assert math.isnan(none["diff_mean"]) and math.isnan(none["ci_high"]) and not none["distinguishable"]
    assert "inf" not in (tmp_path / "effects.csv").read_text()
    # by payer: ACER pays it all
    acct = res["cost_account"]
    acer = acct[(acct.scenario == "portierato") & (acct.payer == "acer") & (acct.measure == "cost_pv_eur")]
    assert acer["mean"].item() == pytest.approx(pv)
    assert set(acct["payer"]) >= {"all", "acer", "municipality"} and "new_units" in set(acct["asset"])
    years_ = res["cost_by_year"]
    assert years_[(years_.scenario == "portierato") & (years_.kind == "running")]["mean"].tolist() == [300.0]
    # last-year means equal the period means in a run shorter than a year
    assert row(summ, "portierato", "cohesion_index", "last_year_mean")["mean"] == pytest.approx(
        row(summ, "portierato", "cohesion_index", "period_mean")["mean"])
    meta = json.loads((tmp_path / "sweep_meta.json").read_text())["horizon"]
    assert meta["settings"]["discount_rate"] == r and meta["windows"] == [{"start_week": 0, "end_week": 3}]


def test_capital_and_its_remaining_value_by_hand(tmp_path):
    """Works of 26,000 EUR in week 1, paid through SIEG, creating regenerated units in service from week 2
    (life 30 years): at the end of week 3 the units keep all but 1/1560 of their cost."""
    def works(s):
        v, _ = base(s)
        return v, [(1, "regeneration", "sieg", "capital", 26000.0, "regenerated_units", 2)]

    fake_sweep(tmp_path, {"baseline": base, "regeneration": works})
    r = 0.04
    res = agg.aggregate(tmp_path, settings=HorizonSettings(discount_rate=r))
    pv = 26000.0 / (1 + r) ** (1 / 52)
    residual = 26000.0 * (1 - 1 / (52 * 30))
    net = pv - residual / (1 + r) ** (3 / 52)
    summ, acct = res["summary"], res["cost_account"]
    assert row(summ, "regeneration", "cost_capital_eur", "period")["mean"] == pytest.approx(26000.0)
    assert row(summ, "regeneration", "cost_running_eur", "period")["mean"] == 0
    assert row(summ, "regeneration", "residual_value_eur", "period")["mean"] == pytest.approx(residual)
    assert row(summ, "regeneration", "cost_net_pv_eur", "period")["mean"] == pytest.approx(net)
    eac = net / sum(1 / 52 / (1 + r) ** (w / 52) for w in (1, 2, 3))
    assert row(res["effects"], "regeneration", "cost_eac_eur", "period")["diff_mean"] == pytest.approx(eac)
    sieg = acct[(acct.scenario == "regeneration") & (acct.payer == "sieg") & (acct.measure == "cost_net_pv_eur")]
    units = acct[(acct.scenario == "regeneration") & (acct.asset == "regenerated_units")
                 & (acct.measure == "residual_value_eur")]
    assert sieg["mean"].item() == pytest.approx(net) and units["mean"].item() == pytest.approx(residual)
    # no benefit at all: every ratio is undefined
    ce = res["effects"][res["effects"].indicator.str.startswith("pv_eur_per_")]
    assert len(ce) == 3 and ce["diff_mean"].isna().all() and not ce["distinguishable"].any()
    # counted as pure expense, the net cost is the present value of the spending
    res = agg.aggregate(tmp_path, settings=HorizonSettings(discount_rate=r, residual_value="none"))
    assert row(res["summary"], "regeneration", "cost_net_pv_eur", "period")["mean"] == pytest.approx(pv)


def test_a_worse_scenario_has_no_ratio(tmp_path):
    def worse(s):
        v, c = lever(s)
        return {**v, "needs_met_neighbours_week": 9 + s, "isolated_households": 20 + s}, c

    fake_sweep(tmp_path, {"baseline": base, "worse": worse})
    eff = agg.aggregate(tmp_path)["effects"]
    for name in ("pv_eur_per_extra_need_met_by_neighbours", "pv_eur_per_household_year_of_isolation_avoided"):
        r = row(eff, "worse", name, "period")
        assert math.isnan(r["diff_mean"]) and not r["distinguishable"]


def test_settings_on_the_command_line(tmp_path, capsys):
    fake_sweep(tmp_path, {"baseline": base, "portierato": lever})
    assert agg.main([str(tmp_path), "discount_rate=0", "residual_value=none", "--quiet"]) == 0
    eff = pd.read_csv(tmp_path / "effects.csv")
    assert row(eff, "portierato", "cost_pv_eur", "period")["diff_mean"] == pytest.approx(300.0)
    assert json.loads((tmp_path / "sweep_meta.json").read_text())["horizon"]["settings"]["residual_value"] == "none"
    capsys.readouterr()
    assert agg.main([str(tmp_path), "discout_rate=0.03"]) == 2
    assert "discout_rate" in capsys.readouterr().err
    assert agg.main([str(tmp_path), "end_week=10"]) == 2
    assert "end_week" in capsys.readouterr().err


def test_the_headline_table_reads_the_horizon(tmp_path):
    fake_sweep(tmp_path, {"baseline": base, "portierato": lever})
    text = agg.headline(agg.aggregate(tmp_path))
    assert "weeks 0-3" in text and "cost_net_pv_eur" in text and "no distinguishable benefit" in text
    assert "inf" not in text


def test_nan_values_are_left_out_and_counted(tmp_path):
    def gappy(s):
        v, t = lever(s)
        return {**v, "cohesion_index": math.nan if s == 2 else v["cohesion_index"]}, t

    fake_sweep(tmp_path, {"baseline": base, "gappy": gappy})
    res = agg.aggregate(tmp_path)
    s, e = res["summary"], res["effects"]
    assert row(s, "gappy", "cohesion_index", "last_week")["n"] == 4 and row(s, "gappy", "trust_mean", "last_week")["n"] == 5
    assert row(e, "gappy", "cohesion_index", "last_week")["n_pairs"] == 4
    assert row(e, "gappy", "cohesion_index", "last_week")["diff_mean"] == pytest.approx(0.05)


def test_failed_and_missing_runs_are_named(tmp_path, capsys):
    runs = fake_sweep(tmp_path, {"baseline": base, "portierato": lever},
                      skip={"policy=portierato,steps=3/seed3", "policy=portierato,steps=3/seed4"})
    failed = tmp_path / "policy=portierato,steps=3/seed4"
    failed.mkdir(parents=True)
    (failed / "error.txt").write_text("Traceback (most recent call last):\n  ...\nValueError: boom\n")
    assert agg.main([str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "FAILED  policy=portierato,steps=3/seed4: ValueError: boom" in err
    assert "MISSING policy=portierato,steps=3/seed3" in err
    status = json.loads((tmp_path / "sweep_status.json").read_text())
    assert status == {"expected": 10, "completed": [r["run_id"] for r in runs][:8],
                      "failed": [{"run_id": "policy=portierato,steps=3/seed4", "error": "ValueError: boom"}],
                      "missing": ["policy=portierato,steps=3/seed3"]}
    s = pd.read_csv(tmp_path / "summary.csv")
    assert row(s, "portierato", "cohesion_index", "last_week")["n"] == 3
    assert pq.read_table(tmp_path / "results.parquet").to_pandas()["run_id"].nunique() == 8


def test_results_are_streamed_one_run_per_row_group(tmp_path):
    fake_sweep(tmp_path, {"baseline": base, "portierato": lever})
    agg.aggregate(tmp_path)
    f = pq.ParquetFile(tmp_path / "results.parquet")
    assert f.metadata.num_row_groups == 10
    df = f.read().to_pandas()
    assert len(df) == 10 * 4 * len(INDS)
    assert f.schema_arrow.field("seed").type == "int64" and f.schema_arrow.field("value").type == "double"
    assert set(df["param.policy"]) == {"baseline", "portierato"} and set(df["param.steps"]) == {"3"}
    bg = pd.read_csv(tmp_path / "by_group_summary.csv")
    last = bg[(bg.scenario == "baseline") & (bg.household_type == "elderly_alone") & (bg.statistic == "last_week")]
    assert last["n"].item() == 5 and last["mean"].item() == pytest.approx(0.2)


def test_baseline_rule(tmp_path):
    runs = fake_sweep(tmp_path, {"portierato": lever, "baseline": base})
    names, ov = agg.scenarios(runs)
    assert list(names.values()) == ["portierato", "baseline"]
    assert agg.choose_baseline(names, ov, None) == "baseline"
    assert agg.choose_baseline(names, ov, "portierato") == "portierato"
    with pytest.raises(SystemExit, match="not a scenario"):
        agg.choose_baseline(names, ov, "nope")
    names = {"a": "x=1", "b": "x=2"}
    assert agg.choose_baseline(names, {"a": {"x": "1"}, "b": {"x": "2"}}, None) == "x=1"
    assert agg.choose_baseline(names, {"a": {"policy": "portierato"}, "b": {"policy": "baseline"}}, None) == "x=2"


def test_scenario_names_use_the_varying_overrides():
    runs = [{"run_id": run_dir(j, 0), "overrides": identity(parse_overrides(j))} for j in (
        ["policy=portierato", "policy.portierato.hours_per_week=10", "seed=1"],
        ["policy=portierato", "policy.portierato.hours_per_week=20", "seed=1"])]
    names, _ = agg.scenarios(runs)
    assert list(names.values()) == ["policy.portierato.hours_per_week=10", "policy.portierato.hours_per_week=20"]


# --- run identity and planning -------------------------------------------------------------------------
def test_run_dir_is_stable_and_names_scenario_and_seed():
    a = run_dir(["population=low_trust", "seed=3", "+experiment=smoke", "steps=26"], 0)
    b = run_dir(["steps=26", "+experiment=smoke", "population=low_trust", "seed=3"], 0)
    assert a == b == "population=low_trust,steps=26/seed3"
    assert run_dir(["+experiment=smoke", "output.progress=false"], 7) == "default/seed7"
    assert run_dir(["output.design_row=4", "seed=0"], 0) == "output.design_row=4/seed0"
    assert run_dir(["neighbourhood.households_csv=estate/hh.csv"], 1) == "neighbourhood.households_csv=estate%2Fhh.csv/seed1"


@settings(deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z]{1,8}(\.[a-z_]{1,12}){0,2}", fullmatch=True),
                       st.text(min_size=1, max_size=40), min_size=1, max_size=12))
def test_scenario_dirs_are_safe_and_distinct(ov):
    name = scenario_dir(ov)
    assert "/" not in name and len(name) <= 150 and name not in ("", ".", "..")
    other = dict(ov)
    k = next(iter(other))
    other[k] = other[k] + "x"
    assert scenario_dir(other) != name


def test_planned_jobs_follow_the_basic_sweeper():
    cfg = OmegaConf.create({"seed": 0, "steps": 26, "neighbourhood": {"name": "acer_estate"},
                            "output": {"experiment": "smoke"},
                            "hydra": {"sweeper": {"params": {"population": "default,low_trust", "seed": "range(0,5)"}},
                                      "overrides": {"task": ["+experiment=smoke", "seed=0,1"]}}})
    jobs = planned_jobs(cfg)
    assert len(jobs) == 4  # the command line's seed=0,1 replaces the experiment's range(0,5)
    man = manifest(cfg)
    assert [r["run_id"] for r in man["runs"]] == ["population=default/seed0", "population=default/seed1",
                                                 "population=low_trust/seed0", "population=low_trust/seed1"]
    assert man["runs"][3] == {"run_id": "population=low_trust/seed1", "seed": 1, "overrides": {"population": "low_trust"}}


@pytest.mark.parametrize("task, message", [(["seed=1,1"], "share a directory"), (["population=glob(*)"], "glob")])
def test_a_sweep_that_cannot_be_planned_is_refused(task, message):
    cfg = OmegaConf.create({"seed": 0, "steps": 26, "neighbourhood": {"name": "acer_estate"},
                            "hydra": {"sweeper": {"params": {"population": "default,low_trust"}},
                                      "overrides": {"task": task}}})
    with pytest.raises(ValueError, match=message):
        manifest(cfg)


def test_progress_counts_finished_runs(tmp_path):
    ids = ["a/seed0", "a/seed1", "a/seed2"]
    (tmp_path / "a/seed0").mkdir(parents=True)
    (tmp_path / "a/seed0/DONE").write_text("")
    p = Progress(tmp_path, ids, "test")
    assert p.bar.n == 1
    (tmp_path / "a/seed1").mkdir()
    (tmp_path / "a/seed1/error.txt").write_text("boom")
    p.poll()
    assert p.bar.n == 2 and len(p.pending) == 1
    p.bar.close()
    assert sweep_status(tmp_path, {"runs": [{"run_id": i} for i in ids]})["missing"] == ["a/seed2"]


# --- statistics ---------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(math.nan)), max_size=30))
def test_t_interval_is_nan_safe(xs):
    iv = t_interval(xs)
    finite = [x for x in xs if not math.isnan(x)]
    assert iv.n == len(finite)
    if len(finite) >= 2:
        assert iv.low <= iv.mean + 1e-6 * max(1, abs(iv.mean)) and iv.mean <= iv.high + 1e-6 * max(1, abs(iv.mean))
        assert iv.mean - iv.low == pytest.approx(iv.high - iv.mean, abs=1e-6)
    else:
        assert math.isnan(iv.low) and math.isnan(iv.high)


@given(st.floats(-1e9, 1e9), st.integers(2, 30))
def test_identical_values_give_the_value_itself(x, n):
    iv = t_interval([x] * n)
    assert (iv.mean, iv.sd, iv.low, iv.high) == (x, 0.0, x, x)


def test_ratio_interval_is_deterministic_and_open_when_benefit_is_uncertain():
    cost, benefit = np.full(6, 1000.0), np.array([3.0, -2.5, 2.0, -1.5, 1.0, 0.5])
    est, lo, hi = ratio_interval(cost, benefit)
    assert (est, lo, hi) == ratio_interval(cost, benefit)
    assert est == pytest.approx(1000.0 / benefit.mean()) and 0 < lo < est and hi == math.inf
    assert all(math.isnan(v) for v in ratio_interval([1.0, 2.0], [-1.0, -2.0]))
