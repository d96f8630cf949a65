"""Each summary statistic of experiments/statistics.py on a small hand-built run, with the value worked out by
hand; the argument checks a target's statistic goes through before any simulation."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from abm.errors import ConfigError
from abm.indicators import BY_TYPE
from abm.vocabulary import HOUSEHOLD_TYPES, TYPE_CODE
from experiments import statistics as st
from experiments.statistics import Run

WEEKS = 3 * 52


def frame(**columns) -> pd.DataFrame:
    """A timeseries of weeks 0..156 with the given columns (arrays of 157 values)."""
    return pd.DataFrame({"step": np.arange(WEEKS + 1), **columns})


def test_mean_over_years_averages_the_weeks_of_those_years_only():
    # week w has value w: years 2 and 3 are weeks 53..156, whose mean is (53 + 156) / 2
    run = Run(timeseries=frame(isolated_share=np.arange(WEEKS + 1, dtype=float)))
    assert st.mean_over_years(run, "isolated_share", [2, 3]) == pytest.approx((53 + 156) / 2)
    assert st.mean_over_years(run, "isolated_share", [1]) == pytest.approx((1 + 52) / 2)  # week 0 is not year 1


def test_mean_over_years_leaves_nan_weeks_out_and_is_nan_if_all_are():
    x = np.full(WEEKS + 1, np.nan)
    assert np.isnan(st.mean_over_years(Run(timeseries=frame(conflicts_resolved_share=x)),
                                       "conflicts_resolved_share", [1]))
    x[10], x[20] = 0.2, 0.4
    assert st.mean_over_years(Run(timeseries=frame(conflicts_resolved_share=x)),
                              "conflicts_resolved_share", [1]) == pytest.approx(0.3)


def test_a_year_the_run_does_not_have_is_an_error():
    run = Run(timeseries=frame(isolated_share=np.zeros(WEEKS + 1)))
    with pytest.raises(ValueError, match="week 157"):
        st.mean_over_years(run, "isolated_share", [4])
    with pytest.raises(ValueError, match="week 208"):
        st.year_end_mean(run, "isolated_share", [4])


def test_year_end_mean_reads_the_last_week_of_each_year():
    x = np.zeros(WEEKS + 1)
    x[52], x[104], x[156] = 10.0, 4.0, 3.0
    run = Run(timeseries=frame(turnover_per_year=x))
    assert st.year_end_mean(run, "turnover_per_year", [2, 3]) == pytest.approx(3.5)
    assert st.year_end_mean(run, "turnover_per_year", [1]) == pytest.approx(10.0)


def test_group_mean_over_years_reads_one_type_of_one_indicator():
    steps = np.arange(WEEKS + 1)
    rows = []
    for ind in BY_TYPE:
        for t in HOUSEHOLD_TYPES:
            # elderly_alone's needs_unmet_share is 0.5 in year 1 and 0.2 afterwards; everything else 9
            v = np.where(steps <= 52, 0.5, 0.2) if (ind, t) == ("needs_unmet_share", "elderly_alone") else 9.0
            rows.append(pd.DataFrame({"step": steps, "household_type": t, "indicator": ind,
                                      "value": np.broadcast_to(v, steps.shape)}))
    run = Run(by_group=pd.concat(rows, ignore_index=True))
    assert st.group_mean_over_years(run, "needs_unmet_share", "elderly_alone", [2, 3]) == pytest.approx(0.2)
    assert st.group_mean_over_years(run, "needs_unmet_share", "elderly_alone", [1]) == pytest.approx(0.5)


# --- statistics of the model at the end of the run: a hand-built model with the public state they read ---------
def fake_model(htype, age, degree, strong_degree=None, moved_in=None, week=156, levers=(), activity=None):
    n = len(htype)
    occupied = np.ones(n, dtype=bool)
    occupied[-1] = False  # the last unit is empty: never counted
    hh = SimpleNamespace(htype=np.array([TYPE_CODE[t] for t in htype]), age_head=np.array(age, dtype=float),
                         occupied=occupied, moved_in=np.array(moved_in if moved_in is not None else [0] * n))

    def deg(threshold=None):
        return np.array(degree if threshold is None else strong_degree)

    return SimpleNamespace(households=hh, ties=SimpleNamespace(degree=deg), week=week, levers=list(levers),
                           config=SimpleNamespace(encounters=SimpleNamespace(strong_threshold=0.5)),
                           lever_activity=lambda: activity or {})


def test_isolated_share_aged_counts_heads_of_the_type_and_age_with_no_tie():
    m = fake_model(htype=["elderly_alone", "elderly_alone", "elderly_alone", "elderly_alone", "single_adult",
                          "elderly_alone"],
                   age=[80, 76, 90, 70, 80, 85], degree=[0, 2, 0, 0, 0, 0])
    # 75+ elderly living alone among occupied units: 80 (isolated), 76 (tied), 90 (isolated); 70 is too young,
    # the single adult is another type, the last unit is empty
    assert st.isolated_share_aged(Run(m), "elderly_alone", 75) == pytest.approx(2 / 3)
    assert np.isnan(st.isolated_share_aged(Run(m), "young_sharers", 75))


def test_strong_tie_share_uses_the_strong_threshold_degree():
    m = fake_model(htype=["single_adult"] * 5, age=[40] * 5, degree=[3, 2, 1, 0, 9], strong_degree=[1, 0, 0, 0, 9])
    assert st.strong_tie_share(Run(m)) == pytest.approx(1 / 4)


def test_tenancy_longer_than_share_counts_arrivals_before_the_cutoff():
    # at week 156, more than 2 years = moved in before week 52
    m = fake_model(htype=["single_adult"] * 5, age=[40] * 5, degree=[0] * 5, moved_in=[0, 51, 52, 100, -500])
    assert st.tenancy_longer_than_share(Run(m), 2) == pytest.approx(2 / 4)


def test_no_support_share_aged_counts_no_tie_and_no_kin():
    m = fake_model(htype=["elderly_alone"] * 5 + ["single_adult", "elderly_alone"],
                   age=[80, 80, 80, 80, 70, 80, 80], degree=[0, 0, 3, 0, 0, 0, 0])
    m.households.kin = np.array([False, True, False, False, False, False, False])
    # 75+ lone elderly among occupied units: units 0-3; unit 0 (no tie, no kin) and unit 3 (the same) have
    # nobody; unit 1 has kin, unit 2 a tie; unit 4 is too young, unit 5 another type, unit 6 empty
    assert st.no_support_share_aged(Run(m), "elderly_alone", 75) == pytest.approx(2 / 4)
    assert np.isnan(st.no_support_share_aged(Run(m), "new_migrant", 75))


def test_participation_share_year_counts_the_last_52_weeks():
    # at week 156 the window is weeks 105..156: 105 and 156 count, 104 and never do not; the empty unit never
    m = fake_model(htype=["single_adult"] * 5, age=[40] * 5, degree=[0] * 5)
    m.households.last_participation = np.array([105, 156, 104, -10**6, 150])
    assert st.participation_share_year(Run(m)) == pytest.approx(2 / 4)


def test_helping_tie_share_is_the_chance_that_one_tie_says_yes():
    # ties 0-1, 0-2, 1-3; willingness p_yes depends on the helper only: 0.5, 0.4, 0.2, 0.1 for units 0..3
    # (unit 4 empty); unit 0 asks 1 and 2: 1 - 0.6 x 0.8 = 0.52; unit 1 asks 0 and 3: 1 - 0.5 x 0.9 = 0.55;
    # unit 2 asks 0: 0.5; unit 3 asks 1: 0.4; mean over the 4 occupied units
    m = fake_model(htype=["single_adult"] * 5, age=[40] * 5, degree=[2, 2, 1, 1, 0])
    p_of = np.array([0.5, 0.4, 0.2, 0.1, 0.0])
    asked = []

    def willingness(model, helper, edge, hours):
        asked.append(np.asarray(hours))
        return p_of[helper]

    m.ties = type("T", (), {"u": np.array([0, 0, 1]), "v": np.array([1, 2, 3]), "__len__": lambda self: 3})()
    m.help = SimpleNamespace(willingness=willingness)
    assert st.helping_tie_share(Run(m), 3.0) == pytest.approx((0.52 + 0.55 + 0.5 + 0.4) / 4)
    assert all((h == 3.0).all() for h in asked)


def test_helping_tie_share_of_a_real_model_counts_tie_less_households_as_zero(model_factory):
    m = model_factory("spinup=short", "steps=4")
    for _ in range(4):
        m.step()
    isolated = float(np.mean(m.ties.degree()[m.households.occupied] == 0))
    small, large = st.helping_tie_share(Run(m), 0.5), st.helping_tie_share(Run(m), 6.0)
    # below 1 - isolated share (a tie-less household counts 0), and lower for a larger need (size aversion)
    assert 0 < large < small < 1 - isolated


def test_timebank_statistics_read_the_members_of_the_bank():
    bank = SimpleNamespace(name="timebank", members=SimpleNamespace(slots=lambda: np.array([0, 2, 3])))
    other = SimpleNamespace(name="mediation")
    m = fake_model(htype=["single_adult"] * 5, age=[70, 30, 61, 59, 99], degree=[0] * 5, levers=[other, bank])
    assert st.timebank_members(Run(m)) == 3
    assert st.timebank_members_aged_share(Run(m), 60) == pytest.approx(2 / 3)
    without = fake_model(htype=["single_adult"] * 3, age=[70] * 3, degree=[0] * 3, levers=[other])
    assert np.isnan(st.timebank_members(Run(without)))
    assert np.isnan(st.timebank_members_aged_share(Run(without), 60))


def test_lever_acts_per_100_year_annualises_the_counts_per_household():
    # 4 households, 104 weeks, 3 referrals + 5 escalations: 8 / 4 per 2 years = 100 per 100 households a year
    m = fake_model(htype=["single_adult"] * 5, age=[40] * 5, degree=[0] * 5, week=104,
                   activity={"mediation": {"referrals": 3, "escalations": 5, "cases": 40, "payer": "municipality"}})
    assert st.lever_acts_per_100_year(Run(m), "mediation", ["referrals", "escalations"]) == pytest.approx(100.0)
    assert np.isnan(st.lever_acts_per_100_year(Run(m), "timebank", ["joined"]))


def test_frames_come_from_a_real_model_when_not_given(model_factory):
    m = model_factory("steps=53", "spinup.min_weeks=4", "spinup.max_weeks=4")
    for _ in range(53):
        m.step()
    run = Run(m)
    assert list(run.timeseries["step"]) == list(range(54))
    ts = run.timeseries.set_index("step")
    assert st.year_end_mean(run, "turnover_per_year", [1]) == ts.loc[52, "turnover_per_year"]
    assert set(run.by_group["household_type"]) == set(HOUSEHOLD_TYPES)


# --- checks before any run ---------------------------------------------------------------------------------------
BAD_ARGS = [
    ("no_such_statistic", {}, "t.statistic"),
    ("mean_over_years", {"indicator": "isolated_share"}, "t.args"),                      # years missing
    ("mean_over_years", {"indicator": "isolated_share", "years": [1], "x": 1}, "t.args"),  # unknown argument
    ("mean_over_years", {"indicator": "isolation", "years": [1]}, "t.args.indicator"),
    ("mean_over_years", {"indicator": "isolated_share", "years": [0]}, "t.args.years"),
    ("mean_over_years", {"indicator": "isolated_share", "years": [4]}, "t.args.years"),   # beyond 156 weeks
    ("group_mean_over_years", {"indicator": "clustering", "household_type": "elderly_alone", "years": [1]},
     "t.args.indicator"),                                                                # not a by-type indicator
    ("isolated_share_aged", {"household_type": "hermit", "min_age": 75}, "t.args.household_type"),
    ("isolated_share_aged", {"household_type": "elderly_alone", "min_age": -1}, "t.args.min_age"),
    ("helping_tie_share", {"hours": -1.0}, "t.args.hours"),
    ("lever_acts_per_100_year", {"lever": "porter", "acts": ["cases"]}, "t.args.lever"),
    ("lever_acts_per_100_year", {"lever": "mediation", "acts": []}, "t.args.acts"),
]


@pytest.mark.parametrize("name,args,key", BAD_ARGS, ids=[f"{b[0]}-{b[2]}-{i}" for i, b in enumerate(BAD_ARGS)])
def test_bad_statistics_and_arguments_are_refused_naming_the_key(name, args, key):
    with pytest.raises(ConfigError) as e:
        st.check_args("t", name, args, steps=WEEKS)
    assert e.value.key == key


def test_lever_counts_and_the_lever_itself_are_checked_on_a_built_model(model_factory):
    with_mediation = model_factory("policy=mediation", "spinup.min_weeks=0", "spinup.max_weeks=0")
    st.check_args("t", "lever_acts_per_100_year", {"lever": "mediation", "acts": ["escalations"]}, model=with_mediation)
    with pytest.raises(ConfigError) as e:
        st.check_args("t", "lever_acts_per_100_year", {"lever": "mediation", "acts": ["escalation"]},
                      model=with_mediation)
    assert e.value.key == "t.args.acts[0]" and "escalations" in e.value.allowed
    baseline = model_factory("spinup.min_weeks=0", "spinup.max_weeks=0")
    with pytest.raises(ConfigError) as e:
        st.check_args("t", "timebank_members_aged_share", {"min_age": 60}, model=baseline)
    assert e.value.key == "t.scenario" and "policy=timebank" in e.value.allowed
