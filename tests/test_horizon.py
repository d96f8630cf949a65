"""The horizon account (experiments.horizon) computed by hand on small tables: totals, present value, remaining
value of assets, equivalent annual cost, means over the period and its last year, cumulative effects; and its
settings (Hydra overrides, checked before any work)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from abm.errors import ConfigError
from experiments import horizon
from experiments.horizon import HorizonSettings, cost_account, effects, settings

COLUMNS = ["step", "lever", "payer", "kind", "eur", "asset", "service_week"]


def spent(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def staff_and_works() -> pd.DataFrame:
    """A staff lever paid by the municipality, 100 EUR in each of weeks 1..104; a shared space fitted out at
    week 0 for 5,200 EUR (in service at once); a building's works of 52,000 EUR at week 52 by the ERS fund, in
    service at week 156 (after the window)."""
    rows = [(w, "portierato", "municipality", "running", 100.0, "", -1) for w in range(1, 105)]
    rows += [(0, "shared_services", "municipality", "capital", 5200.0, "shared_space", 0),
             (52, "ers_fund", "ers_fund", "capital", 52000.0, "new_units", 156)]
    return spent(rows)


def test_totals_present_value_and_remaining_value_by_hand():
    s = HorizonSettings(discount_rate=0.05)
    acc = cost_account(staff_and_works(), 0, 104, s)
    all_, ers, muni = acc["payers"]["all"], acc["payers"]["ers_fund"], acc["payers"]["municipality"]
    running_pv = sum(100.0 / 1.05 ** (w / 52) for w in range(1, 105))
    capital_pv = 5200.0 + 52000.0 / 1.05
    # the shared space has lived 2 of its 10 years: 80 % of it is left; the building is not finished: all of it
    residual = 5200.0 * 0.8 + 52000.0
    assert all_["cost_eur"] == pytest.approx(10400.0 + 57200.0)
    assert all_["cost_running_eur"] == pytest.approx(10400.0) and all_["cost_capital_eur"] == pytest.approx(57200.0)
    assert all_["cost_running_pv_eur"] == pytest.approx(running_pv)
    assert all_["cost_capital_pv_eur"] == pytest.approx(capital_pv)
    assert all_["cost_pv_eur"] == pytest.approx(running_pv + capital_pv)
    assert all_["residual_value_eur"] == pytest.approx(residual)
    assert all_["residual_value_pv_eur"] == pytest.approx(residual / 1.05 ** 2)
    net = running_pv + capital_pv - residual / 1.05 ** 2
    assert all_["cost_net_pv_eur"] == pytest.approx(net)
    # equivalent annual cost: the yearly amount that, spent week by week over the window, has that present value
    assert all_["cost_eac_eur"] == pytest.approx(net / sum(1 / 52 / 1.05 ** (w / 52) for w in range(1, 105)))
    # by payer; they add up to all payers
    assert ers["cost_capital_eur"] == pytest.approx(52000.0) and ers["cost_running_eur"] == 0
    assert muni["cost_net_pv_eur"] + ers["cost_net_pv_eur"] == pytest.approx(net)
    assert acc["payers"]["acer"]["cost_eur"] == 0
    # capital by the asset it creates
    assert acc["assets"]["new_units"]["residual_value_eur"] == pytest.approx(52000.0)
    assert acc["assets"]["shared_space"]["residual_value_eur"] == pytest.approx(4160.0)
    assert acc["assets"]["regenerated_units"]["cost_capital_eur"] == 0
    # spending by year of the window: weeks 0..52 (set-up at week 0 counts in the first), then 53..104
    assert acc["by_year"] == {1: {"running": pytest.approx(5200.0), "capital": pytest.approx(57200.0)},
                              2: {"running": pytest.approx(5200.0), "capital": 0.0}}


def test_a_constant_running_cost_has_its_yearly_rate_as_equivalent_annual_cost():
    rows = spent([(w, "timebank", "municipality", "running", 26000.0 / 52, "", -1) for w in range(1, 157)])
    for rate in (0.0, 0.04, 0.2):
        acc = cost_account(rows, 0, 156, HorizonSettings(discount_rate=rate))["payers"]["all"]
        assert acc["cost_eac_eur"] == pytest.approx(26000.0)
        assert acc["residual_value_eur"] == 0 and acc["cost_net_pv_eur"] == acc["cost_pv_eur"]


def test_without_discounting_present_value_is_the_total_and_assets_wear_out():
    s = HorizonSettings(discount_rate=0.0)
    s.asset_life_years.shared_space = 1.0
    acc = cost_account(staff_and_works(), 0, 104, s)["payers"]["all"]
    assert acc["cost_pv_eur"] == pytest.approx(acc["cost_eur"])
    assert acc["residual_value_eur"] == pytest.approx(52000.0)  # the space (1 year) is worn out after 2
    assert acc["cost_eac_eur"] == pytest.approx(acc["cost_net_pv_eur"] / 2)


def test_no_residual_value_counts_capital_as_pure_expense():
    acc = cost_account(staff_and_works(), 0, 104, HorizonSettings(residual_value="none"))["payers"]["all"]
    assert acc["residual_value_eur"] == 0 and acc["cost_net_pv_eur"] == acc["cost_pv_eur"]


def test_a_window_counts_only_its_weeks_and_discounts_from_its_start():
    acc = cost_account(staff_and_works(), 52, 104, HorizonSettings(discount_rate=0.05))["payers"]["all"]
    assert acc["cost_running_eur"] == pytest.approx(100.0 * 53)  # weeks 52..104
    assert acc["cost_capital_pv_eur"] == pytest.approx(52000.0)  # spent at the window's first week


def test_period_and_last_year_means_and_cumulative_effects_by_hand():
    steps = np.arange(105)
    ts = pd.DataFrame({"step": steps, "cohesion_index": steps / 104.0, "isolated_households": np.full(105, 26.0),
                       "needs_met_neighbours_week": np.where(steps > 0, 3.0, 0.0),
                       "conflicts_resolved_week": (steps % 2).astype(float),
                       "reciprocity": np.where(steps > 100, np.nan, 0.5)})
    e = effects(ts, 0, 104, 52)
    assert e["last_week"]["cohesion_index"] == 1.0
    assert e["period_mean"]["cohesion_index"] == pytest.approx(52.5 / 104)  # weeks 1..104
    assert e["last_year_mean"]["cohesion_index"] == pytest.approx(78.5 / 104)  # weeks 53..104
    assert e["period_mean"]["reciprocity"] == 0.5 and math.isnan(e["last_week"]["reciprocity"])  # NaN weeks left out
    assert e["period"] == {"isolated_household_years": pytest.approx(26.0 * 104 / 52),
                           "needs_met_neighbours_total": 312.0, "conflicts_resolved_total": 52.0}
    short = effects(ts, 78, 104, 52)
    assert short["period_mean"]["cohesion_index"] == short["last_year_mean"]["cohesion_index"] == pytest.approx(91.5 / 104)


def test_settings_are_hydra_overrides_checked_before_any_work():
    s = settings(["discount_rate=0.03", "end_week=104", "asset_life_years.new_units=80"])
    assert (s.discount_rate, s.end_week, s.asset_life_years.new_units) == (0.03, 104, 80.0)
    assert settings() == HorizonSettings()
    for bad, key in ((["discout_rate=0.03"], "discout_rate"), (["discount_rate=abc"], "discount_rate"),
                     (["discount_rate=0.9"], "discount_rate"), (["residual_value=linear"], "residual_value"),
                     (["start_week=10", "end_week=5"], "end_week"), (["asset_life_years.new_units=0"], "new_units")):
        with pytest.raises(ConfigError, match=key):
            settings(bad)


def test_a_window_must_fit_the_runs():
    assert HorizonSettings().window(156) == (0, 156)
    assert HorizonSettings(start_week=52, end_week=104).window(156) == (52, 104)
    with pytest.raises(ConfigError, match="end_week"):
        HorizonSettings(end_week=200).window(156)
    with pytest.raises(ConfigError, match="start_week"):
        HorizonSettings(start_week=156).window(156)


def test_every_ratio_reads_a_cumulative_benefit():
    assert {b for b, _ in horizon.CE_RATIOS.values()} == set(horizon.CUMULATIVE)
    assert horizon.headline_statistic("cost_net_pv_eur") == "period"
    assert horizon.headline_statistic("cohesion_index") == "period_mean"
