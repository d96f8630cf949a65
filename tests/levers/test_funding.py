"""Funding: annualising capital, costs by payer (in the model and in summary.json), levers combined."""

from __future__ import annotations

import json

import numpy as np
import pytest
from levers.housing_runs import assert_same_as_baseline, check_bad_value, config, run
from hypothesis import given
from hypothesis import strategies as st

from abm.levers.funding import annuity, outlay_per_year
from abm.vocabulary import PAYERS
from experiments.outputs import write_run


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
    assert 0 < hours <= cfg.policy.portierato.hours_per_week * 40 + 1e-9
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
