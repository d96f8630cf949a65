"""The aggregate of a posterior ensemble, computed by hand on a synthetic sweep (tests/ensemble_fixture.py):
effects paired by (parameter set, seed), the distribution of the effect over sets, the variance decomposition
(between sets: parameters; within: seed noise), the 90 % prediction interval of the headline, the probability of
improvement and of being the most cost-effective."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.aggregate import aggregate
from experiments.ensemble_stats import decompose, most_cost_effective, ratio_over_sets
from tests.ensemble_fixture import synthetic_sweep

K, S = 4, 3
RNG = np.random.default_rng(20240601)
BASE_COHESION = 0.40 + 0.01 * np.arange(K)[:, None] + 0.003 * np.arange(S)[None, :]
#: portierato's effect on cohesion: 0.05 + a set effect + seed noise
A_SET = np.array([-0.02, 0.01, 0.03, -0.01])
A_NOISE = np.round(RNG.normal(0.0, 0.004, (K, S)), 5)
A_EFFECT = 0.05 + A_SET[:, None] + A_NOISE
#: household-years of isolation avoided (the benefit), per set, the same in every seed; cost per set
BENEFIT = {"portierato": np.array([2.0, 1.0, 0.5, -1.0]), "mediation": np.array([1.0, 3.0, -0.5, -0.2])}
COST = {"baseline": np.zeros((K, S)), "portierato": np.repeat((1000.0 + 100.0 * np.arange(K))[:, None], S, axis=1),
        "mediation": np.full((K, S), 2000.0)}
MISSING = (("portierato", 3, 2),)  # one run of portierato never ran: set 3 has 2 pairs, the design is unbalanced


def levels() -> dict:
    def scenario(cohesion, benefit):
        iso_h = 10.0 - np.repeat(benefit[:, None], S, axis=1)
        return {"cohesion_index": cohesion, "isolated_share": 0.2 - 0.5 * (cohesion - BASE_COHESION),
                "isolated_households": iso_h, "needs_met_neighbours_week": np.ones((K, S)),
                "conflicts_resolved_week": np.zeros((K, S))}
    return {"baseline": scenario(BASE_COHESION, np.zeros(K)),
            "portierato": scenario(BASE_COHESION + A_EFFECT, BENEFIT["portierato"]),
            "mediation": scenario(BASE_COHESION + 0.001 * np.arange(K)[:, None] - 0.0015, BENEFIT["mediation"])}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    d = synthetic_sweep(tmp_path_factory.mktemp("ens") / "sweep", levels(), COST, MISSING)
    return d, aggregate(d)


def by_hand(diffs: np.ndarray):
    """Set means, their mean, the one-way random-effects components and the 90 % prediction interval, with
    explicit sums (NaN: a pair that did not run)."""
    groups = [row[~np.isnan(row)] for row in diffs]
    n_k = np.array([len(g) for g in groups], dtype=float)
    means = np.array([g.mean() for g in groups])
    n, k = n_k.sum(), len(groups)
    msw = sum(((g - m) ** 2).sum() for g, m in zip(groups, means)) / (n - k)
    grand = (n_k * means).sum() / n
    msb = (n_k * (means - grand) ** 2).sum() / (k - 1)
    n0 = (n - (n_k ** 2).sum() / n) / (k - 1)
    between = max(0.0, (msb - msw) / n0)
    mu, sd = means.mean(), means.std(ddof=1)
    half = stats.t.ppf(0.95, k - 1) * sd * math.sqrt(1 + 1 / k)
    return means, mu, sd, (mu - half, mu + half), between, msw


def test_paired_effect_per_set_is_the_mean_over_its_seeds(result):
    d, _ = result
    sets = pd.read_csv(d / "ensemble_sets.csv")
    row = sets[(sets.scenario == "portierato") & (sets.indicator == "cohesion_index") & (sets.statistic == "period_mean")]
    expected = A_EFFECT.copy()
    expected[3, 2] = np.nan  # the run that never ran
    assert row["set"].tolist() == [0, 1, 2, 3] and row["particle"].tolist() == [10, 11, 12, 13]
    assert row["n_pairs"].tolist() == [3, 3, 3, 2]
    np.testing.assert_allclose(row["diff_mean"], np.nanmean(expected, axis=1), rtol=1e-9)


def test_distribution_decomposition_and_interval_by_hand(result):
    d, res = result
    diffs = A_EFFECT.copy()
    diffs[3, 2] = np.nan
    means, mu, sd, (lo, hi), between, within = by_hand(diffs)
    e = pd.read_csv(d / "ensemble_effects.csv").set_index(["scenario", "indicator", "statistic"])
    row = e.loc[("portierato", "cohesion_index", "period_mean")]
    assert (row["n_sets"], row["n_pairs"]) == (4, 11)
    assert row["mean"] == pytest.approx(mu, rel=1e-9) and row["sd_sets"] == pytest.approx(sd, rel=1e-8)
    assert (row["q05"], row["q95"]) == pytest.approx(tuple(np.quantile(means, [0.05, 0.95])), rel=1e-8)
    assert (row["pi_low"], row["pi_high"]) == pytest.approx((lo, hi), rel=1e-8)
    assert row["var_between"] == pytest.approx(between, rel=1e-7) and row["var_within"] == pytest.approx(within, rel=1e-7)
    assert row["parametric_share"] == pytest.approx(between / (between + within), rel=1e-7)
    # the parameters dominate by construction: set effects of sd 0.022, seed noise of sd 0.004
    assert between > 10 * within
    # effects.csv's headline row is the same interval: parametric uncertainty, not seed noise alone
    eff = res["effects"].set_index(["scenario", "indicator", "statistic"]).loc[("portierato", "cohesion_index", "period_mean")]
    assert (eff["diff_mean"], eff["ci_low"], eff["ci_high"]) == pytest.approx((mu, lo, hi), rel=1e-8)
    assert eff["n_pairs"] == 11 and bool(eff["distinguishable"]) == (lo > 0 or hi < 0)
    pooled = stats.t.interval(0.95, 10, loc=np.nanmean(diffs), scale=np.nanstd(diffs, ddof=1) / math.sqrt(11))
    assert hi - lo > pooled[1] - pooled[0]  # wider than the seed-only interval would be


def test_levels_carry_the_same_interval(result):
    d, _ = result
    summary = pd.read_csv(d / "summary.csv").set_index(["scenario", "indicator", "statistic"])
    row = summary.loc[("baseline", "cohesion_index", "period_mean")]
    means, mu, sd, (lo, hi), _, _ = by_hand(BASE_COHESION)
    assert row["n"] == K * S and row["mean"] == pytest.approx(mu) and row["sd"] == pytest.approx(sd)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))


def test_probability_of_improvement_by_hand(result):
    d, _ = result
    e = pd.read_csv(d / "ensemble_effects.csv").set_index(["scenario", "indicator", "statistic"])
    diffs = A_EFFECT.copy()
    diffs[3, 2] = np.nan
    set_means = np.nanmean(diffs, axis=1)
    # higher cohesion is better: sets whose mean effect is above 0; lower isolation is better
    assert e.loc[("portierato", "cohesion_index", "period_mean"), "p_improve"] == pytest.approx((set_means > 0).mean())
    assert e.loc[("portierato", "isolated_share", "period_mean"), "p_improve"] == pytest.approx((set_means > 0).mean())
    med = 0.001 * np.arange(K) - 0.0015  # mediation's cohesion effect per set: two sets below 0, two above
    assert e.loc[("mediation", "cohesion_index", "period_mean"), "p_improve"] == pytest.approx((med > 0).mean()) == 0.5
    # no desirable direction for a cost: no probability
    assert math.isnan(e.loc[("portierato", "cost_net_pv_eur", "period"), "p_improve"])


def test_probability_of_being_the_most_cost_effective_by_hand(result):
    d, _ = result
    best = pd.read_csv(d / "ensemble_best.csv")
    b = best[best.ratio == "pv_eur_per_household_year_of_isolation_avoided"].set_index("scenario")["p_best"]
    # per set, cost / benefit where the benefit is positive: set 0 portierato 1000/2 = 500 against mediation
    # 2000/1; set 1 1100/1 against 2000/3 = 667: mediation; set 2 portierato 1200/0.5 (mediation loses); set 3
    # nobody gains
    assert b.to_dict() == pytest.approx({"portierato": 0.5, "mediation": 0.25})
    sets = pd.read_csv(d / "ensemble_sets.csv")
    r = sets[(sets.scenario == "portierato") & (sets.indicator == "pv_eur_per_household_year_of_isolation_avoided")]
    assert r["diff_mean"].tolist()[:3] == pytest.approx([500.0, 1100.0, 2400.0]) and math.isnan(r["diff_mean"].iloc[3])
    # the headline's ratio: the benefit's 90 % interval includes 0 (a set loses), so no ratio is given
    eff = pd.read_csv(d / "effects.csv")
    ce = eff[(eff.scenario == "portierato") & (eff.indicator == "pv_eur_per_household_year_of_isolation_avoided")]
    assert not ce["distinguishable"].item() and math.isnan(ce["diff_mean"].item())


def test_ratio_over_sets_and_ties_by_hand():
    sets = np.repeat(np.arange(4), 2)
    cost = np.array([10, 10, 20, 20, 30, 30, 40, 40], dtype=float)
    benefit = np.array([1, 1, 2, 2, 3, 3, -1, -1], dtype=float)
    est, lo, hi = ratio_over_sets(cost, benefit, sets)
    assert est == pytest.approx(25.0 / 1.25)
    # per-set ratios 10, 10, 10, +inf (no benefit): 5th percentile 10, 95th unbounded
    assert lo == 10.0 and math.isinf(hi)
    ratios = pd.DataFrame({"a": [1.0, 2.0, np.nan, 5.0], "b": [1.0, 3.0, np.nan, 4.0]})
    # set 0: a tie shares the set; set 2: nobody gains
    assert most_cost_effective(ratios).to_dict() == {"a": 0.375, "b": 0.375}


def test_a_benefit_competes_in_a_set_only_beyond_seed_noise_by_hand():
    # 2 sets x 4 seeds; pooled within-set variance: set 0 values 1, 3, 1, 3 (mean 2), set 1 -1, 1, -1, 1
    # (mean 0): squares 4 x 1 + 4 x 1 over N - K = 6 -> 4/3; bound t(0.95, 6) sqrt(4/3 / 4) = 1.943 x 0.577
    sets = np.repeat([0, 1], 4)
    got = decompose([1.0, 3.0, 1.0, 3.0, -1.0, 1.0, -1.0, 1.0], sets).beyond_noise()
    bound = stats.t.ppf(0.95, 6) * math.sqrt((4 / 3) / 4)
    assert bound == pytest.approx(1.1218, abs=1e-4)
    assert got.to_dict() == {0: True, 1: False}                    # 2 > 1.12; 0 is not
    # a small positive mean that seed noise easily gives: not a benefit in that set
    assert not decompose([0.5, -0.3, 0.9, -0.5, 1.0, 3.0, 1.0, 3.0], sets).beyond_noise()[0]
    # no seed noise (every seed alike): a positive mean is enough; one seed per set: taken as it is
    assert decompose([0.1] * 4 + [-0.1] * 4, sets).beyond_noise().to_dict() == {0: True, 1: False}
    assert decompose([0.1, -0.1], [0, 1]).beyond_noise().to_dict() == {0: True, 1: False}


def test_a_measure_without_effect_is_never_the_most_cost_effective_by_chance(tmp_path):
    """Seed noise alone gives a measure without effect a positive mean benefit in about half the sets; at a
    low cost, its cost per unit there would beat a real measure's. It competes only where its benefit stands
    out from the noise."""
    rng = np.random.default_rng(5)
    k, s = 20, 4
    real = 3.0 + rng.normal(0, 0.5, (k, s))    # a real benefit, well above its noise
    noise = rng.normal(0, 0.5, (k, s))         # no benefit at all
    assert (noise.mean(axis=1) > 0).sum() >= 5  # ... yet a positive mean in several sets
    sets = np.repeat(np.arange(k), s)
    cheap = pd.Series(10.0 / noise.mean(axis=1)).where(noise.mean(axis=1) > 0)
    dear = pd.Series(1000.0 / real.mean(axis=1))
    naive = most_cost_effective(pd.DataFrame({"real": dear, "noise": cheap}))
    assert naive["noise"] > 0.2                 # without the rule, chance makes it the best in many sets
    fair = most_cost_effective(pd.DataFrame({"real": dear.where(decompose(real.ravel(), sets).beyond_noise()),
                                             "noise": cheap.where(decompose(noise.ravel(), sets).beyond_noise())}))
    assert fair["noise"] <= 0.1 and fair["real"] >= 0.9


def test_decompose_of_equal_sets_and_of_one_set():
    d = decompose([1.0, 1.0, 1.0, 1.0], [0, 0, 1, 1])
    assert (d.mean, d.sd, d.low, d.high, d.var_between, d.var_within) == (1.0, 0.0, 1.0, 1.0, 0.0, 0.0)
    one = decompose([1.0, 2.0, np.nan], [0, 0, 0])
    assert one.n == 2 and one.n_sets == 1 and math.isnan(one.low) and one.var_within == 0.5
