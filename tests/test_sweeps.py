"""Sweeps end to end through the real command lines: aggregation, resume after a kill, failing runs,
1 vs 2 workers, the submitit launcher (issue 4, "what must hold")."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.sweep_helpers import (ROOT, SMOKE, aggregate, assert_same_aggregate, done_markers, env, results,
                                 shared_sweep, sweep)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """The smoke sweep (2 scenarios x 5 seeds) with 2 joblib workers, aggregated; shared by the session."""
    return shared_sweep(tmp_path_factory, "smoke_sweep", *SMOKE)


def test_smoke_sweep_has_ten_runs_and_intervals(smoke):
    d = smoke
    res = results(d)
    assert res["run_id"].nunique() == 10
    assert sorted(res["scenario"].unique()) == ["baseline", "portierato"]
    assert res.groupby("scenario")["seed"].unique().map(sorted).map(list).to_dict() == {
        "baseline": [0, 1, 2, 3, 4], "portierato": [0, 1, 2, 3, 4]}
    assert list(res.columns) == ["run_id", "scenario", "seed", "param.neighbourhood", "param.policy",
                                 "param.steps", "step", "indicator", "value"]
    assert set(res["param.steps"]) == {"26"}
    assert set(res["step"]) == set(range(27))
    summary = pd.read_csv(d / "summary.csv")
    coh = summary[(summary.indicator == "cohesion_index") & (summary.statistic == "last_week")].set_index("scenario")
    assert (coh["n"] == 5).all()
    assert (coh["ci_low"] < coh["mean"]).all() and (coh["mean"] < coh["ci_high"]).all()
    # the last week's mean is the mean of the last week's values, the period's that of the weeks 1..26
    last = res[(res.step == 26) & (res.indicator == "cohesion_index")].groupby("scenario")["value"].mean()
    assert coh["mean"].to_dict() == pytest.approx(last.to_dict(), rel=1e-9)
    period = summary[(summary.indicator == "cohesion_index") & (summary.statistic == "period_mean")].set_index("scenario")
    weeks = res[(res.step > 0) & (res.indicator == "cohesion_index")].groupby(["scenario", "seed"])["value"].mean()
    assert period["mean"].to_dict() == pytest.approx(weeks.groupby("scenario").mean().to_dict(), rel=1e-9)
    status = json.loads((d / "sweep_status.json").read_text())
    assert status["expected"] == 10 and len(status["completed"]) == 10
    assert status["failed"] == [] and status["missing"] == []
    scen = pd.read_csv(d / "scenarios.csv")
    assert scen.to_dict("list") == {"scenario": ["baseline", "portierato"], "param.neighbourhood": ["acer_estate"] * 2,
                                    "param.policy": ["baseline", "portierato"], "param.steps": [26, 26]}
    eff = pd.read_csv(d / "effects.csv")
    assert set(eff["scenario"]) == {"portierato"}  # compared with the baseline
    cost = eff[(eff.indicator == "cost_net_pv_eur") & (eff.statistic == "period")].iloc[0]
    assert cost["n_pairs"] == 5 and cost["diff_mean"] > 0 and bool(cost["distinguishable"])
    ties = eff[(eff.indicator == "ties_mean") & (eff.statistic == "period_mean")].iloc[0]
    # the porter's events and introductions: more ties (its brokering, through neighbours without a tie, is too
    # rare since issue 13 to show in 26 weeks and 5 seeds)
    assert ties["diff_mean"] > 0
    assert {"pv_eur_per_extra_need_met_by_neighbours", "pv_eur_per_household_year_of_isolation_avoided",
            "pv_eur_per_extra_conflict_resolved"} <= set(eff.indicator)
    # each run's summary.json counts its horizon as the aggregate does by default
    run = json.loads((d / res["run_id"].iloc[-1] / "summary.json").read_text())["horizon"]
    costs = pd.read_csv(d / "cost_account.csv")
    portierato = costs[(costs.scenario == "portierato") & (costs.payer == "all") & (costs.measure == "cost_eur")]
    assert run["window"] == {"start_week": 0, "end_week": 26, "years": 0.5}
    assert run["costs"]["payers"]["all"]["cost_eur"] == pytest.approx(portierato["mean"].item())
    meta = json.loads((d / "sweep_meta.json").read_text())
    assert meta["experiment"] == "smoke" and meta["seeds"] == [0, 1, 2, 3, 4] and meta["steps"] == 26
    assert "cohesion_index" in (d / "headline.txt").read_text()  # the headline table


def test_rerunning_a_complete_sweep_runs_nothing(smoke, tmp_path):
    d = tmp_path / "copy"
    shutil.copytree(smoke, d)  # not the shared one: other tests read it meanwhile
    before = done_markers(d)
    again = sweep(d, *SMOKE, workers=2)
    assert again.returncode == 0, again.stderr[-3000:]
    assert done_markers(d) == before
    assert "10 of 10 runs completed" in again.stderr


def test_one_and_two_workers_give_the_same_aggregate(smoke, tmp_path):
    d1 = tmp_path / "one"
    run = sweep(d1, *SMOKE, workers=1)
    assert run.returncode == 0, run.stderr[-3000:]
    assert aggregate(d1).returncode == 0
    assert_same_aggregate(smoke, d1)


def test_killed_sweep_resumes_only_missing_runs(smoke, tmp_path):
    d = tmp_path / "killed"
    cmd = [sys.executable, "-m", "experiments.run", "-m", *SMOKE, f"hydra.sweep.dir={d}", "hydra.launcher.n_jobs=1"]
    with open(tmp_path / "log.txt", "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 900
        while proc.poll() is None and len(done_markers(d)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, mid-run
        proc.wait()
    done = done_markers(d)
    if len(done) == 10:  # finished before the kill landed: take the last runs away instead
        for rid in sorted(done)[-4:]:
            (d / rid / "DONE").unlink()
        done = done_markers(d)
    assert 0 < len(done) < 10
    rerun = sweep(d, *SMOKE, workers=1)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    after = done_markers(d)
    assert len(after) == 10
    assert {rid: after[rid] for rid in done} == done  # completed runs were not run again
    assert aggregate(d).returncode == 0
    assert_same_aggregate(smoke, d)


def test_failing_runs_are_reported_and_the_others_complete(tmp_path):
    d = tmp_path / "failing"

    def rid(asks, seed):
        return f"help.max_asks={asks},neighbourhood=acer_estate,policy=baseline,steps=26/seed{seed}"

    # one scenario is out of range (caught by the validation inside the job); one run cannot write its
    # results (a directory stands where its timeseries file goes)
    (d / rid(3, 1) / "timeseries.parquet").mkdir(parents=True)
    run = sweep(d, *SMOKE, "policy=baseline", "help.max_asks=3,21", "seed=0,1", workers=2)
    assert run.returncode != 0
    ok = d / rid(3, 0)
    assert (ok / "DONE").exists() and not (ok / "error.txt").exists()
    for r in (rid(21, 0), rid(21, 1)):
        err = (d / r / "error.txt").read_text()
        assert "Traceback" in err and "help.max_asks" in err and "21" in err
        assert not (d / r / "DONE").exists()
        assert r in run.stderr
    err = (d / rid(3, 1) / "error.txt").read_text()
    assert "Traceback" in err and "IsADirectoryError" in err
    assert not (d / rid(3, 1) / "DONE").exists()
    assert "3 failed" in run.stderr

    agg = aggregate(d)
    assert agg.returncode == 1
    status = json.loads((d / "sweep_status.json").read_text())
    assert status["expected"] == 4 and status["completed"] == [rid(3, 0)] and status["missing"] == []
    failed = {f["run_id"]: f["error"] for f in status["failed"]}
    assert set(failed) == {rid(21, 0), rid(21, 1), rid(3, 1)}
    assert failed[rid(21, 0)].startswith("abm.errors.ConfigError: invalid input at 'help.max_asks': got 21")
    assert "FAILED" in agg.stderr and rid(21, 1) in agg.stderr
    assert results(d)["run_id"].unique().tolist() == [rid(3, 0)]
    summary = pd.read_csv(d / "summary.csv")
    assert (summary[summary.scenario == "help.max_asks=21"]["n"] == 0).all()
    assert (summary[summary.scenario == "help.max_asks=3"]["n"] <= 1).all()


def test_submitit_local_runs_the_smoke_sweep(smoke, tmp_path):
    d = tmp_path / "submitit"
    run = sweep(d, *SMOKE, "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=30", workers=None)
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(done_markers(d)) == 10
    assert aggregate(d).returncode == 0
    assert_same_aggregate(smoke, d)  # same numbers whatever the launcher


def test_summary_intervals_are_t_based(smoke):
    d = smoke
    res = results(d)
    last = res[res.step == res.step.max()]
    summary = pd.read_csv(d / "summary.csv")
    summary = summary[summary.statistic == "last_week"].set_index(["scenario", "indicator"])
    from scipy import stats

    for (sc, ind), g in last.groupby(["scenario", "indicator"]):
        x = g["value"].dropna()
        row = summary.loc[(sc, ind)]
        assert row["n"] == len(x)
        if len(x) > 1 and x.std() > 0:
            lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=x.std(ddof=1) / math.sqrt(len(x)))
            assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-8, abs=1e-12)
