"""Funding: annualising capital, costs by payer (in the model and in summary.json), levers combined, and what
each lever spends week by week (``Lever.costs``, the run's ``costs.parquet``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from levers.housing_runs import assert_same_as_baseline, check_bad_value, config, run
from hypothesis import given
from hypothesis import strategies as st

from abm.levers.funding import annuity, outlay_per_year, outlay_this_week
from abm.vocabulary import PAYERS
from experiments.outputs import COST_SCHEMA, write_run


@given(capital=st.floats(1.0, 1e7), rate=st.floats(0.0, 0.2), years=st.integers(1, 60))
def test_annuity_repays_the_capital(capital, rate, years):
    a = annuity(capital, rate, years)
    # the present value of the instalments is the capital, and they never fall below straight-line repayment
    pv = sum(a / (1.0 + rate) ** t for t in range(1, years + 1))
    assert pv == pytest.approx(capital, rel=1e-9)
    assert a >= capital / years * (1 - 1e-12)


def test_outlay_spreads_each_cost_over_its_works():
    # one unit of 52k over 26 weeks from week 1: 2k a week, i.e. 104k a year while it lasts
    assert outlay_per_year(52_000.0, np.array([1]), 26, 10) == pytest.approx(52_000.0 * 10 / 26 * 52 / 11)
    assert outlay_per_year(52_000.0, np.array([1]), 26, 52) == pytest.approx(52_000.0)  # all of it within the year
    assert outlay_per_year(52_000.0, np.array([1]), 26, 80) == pytest.approx(0.0)  # works ended over a year ago
    # a steady programme: u units a year at c each costs u x c a year
    starts = np.arange(0, 520, 13)
    assert outlay_per_year(10_000.0, starts, 20, 300) == pytest.approx(4 * 10_000.0)


ALL_OFF = ("policy.shared_services.enabled=false", "policy.regeneration.enabled=false",
           "policy.ers_fund.enabled=false", "policy.allocation.enabled=false", "policy.funding.interest_rate=0.1",
           "policy.regeneration.units_per_year=30", "policy.ers_fund.delay_weeks=2", "policy.allocation.coop_share=0.5")


def test_every_housing_lever_present_but_off_is_baseline():
    assert_same_as_baseline(12, *ALL_OFF)


def test_levers_combine_and_costs_add_up_by_payer(tmp_path):
    cfg = config("policy=regeneration", "policy.shared_services.enabled=true", "policy.ers_fund.enabled=true",
                 "policy.ers_fund.delay_weeks=8", "policy.allocation.enabled=true", "policy.regeneration.payer=sieg",
                 "policy.shared_services.payer=foundations", "steps=20")
    m = run(cfg, 4, 20, collect=True)
    assert sorted(lever.name for lever in m.levers) == ["allocation", "ers_fund", "regeneration", "shared_services"]
    ind = m.indicators()
    by_payer = m.costs_by_payer()
    assert set(by_payer) == set(PAYERS)
    assert sum(by_payer.values()) == pytest.approx(ind["cost_year_total"])
    assert by_payer["sieg"] == pytest.approx(ind["cost_year_regeneration"])
    assert by_payer["foundations"] == pytest.approx(ind["cost_year_shared_services"])
    assert by_payer["ers_fund"] == pytest.approx(ind["cost_year_ers_fund"]) and by_payer["ers_fund"] > 0
    assert ind["units_created"] >= 16
    write_run(tmp_path, m, m.config)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["costs_by_payer"] == pytest.approx(by_payer)


def test_bad_payer_and_interest_rate():
    check_bad_value("baseline", "policy.funding.interest_rate", -0.01, "policy.funding.interest_rate")
    check_bad_value("baseline", "policy.shared_services.payer", "bank", "policy.shared_services.payer")


def test_summary_reports_what_each_lever_did(tmp_path):
    cfg = config("policy=full_package", "policy.ers_fund.delay_weeks=8", "policy.regeneration.delay_weeks=8")
    model = run(cfg, seed=1, steps=40, collect=True)
    write_run(tmp_path, model, cfg)
    summary = json.loads((tmp_path / "summary.json").read_text())
    levers = summary["levers"]
    assert set(levers) == {"portierato", "mediation", "shared_services", "timebank", "community_coop",
                           "coop_governance", "regeneration", "ers_fund", "allocation"}
    for name, lever in levers.items():
        assert lever["payer"] in PAYERS
        if f"cost_year_{name}" in summary["indicators"]:
            assert lever["cost_year"] == pytest.approx(summary["indicators"][f"cost_year_{name}"]), name
    p = levers["portierato"]
    hours = sum(v for k, v in p.items() if k.startswith("hours_"))
    assert 0 < hours <= cfg.policy.portierato.hours_per_week * p["covered_buildings"] * 40 + 1e-9  # hours per building
    assert p["events"] > 0 and 0 < p["brokered"] <= p["broker_attempts"] and p["covered_units"] > 0
    m = levers["mediation"]
    assert m["agreements"] + m["no_agreement"] == m["joint_meetings"] <= m["cases"]
    assert levers["timebank"]["members"] > 0 and levers["timebank"]["hours_exchanged"] >= 0
    assert levers["community_coop"]["alive"] in (True, False) and levers["community_coop"]["members"] >= 0
    assert levers["ers_fund"]["units_delivered"] > 0 and levers["regeneration"]["units_finished"] > 0
    assert levers["allocation"]["first_lettings"] > 0


def test_baseline_summary_has_no_levers(tmp_path):
    cfg = config()
    write_run(tmp_path, run(cfg, seed=1, steps=2, collect=True), cfg)
    assert json.loads((tmp_path / "summary.json").read_text())["levers"] == {}


# --- week by week --------------------------------------------------------------------------------------------
def test_weekly_outlay_spreads_each_cost_over_its_works():
    starts = np.array([1, 10, 30])
    spent = np.stack([outlay_this_week(52_000.0, starts, 26, w) for w in range(0, 80)])
    assert spent.sum(axis=0) == pytest.approx([52_000.0] * 3)  # each unit's cost, all of it, once
    assert spent[1:27, 0] == pytest.approx([2_000.0] * 26) and spent[27:, 0].sum() == 0 and spent[0, 0] == 0
    # the trailing year of weekly outlays is the yearly outlay rate, once a year has passed
    assert spent[20:72].sum() == pytest.approx(outlay_per_year(52_000.0, starts, 26, 71))
    assert outlay_this_week(9.0, np.array([5]), 0, 5) == pytest.approx([9.0])  # no works weeks: all at the start


def _spent(model):
    import pandas as pd

    return pd.DataFrame(model.datacollector.get_table_dataframe("costs"))


def test_each_lever_spends_what_its_parameters_say_week_by_week():
    steps = 60
    cfg = config("policy=full_package", "policy.ers_fund.delay_weeks=8", "policy.regeneration.delay_weeks=8",
                 "policy.mediation.cost_per_case=100", "policy.portierato.buildings=[A,B,C,D]", f"steps={steps}")
    m = run(cfg, seed=2, steps=steps, collect=True)
    c = _spent(m)
    lever = {lv.name: lv for lv in m.levers}
    total = c.groupby(["lever", "kind"])["eur"].sum()
    p = cfg.policy
    # staff levers: a week of staff (hours x hourly cost x (1 + overhead)) in each open week of weeks 1..steps
    # (week w is week (w - 1) mod 52 + 1 of the year), nothing in week 0 nor in a closed week
    week = lambda hours, q: hours * q.hourly_cost * (1 + q.overhead_share)  # noqa: E731
    open_weeks = lambda q: sum((w - 1) % 52 + 1 not in q.closed_weeks for w in range(1, steps + 1))  # noqa: E731
    staff = lambda q, hours: week(hours, q) * open_weeks(q)  # noqa: E731
    portierato_hours = p.portierato.hours_per_week * 4  # hours per covered building: A, B, C, D (not the new one)
    assert total["portierato", "running"] == pytest.approx(staff(p.portierato, portierato_hours))
    assert total["coop_governance", "running"] == pytest.approx(staff(p.coop_governance, p.coop_governance.hours_per_week))
    assert total["timebank", "running"] == pytest.approx(
        staff(p.timebank, p.timebank.hours_per_week) + p.timebank.fixed_cost_year * steps / 52)
    assert c[c.step == 0]["kind"].eq("capital").all()
    # mediation: staff plus the fee of every case it took; allocation: an assessment per letting
    assert total["mediation", "running"] == pytest.approx(
        staff(p.mediation, p.mediation.hours_per_week) + 100 * lever["mediation"].acts["cases"])
    alloc = lever["allocation"].summary()
    assert total["allocation", "running"] == pytest.approx(
        p.allocation.cost_per_letting * (alloc["let_from_list"] + alloc["let_to_members"]))
    # shared services: their set-up at week 0 (capital), running costs from week 1
    spaces = p.shared_services.spaces
    setup = c[(c.lever == "shared_services") & (c.kind == "capital")]
    assert setup["step"].tolist() == [0] and setup["eur"].sum() == pytest.approx(sum(s.setup_cost for s in spaces))
    assert set(setup["asset"]) == {"shared_space"}
    assert total["shared_services", "running"] == pytest.approx(sum(s.running_cost_year for s in spaces) * steps / 52)
    # the ERS building: all its units x cost over its 8 weeks of works, capital creating new units
    ers = c[c.lever == "ers_fund"]
    units = lever["ers_fund"].units_per_building
    assert ers["eur"].sum() == pytest.approx(units * p.ers_fund.cost_per_unit)
    assert ers["step"].tolist() == list(range(8)) and set(ers["asset"]) == {"new_units"}
    assert set(ers["service_week"]) == {8} and set(ers["kind"]) == {"capital"}
    # regeneration: each started unit's cost in proportion to its weeks of works so far
    regen = lever["regeneration"]
    done = np.minimum(steps - regen.started + 1, 8) / 8
    works = c[(c.lever == "regeneration") & (c.kind == "capital") & (c.asset == "regenerated_units")]
    assert works["eur"].sum() == pytest.approx(p.regeneration.cost_per_unit * done.sum())
    assert set(works["service_week"]) <= set((regen.started + 8).tolist())
    # the community cooperative's fees and sales are paid by residents, its contract by the contract's payer,
    # the rest by its payer
    coop = c[c.lever == "community_coop"]
    assert set(coop["payer"]) <= {"residents", p.community_coop.contract_payer, p.community_coop.payer}
    assert (coop["eur"] > 0).all()
    # over the last year a constant-rate lever spends its yearly cost
    last = c[c.step > steps - 52].groupby("lever")["eur"].sum()
    for name in ("portierato", "timebank", "coop_governance"):
        assert last[name] == pytest.approx(lever[name].yearly_cost())
    assert set(c["payer"]) <= set(PAYERS) and set(c["kind"]) <= {"running", "capital"}


def test_a_baseline_spends_nothing_and_costs_are_written(tmp_path):
    import pyarrow.parquet as pq

    cfg = config()
    m = run(cfg, seed=1, steps=3, collect=True)
    assert _spent(m).empty
    write_run(tmp_path, m, cfg)
    table = pq.read_table(tmp_path / "costs.parquet")
    assert table.num_rows == 0 and table.schema.equals(COST_SCHEMA, check_metadata=False)
