"""Encounters: ties form by meeting, decay without it; shared-space capacity matters."""

import numpy as np

from conftest import make_model, mean_indicator


def test_without_encounters_ties_only_decay():
    for seed in range(3):
        m = make_model("cooperative.partners_per_assembly=0", "participation.partners=0", seed=seed)  # warm-up builds the ties
        for level in ("landing", "stairwell", "building", "neighbourhood"):  # then nobody meets
            setattr(m.encounters.p, f"rate_{level}", 0.0)
        m.encounters.p.partners_per_visit = 0
        start = len(m.ties)
        assert start > 0
        counts = [start]
        for _ in range(52):
            m.step()
            counts.append(len(m.ties))
            assert (m.ties.born <= 0).all(), "a tie was created without any encounter"
        assert all(b <= a for a, b in zip(counts, counts[1:]))
        assert counts[-1] < 0.8 * start


def test_with_encounters_off_from_the_start_no_tie_ever_forms():
    m = make_model("encounters=none", "cooperative.partners_per_assembly=0", "participation.partners=0", seed=1)
    for _ in range(20):
        m.step()
    assert len(m.ties) == 0


def test_more_shared_space_capacity_gives_more_ties():
    crowded = ("neighbourhood.shared_spaces.0.capacity=2", "neighbourhood.shared_spaces.0.use_probability=0.6",
               "encounters.partners_per_visit=3")
    roomy = ("neighbourhood.shared_spaces.0.capacity=60", "neighbourhood.shared_spaces.0.use_probability=0.6",
             "encounters.partners_per_visit=3")
    small = mean_indicator("ties_mean", *crowded, seeds=range(5), weeks=52)
    large = mean_indicator("ties_mean", *roomy, seeds=range(5), weeks=52)
    assert large > small * 1.1


def test_homophily_raises_same_origin_ties():
    low = mean_indicator("bridging_origin_share", "encounters.homophily_origin=0", seeds=range(4), weeks=26)
    high = mean_indicator("bridging_origin_share", "encounters.homophily_origin=6", seeds=range(4), weeks=26)
    assert high < low


def test_meet_strengthens_existing_ties_and_creates_new_ones():
    m = make_model(seed=2, collect=False)
    t = m.ties
    e = 0
    a, b = int(t.u[e]), int(t.v[e])
    before = t.strength[e]
    m.encounters.meet(m, np.array([a]), np.array([b]))
    assert t.strength[t.find(np.array([a]), np.array([b]))[0]] > before
    occ = np.flatnonzero(m.households.occupied)
    n0 = len(t)
    m.encounters.p.tie_formation = 1.0
    m.households.trust[:] = 1.0
    pairs = np.array([(x, y) for x in occ[:40] for y in occ[40:80] if t.find(np.array([x]), np.array([y]))[0] < 0][:20])
    m.encounters.meet(m, pairs[:, 0], pairs[:, 1])
    assert len(t) == n0 + len(pairs)
