"""Participation (ODD 7.12): one attendance rule computed by hand; residents' own activities exist without any
lever, grow with engagement and gather the organiser's building; only the participation submodel marks who
took part or volunteered."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from conftest import make_model

ABM = Path(__file__).resolve().parents[2] / "abm"


@pytest.fixture
def model():
    """acer_estate at week 0 with the default parameters (trust_weight 1, fragility_weight 0.9)."""
    return make_model(seed=3, collect=False)


def _set(m, slots, participation, trust, fragility):
    hh = m.households
    hh.participation[slots], hh.trust[slots], hh.fragility[slots] = participation, trust, fragility


def test_attendance_probability_by_hand(model):
    m = model
    i, j, k = np.flatnonzero(m.households.occupied)[:3]
    _set(m, i, 0.3, 0.4, 0.7)
    _set(m, j, 0.5, 0.5, 0.5)  # the reference household: the probability is the appeal
    _set(m, k, 0.9, 0.9, 0.0)
    slots = np.array([i, j, k])
    p = m.participation.probability(m, slots, 0.2, invited=np.array([True, False, False]), factor=2.0)
    # i: 0.2 x 0.3/0.5 x (0 + 1 x 0.4/0.5) x (0.1 + 0.9 x 0.3/0.5) x 2 = 0.2 x 0.6 x 0.8 x 0.64 x 2
    # k: 0.2 x 1.8 x 1.8 x (0.1 + 0.9 x 2) = 1.2312, clipped to 1
    assert p == pytest.approx([0.2 * 0.6 * 0.8 * 0.64 * 2, 0.2, 1.0])
    # an appeal per household (e.g. a time-bank member's activity) enters the same way
    p = m.participation.probability(m, slots, np.array([0.1, 0.4, 0.0]))
    assert p == pytest.approx([0.1 * 0.6 * 0.8 * 0.64, 0.4, 0.0])


def test_weights_zero_leave_only_the_participation_propensity(model):
    m = model
    m.participation.p.trust_weight = m.participation.p.fragility_weight = 0.0
    i = np.flatnonzero(m.households.occupied)[:1]
    _set(m, i, 0.2, 0.05, 0.95)
    assert m.participation.probability(m, i, 0.3) == pytest.approx([0.3 * 0.4])


def test_realised_attendance_follows_the_rule(model):
    m = model
    slots = np.flatnonzero(m.households.occupied)
    prob = m.participation.probability(m, slots, 0.3)
    rng = np.random.default_rng(1)
    came = np.zeros(len(slots))
    n = 400
    for _ in range(n):
        came += np.isin(slots, m.participation.attend(m, slots, 0.3, rng))
    # the total number of attendances against its expectation (binomial sd), within 4 sd
    assert abs(came.sum() - n * prob.sum()) < 4 * np.sqrt(n * (prob * (1 - prob)).sum())
    assert (m.households.last_participation[slots[came > 0]] == m.week).all()


def test_capacity_caps_attendance(model):
    m = model
    slots = np.flatnonzero(m.households.occupied)
    came = m.participation.attend(m, slots, 1.0, np.random.default_rng(0), invited=np.ones(len(slots), bool),
                                  factor=10.0, capacity=7)
    assert len(came) == 7


def _run(*overrides, seed=0, weeks=52):
    m = make_model(*overrides, seed=seed)
    for _ in range(weeks):
        m.step()
    return m


def test_the_baseline_has_participation_and_volunteering_without_levers():
    # acer_estate has no cooperative and no lever: residents' own activities are the only collective life
    for seed in range(3):
        m = _run("policy=baseline", seed=seed)
        ind = m.indicators()
        assert ind["participation_share"] > 0 and ind["volunteers_share"] > 0
        assert ind["participation_share"] > ind["volunteers_share"]  # organisers and their guests
        assert m.participation.activities > 0 and m.participation.attendances > 0
        off = _run("policy=baseline", "participation.initiative=0", seed=seed).indicators()
        assert off["participation_share"] == off["volunteers_share"] == 0.0


def test_an_activity_gathers_the_organisers_building():
    m = make_model("policy=baseline", seed=4, collect=False)
    building = m.space.unit_building
    hh = m.households
    held = 0
    before = m.participation.activities  # the spin-up's activities are counted too
    for _ in range(52):
        m.step()
        organisers = np.flatnonzero(hh.last_volunteer == m.week)
        came = np.flatnonzero(hh.last_participation == m.week)
        assert set(building[came]) == set(building[organisers])
        held += len(set(building[organisers]))
    assert held == m.participation.activities - before > 0


def test_engagement_breeds_initiative():
    # the same seeds: a household that took part recently is engaged_factor times as likely to organise
    low = [_run("participation.engaged_factor=1", seed=s).participation.activities for s in range(4)]
    high = [_run("participation.engaged_factor=20", seed=s).participation.activities for s in range(4)]
    assert np.mean(high) > np.mean(low)


def test_more_initiative_more_activities_and_participation():
    low = [_run("participation.initiative=0.001", seed=s) for s in range(4)]
    high = [_run("participation.initiative=0.004", seed=s) for s in range(4)]
    assert np.mean([m.participation.activities for m in high]) > np.mean([m.participation.activities for m in low])
    share = [np.mean([m.indicators()["participation_share"] for m in ms]) for ms in (low, high)]
    assert share[1] > share[0]


def test_neighbourhood_scope_holds_at_most_one_activity_a_week():
    m = make_model("participation.scope=neighbourhood", "participation.initiative=0.01", seed=2, collect=False)
    for _ in range(26):
        before = m.participation.activities
        m.step()
        assert m.participation.activities - before <= 1
    assert m.participation.activities > 0


def _calls(name: str) -> list[str]:
    """Files of abm/ that call ``.<name>(``."""
    files = []
    for path in ABM.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == name
               for n in ast.walk(tree)):
            files.append(str(path.relative_to(ABM)))
    return files


@pytest.mark.parametrize("verb", ["took_part", "volunteered"])
def test_only_the_participation_submodel_marks_who_took_part(verb):
    """No lever, cooperative or space marks attendance itself: they add occasions and invitations, and the
    participation rule decides who comes (the issue's audit, ODD 7.11)."""
    assert _calls(verb) == ["submodels/participation.py"]
