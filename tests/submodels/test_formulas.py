"""Unit formulas computed by hand from docs/ODD.md, not only their whole-model effects: willingness to help
(7.5), the conflict hazard (7.7) and the probability that an encounter starts a tie (7.3)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import make_model


@pytest.fixture
def model():
    """acer_estate at week 0 with the default parameters (willingness 0.7, reciprocity_weight 0.1, ...)."""
    return make_model(seed=5, collect=False)


def _occupied_pair(m, same_stairwell: bool = True):
    occ = np.flatnonzero(m.households.occupied)
    i = int(occ[0])
    j = int(next(u for u in occ[1:] if (m.space.stairwell.of_unit[u] == m.space.stairwell.of_unit[i]) == same_stairwell))
    return i, j


def _tie(m, i, j, strength):
    m.ties.remove_slots(np.array([i, j]))
    m.ties.add(np.array([i]), np.array([j]), strength, 0)
    return int(m.ties.find(np.array([i]), np.array([j]))[0])


# --- willingness (ODD 7.5) ------------------------------------------------------------------------------
# defaults: willingness 0.7, strength_floor 0.05, strength_exponent 2, size_aversion 0.5, trust_offset 0.5,
# helper_fragility_weight 0.5, reciprocity_weight 0.1 (clip 0.2 .. 2)
def test_willingness_of_a_tie_by_hand(model):
    m = model
    i, j = _occupied_pair(m)  # i asks, j may help
    e = _tie(m, i, j, 0.5)
    m.ties.record_help(np.array([e]), np.array([i]), np.array([4.0]), 0)  # j received 4 hours from i
    m.ties.record_help(np.array([e]), np.array([j]), np.array([1.0]), 0)  # and gave 1: j owes 3
    m.households.trust[j] = 0.3
    m.households.fragility[j] = 0.4
    m.households.help_hours[j] = 2.0
    m.help.free_hours[j] = 1.0  # half of its weekly help hours left
    # 0.7 x (0.05 + 0.95 x 0.5^2) x (0.5 + 0.3) x clip(1 + 0.1 x 3, 0.2, 2) x (1 - 0.5 x 0.4) x clip(1 / 2, 0, 1)
    expected = 0.7 * 0.2875 * 0.8 * 1.3 * 0.8 * 0.5
    assert m.help.willingness(m, np.array([j]), np.array([e]))[0] == pytest.approx(expected, rel=1e-12)
    # a need of 2 hours: x exp(-0.5 x (1 - 0.5) x 2)
    got = m.help.willingness(m, np.array([j]), np.array([e]), np.array([2.0]))[0]
    assert got == pytest.approx(expected * math.exp(-0.5), rel=1e-12)


def test_willingness_clips_reciprocity_and_probability(model):
    m = model
    i, j = _occupied_pair(m)
    e = _tie(m, i, j, 1.0)
    m.ties.record_help(np.array([e]), np.array([i]), np.array([30.0]), 0)  # j owes 30 hours: factor 1 + 3 -> 2
    m.households.trust[j] = 0.9
    m.households.fragility[j] = 0.0
    m.households.help_hours[j] = m.help.free_hours[j] = 2.0
    # 0.7 x 1.0 x 1.4 x 2 x 1 x 1 = 1.96, clipped to 1; at full strength the size of the need does not matter
    assert m.help.willingness(m, np.array([j]), np.array([e]), np.array([3.0]))[0] == 1.0
    m.ties.record_help(np.array([e]), np.array([j]), np.array([60.0]), 0)  # now i owes 30: factor 1 - 3 -> 0.2
    assert m.help.willingness(m, np.array([j]), np.array([e]), np.array([3.0]))[0] == pytest.approx(
        0.7 * 1.0 * 1.4 * 0.2, rel=1e-12)


def test_willingness_of_a_neighbour_without_a_tie(model):
    m = model
    _, j = _occupied_pair(m)
    m.households.trust[j] = 0.5
    m.households.fragility[j] = 0.2
    m.households.help_hours[j], m.help.free_hours[j] = 4.0, 1.0
    # strength 0 and an empty ledger: 0.7 x 0.05 x (0.5 + 0.5) x 1 x (1 - 0.5 x 0.2) x (1 / 4), x exp(-0.5 x 1 x 1)
    # for a need of one hour
    expected = 0.7 * 0.05 * 1.0 * 0.9 * 0.25
    assert m.help.willingness(m, np.array([j]), None)[0] == pytest.approx(expected, rel=1e-12)
    assert m.help.willingness(m, np.array([j]), None, np.array([1.0]))[0] == pytest.approx(
        expected * math.exp(-0.5), rel=1e-12)
    m.help.free_hours[j] = 0.0  # no free time left: never
    assert m.help.willingness(m, np.array([j]), None)[0] == 0.0


def test_weak_ties_help_rarely_and_mainly_with_small_needs(model):
    """The mechanism, from the formula's parts: willingness rises more than in proportion to strength, and the
    larger the need the more a weak tie's willingness falls relative to a strong tie's."""
    m = model
    i, j = _occupied_pair(m)
    m.households.fragility[j] = 0.3
    m.households.help_hours[j] = m.help.free_hours[j] = 3.0
    def w(strength, hours):
        e = _tie(m, i, j, strength)
        return m.help.willingness(m, np.array([j]), np.array([e]), np.array([hours]))[0]
    assert w(0.25, 1.0) < 0.25 * w(1.0, 1.0)  # a new tie (strength 0.25) helps less than a quarter as often
    ratio_weak = w(0.25, 3.0) / w(0.25, 1.0)
    ratio_strong = w(0.9, 3.0) / w(0.9, 1.0)
    assert ratio_weak < ratio_strong < 1.0


def test_a_frail_helper_is_less_willing(model):
    m = model
    i, j = _occupied_pair(m)
    e = _tie(m, i, j, 0.6)
    m.households.help_hours[j] = m.help.free_hours[j] = 3.0
    m.households.fragility[j] = 0.1
    fit = m.help.willingness(m, np.array([j]), np.array([e]))[0]
    m.households.fragility[j] = 0.9
    frail = m.help.willingness(m, np.array([j]), np.array([e]))[0]
    assert frail == pytest.approx(fit * (1 - 0.5 * 0.9) / (1 - 0.5 * 0.1), rel=1e-12)


# --- conflict hazard (ODD 7.7) ---------------------------------------------------------------------------
def test_conflict_hazard_by_hand(model):
    m = model
    i = int(np.flatnonzero(m.households.occupied)[0])
    m.ties.remove_slots(np.array([i]))  # isolated
    m.households.trust[i] = 0.2
    m.households.size[i] = 5
    m2 = float(m.space.unit_m2[i])
    rooms = max(m2 / 20.0, 1.0)
    over = max(5 / rooms - 1.0, 0.0)
    base = 0.006 * math.exp(1.2 * (1 - 2 * 0.2)) * (1 + 0.4 * over)
    assert m.conflict.hazard(m, np.array([i]))[0] == pytest.approx(base * (1 + 0.6 * 1), rel=1e-12)
    # it used the (unmanaged) courtyard this week, 1.5 times over capacity: crowd = 0.5
    m.encounters.unit.visited[i] = 0
    m.encounters.crowding = np.array([1.5])
    assert m.conflict.hazard(m, np.array([i]))[0] == pytest.approx(base * (1 + 1.5 * 0.5) * 1.6, rel=1e-12)
    m.space.set_managed(np.array([0]), True)  # a manager schedules its use: no crowding friction
    assert m.conflict.hazard(m, np.array([i]))[0] == pytest.approx(base * 1.6, rel=1e-12)
    # a tie: not isolated
    _tie(m, i, int(np.flatnonzero(m.households.occupied)[1]), 0.5)
    assert m.conflict.hazard(m, np.array([i]))[0] == pytest.approx(base, rel=1e-12)


def test_conflict_hazard_is_at_most_one(model):
    m = model
    i = int(np.flatnonzero(m.households.occupied)[0])
    m.conflict.p.base_rate = 0.9
    m.households.trust[i] = 0.0  # 0.9 x e^1.2 > 1
    assert m.conflict.hazard(m, np.array([i]))[0] == 1.0


# --- tie formation (ODD 7.3) -----------------------------------------------------------------------------
def test_tie_formation_probability_by_hand(model):
    m = model
    hh = m.households
    i, j = _occupied_pair(m)
    hh.trust[i], hh.trust[j] = 0.6, 0.3
    hh.origin[i] = hh.origin[j] = 0
    hh.age_head[i], hh.age_head[j] = 70.0, 30.0  # one elderly (65+), one not
    p = m.encounters.formation_probability(m, np.array([i]), np.array([j]))[0]
    # 0.03 x (1 + 1.5: same origin) x (1 + 0.5 x 0: not the same age group) x 4 x 0.6 x 0.3
    assert p == pytest.approx(0.03 * 2.5 * 1.0 * 4 * 0.6 * 0.3, rel=1e-12)
    hh.origin[j], hh.age_head[j] = 1, 65.0  # another origin; 65 is elderly: same age group
    p = m.encounters.formation_probability(m, np.array([i]), np.array([j]))[0]
    assert p == pytest.approx(0.03 * 1.0 * 1.5 * 4 * 0.6 * 0.3, rel=1e-12)
    # at the reference trust 0.5 for both the factor of trust is 1
    hh.trust[i] = hh.trust[j] = 0.5
    assert m.encounters.formation_probability(m, np.array([i]), np.array([j]))[0] == pytest.approx(0.03 * 1.5)


def test_an_encounter_forms_a_tie_at_the_formula_rate():
    """Many encounters of one pair without a tie (each forming it with probability p, then removed again):
    the share that formed one is p within sampling error."""
    m = make_model(seed=6, collect=False)
    hh = m.households
    i, j = _occupied_pair(m)
    hh.trust[i] = hh.trust[j] = 0.7
    p = float(m.encounters.formation_probability(m, np.array([i]), np.array([j]))[0])
    formed, n = 0, 4000
    m.ties.remove_slots(np.array([i, j]))
    for _ in range(n):
        m.encounters.meet(m, np.array([i]), np.array([j]), rng=m.encounters.rng)
        if len(m.ties.neighbours(i)):
            formed += 1
            m.ties.remove_slots(np.array([i]))
    assert abs(formed / n - p) < 4 * math.sqrt(p * (1 - p) / n)
