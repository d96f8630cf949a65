"""The population generator's draws that issue 13 added or changed (docs/ODD.md 7.1): relatives nearby, help
hours and fragility, newcomers' type shares, initial tenancies."""

from __future__ import annotations

import numpy as np
import pytest

from abm.config import compose
from abm.population import PopulationGenerator
from abm.submodels.moving import exit_annual
from abm.vocabulary import HOUSEHOLD_TYPES, TENURE_CODE, TENURES

N = 100_000
ERP = TENURE_CODE["erp"]


@pytest.fixture(scope="module")
def cfg():
    return compose()


def draw(cfg, htype: str | None = None, tenure: int = ERP, stock: bool = True, **kw):
    gen = PopulationGenerator(cfg.population, exit_annual(cfg.moving))
    types = None if htype is None else np.full(N, HOUSEHOLD_TYPES.index(htype))
    return gen, gen.draw(np.random.default_rng(3), np.full(N, tenure), np.full(N, 62.0), htype=types, stock=stock)


def test_relatives_nearby_by_type(cfg):
    for t in ("elderly_alone", "new_migrant"):
        _, a = draw(cfg, t)
        p = cfg.population.kin_nearby[t]
        assert abs(a["kin"].mean() - p) < 4 * np.sqrt(p * (1 - p) / N)


def test_frail_households_have_fewer_help_hours(cfg):
    """help hours = Gamma(mean help_hours[type]) x (1 - 0.5 fragility): their mean given the fragility is the
    type's mean times that factor (the Gamma draw is independent of fragility)."""
    _, a = draw(cfg, "single_adult")
    frag, hours = a["fragility"], a["help_hours"]
    factor = 1 - cfg.population.help_hours_fragility * frag
    assert (hours / factor).mean() == pytest.approx(cfg.population.help_hours["single_adult"], rel=0.02)
    assert hours[frag > 0.3].mean() < hours[frag < 0.1].mean()


def test_elderly_living_alone_give_about_half_the_help_hours_of_single_adults(cfg):
    """ISTAT FSS 2016 (docs/evidence/housing_population.md 1.2d): women aged 75+ help non-cohabitants half as
    often as women overall (19.7 % against 38.2 %, ratio 0.52); 65-74 as often as adults."""
    _, old = draw(cfg, "elderly_alone")
    _, adult = draw(cfg, "single_adult")
    ratio = old["help_hours"].mean() / adult["help_hours"].mean()
    assert 0.45 < ratio < 0.7


def test_newcomer_shares_keep_the_stock_by_hand(cfg):
    gen, a = draw(cfg, tenure=ERP, stock=False)
    stock = np.array([cfg.population.type_shares["erp"][t] for t in HOUSEHOLD_TYPES])
    exit_ = np.array([cfg.moving.base_annual["erp"] + cfg.moving.life_event_annual[t] for t in HOUSEHOLD_TYPES])
    expected = stock * exit_ / (stock * exit_).sum()
    assert np.allclose(gen.newcomer_probs[ERP], expected)
    got = np.bincount(a["htype"], minlength=len(HOUSEHOLD_TYPES)) / N
    assert np.abs(got - expected).max() < 0.01
    # the initial population (the stock) is drawn from type_shares
    _, s = draw(cfg, tenure=ERP, stock=True)
    assert np.abs(np.bincount(s["htype"], minlength=len(HOUSEHOLD_TYPES)) / N - stock).max() < 0.01
    # and with newcomer_shares=stock the newcomers too
    plain = PopulationGenerator(compose(["population.newcomer_shares=stock"]).population, exit_annual(cfg.moving))
    assert np.array_equal(plain.newcomer_probs, plain.type_probs)


def test_initial_tenancies_are_exponential_with_the_tenure_mean(cfg):
    gen = PopulationGenerator(cfg.population)
    rng = np.random.default_rng(0)
    for t in TENURES:
        weeks = gen.elapsed_weeks(rng, np.full(N, TENURE_CODE[t]))
        mean = cfg.population.tenancy_mean_years[t] * 52
        assert weeks.mean() == pytest.approx(mean - 0.5, rel=0.02)  # whole weeks: floor of the draw
    # ERP: the share longer than 20 and 30 years (Nomisma/Federcasa 2016: 49 % and 28 %)
    years = gen.elapsed_weeks(rng, np.full(N, ERP)) / 52
    assert np.mean(years > 20) == pytest.approx(np.exp(-20 / 26), abs=0.01)
    assert 0.4 < np.mean(years > 20) < 0.55 and 0.25 < np.mean(years > 30) < 0.4
