"""The report of a posterior ensemble: its numbers are the aggregate's (headline intervals over parameter sets,
probabilities of improvement and of being the most cost-effective), it says that its intervals include
parametric uncertainty, what was calibrated to what (targets, sources, fit, the posterior file), and shows the
sensitivity of lever effects when the sweep holds it; both languages, and the page in headless Chromium.

The sweep is real: the smoke experiment on 3 parameter sets drawn from the shipped placeholder posterior x 2
seeds, made by ``python -m experiments.run -m`` and aggregated, once per test session."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from abm.i18n import LANGUAGES, table
from browser import launch, playwright
from experiments.effect_sensitivity import COLUMNS
from experiments.horizon import headline_statistic
from experiments.report import write_report
from experiments.report.numbers import DECIMALS, HEADLINE, SCALE, parse, unit
from tests.sweep_helpers import SMOKE, exclusive, session_dir, shared_sweep

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ENSEMBLE = (*SMOKE, "seed=range(0,2)", "+posterior=placeholder", "output.posterior.draws=3")


@pytest.fixture(scope="session")
def sweep(tmp_path_factory) -> Path:
    d = shared_sweep(tmp_path_factory, "placeholder_ensemble", *ENSEMBLE)
    with exclusive(session_dir(tmp_path_factory) / "placeholder_ensemble.report.lock"):
        for lang in LANGUAGES:
            if not (d / f"report.{lang}.html").exists():
                write_report(d, lang, out=d / f"report.{lang}.html")
    return d


def html(sweep: Path, lang: str) -> str:
    return (sweep / f"report.{lang}.html").read_text(encoding="utf-8")


def rows(page: str, table_id: str) -> list[dict]:
    """Every row with cells of a table: its attributes and each cell's attributes and text."""
    from test_report import Table

    t = Table(table_id, every_row=True)
    t.feed(page)
    return [r for r in t.rows if r["cells"]]


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_headline_cells_are_the_ensemble_intervals_of_effects_csv(sweep, lang):
    effects = pd.read_csv(sweep / "effects.csv")
    cells = [c for r in rows(html(sweep, lang), "headline-table") for c in r["cells"] if "data-diff" in c]
    assert len(cells) == len(HEADLINE)  # one compared scenario
    for c in cells:
        ind = c["data-indicator"]
        row = effects[(effects.scenario == "portierato") & (effects.indicator == ind)
                      & (effects.statistic == headline_statistic(ind))].iloc[0]
        assert float(c["data-diff"]) == row["diff_mean"]
        assert float(c["data-ci-low"]) == row["ci_low"] and float(c["data-ci-high"]) == row["ci_high"]
        u = unit(ind)
        shown = parse(re.sub(r"≈ 0", "", c["text"]).split("[")[0], lang) / SCALE[u]
        assert abs(shown - row["diff_mean"]) <= 0.5 * 10 ** -DECIMALS[u] / SCALE[u] + 1e-12
    # the intervals are over parameter sets: effects.csv holds the same numbers as ensemble_effects.csv
    ens = pd.read_csv(sweep / "ensemble_effects.csv")
    e = ens[(ens.scenario == "portierato") & (ens.indicator == "cohesion_index") & (ens.statistic == "period_mean")].iloc[0]
    f = effects[(effects.scenario == "portierato") & (effects.indicator == "cohesion_index")
                & (effects.statistic == "period_mean")].iloc[0]
    assert (f["ci_low"], f["ci_high"], f["diff_mean"]) == (e["pi_low"], e["pi_high"], e["mean"])


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_probabilities_are_those_of_the_aggregate(sweep, lang):
    page = html(sweep, lang)
    ens = pd.read_csv(sweep / "ensemble_effects.csv")
    prob = rows(page, "prob-table")
    assert [r["data-scenario"] for r in prob] == ["portierato"]
    for c in prob[0]["cells"]:
        ind, st = c["data-indicator"], c["data-statistic"]
        p = ens[(ens.scenario == "portierato") & (ens.indicator == ind) & (ens.statistic == st)]["p_improve"].item()
        assert float(c["data-p"]) == p and st == headline_statistic(ind)
        assert parse(c["text"].replace("%", ""), lang) == pytest.approx(100 * p, abs=0.5)
    best = pd.read_csv(sweep / "ensemble_best.csv")
    table_rows = rows(page, "best-table")
    assert [r.get("data-scenario") for r in table_rows] == ["portierato", None]  # then: no measure with a benefit
    for c in table_rows[0]["cells"]:
        assert float(c["data-p"]) == best[(best.scenario == "portierato") & (best.ratio == c["data-ratio"])]["p_best"].item()
    for c, (_, b) in zip(table_rows[1]["cells"], best.groupby("ratio", sort=False)):
        assert float(c["data-p"]) == pytest.approx(1.0 - b["p_best"].sum())


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_report_says_the_intervals_include_parametric_uncertainty(sweep, lang):
    page = html(sweep, lang)
    note = page[page.index('id="ensemble-note"'):]
    note = note[: note.index("</p>")]
    assert "data/posterior/placeholder/posterior.json" in note and ("«test»" in note or "“test”" in note)
    assert ("90 %" in note) and ("3" in note)
    methods = page[page.index('id="methods"'):]
    assert table()["report.methods.ci.title.ensemble"][lang] in methods
    assert table()["report.methods.ci.title"][lang] not in methods


@pytest.mark.slow
def test_methods_say_what_was_calibrated_to_what(sweep):
    page = html(sweep, "en")
    fit = pd.read_csv(sweep / "ensemble/fit.csv")
    targets = rows(page, "targets-table")
    assert [r["data-target"] for r in targets] == fit["target"].tolist()
    for r, f in zip(targets, fit.itertuples()):
        assert float(r["data-observed"]) == f.observed and float(r["data-median"]) == f.median
    block = page[page.index('id="calibration"'):page.index('id="calibrated-parameters"')]
    assert "ACER Bologna" in block and "Changes Unipol / Ipsos" in block  # the sources of the calibration's targets
    assert "data/posterior/placeholder/posterior.json" in block and 'id="placeholder-warning"' in block
    params = page[page.index('id="calibrated-parameters"'):]
    assert "encounters.tie_formation" in params and "moving.base_annual.erp" in params
    italian = html(sweep, "it")
    assert "Famiglie ERP che lasciano l'alloggio ogni 100 in un anno" in italian.replace("&#39;", "'")


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_label_of_the_other_language(sweep, lang):
    from test_report import leaked, visible_text

    assert leaked(visible_text(html(sweep, lang)), lang) == []


@pytest.mark.slow
def test_the_sensitivity_of_lever_effects_is_shown_when_the_sweep_holds_it(sweep, tmp_path):
    d = tmp_path / "with_sensitivity"
    shutil.copytree(sweep, d, ignore=shutil.ignore_patterns("*.html"))
    assert 'id="effect-sensitivity"' not in html(sweep, "en")
    rows_ = [{"scenario": "portierato", "baseline": "baseline", "indicator": "cohesion_index", "statistic": "last_year_mean",
              "parameter": p, "mu": m, "mu_star": abs(m), "sigma": 0.001, "mu_star_conf": 0.001, "rank": i + 1,
              "noise_floor": 0.002, "noise_floor_q95": 0.003, "above_noise": abs(m) > 0.003, "design_points": 130,
              "seeds": 16} for i, (p, m) in enumerate([("help.willingness", 0.02), ("encounters.decay_rate", -0.001)])]
    pd.DataFrame(rows_, columns=COLUMNS).to_csv(d / "effect_morris.csv", index=False)
    page = write_report(d, "en").read_text()
    block = page[page.index('id="effect-sensitivity"'):]
    block = block[: block.index("</div>")]
    assert "130 design points" in block and "16 common seeds" in block and 'id="fig-sensitivity"' in block
    assert "1 of the 2 indices are below the noise floor" in block and "only an upper bound is reported" in block
    # the table sets the largest index above the floor beside the effect this sweep measured, by the same statistic
    effects = pd.read_csv(d / "ensemble_effects.csv")
    e = effects[(effects["scenario"] == "portierato") & (effects["indicator"] == "cohesion_index")
                & (effects["statistic"] == "last_year_mean")].iloc[0]
    body = re.search(r'id="sensitivity-table".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert re.search(r'<tr class="group"><th colspan="4">([^<]*)</th>', body).group(1) == table()["report.scenario.portierato"]["en"]
    row = re.findall(r"<tr>(.*?)</tr>", body, re.S)[0]
    cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert parse(cells[1][0], "en") == pytest.approx(e["mean"], abs=0.0006)
    assert cells[2] == ["0.020", "(help.willingness)"]   # the largest above the floor; not calibrated: once
    assert cells[3] == ["0.003", "1", "/", "2", "indices", "above"]
    # the headline says which parameters its intervals cover, and points at the sensitivity
    calibrated = len(json.loads((d / "sweep_meta.json").read_text())["ensemble"]["parameters"])
    note = re.sub(r"<[^>]+>", "", page[page.index('id="ensemble-note"'):].split("</p>")[0])
    assert f"the model&#39;s {calibrated} calibrated parameters" in note or f"the model's {calibrated} calibrated parameters" in note
    assert "keep their assumed values" in note and "Which parameters the effects of the measures depend on" in note


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_ensemble_report_renders_offline_in_chromium(sweep, lang):
    ARTIFACTS.mkdir(exist_ok=True)
    requested = []
    with playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requested.append(r.url))
            page.goto((sweep / f"report.{lang}.html").as_uri(), wait_until="load")
            images = page.eval_on_selector_all("img", "els => els.map(e => ({complete: e.complete, w: e.naturalWidth}))")
            visible = {s: page.locator(s).is_visible() for s in ("#prob-table", "#best-table", "#targets-table",
                                                               "#ensemble-note", "#fig-ensemble")}
            page.locator("#headline").screenshot(path=str(ARTIFACTS / f"report_ensemble_{lang}_headline.png"))
            page.locator("#calibration").screenshot(path=str(ARTIFACTS / f"report_ensemble_{lang}_calibration.png"))
            page.screenshot(path=str(ARTIFACTS / f"report_ensemble_{lang}.png"), full_page=True)
        finally:
            browser.close()
    assert all(u.startswith(("file:", "data:", "about:")) for u in requested), requested
    assert all(visible.values()), visible
    assert len(images) == 6 and all(i["complete"] and i["w"] > 600 for i in images)  # the five, and the ensemble's


def test_effective_sample_size_by_hand():
    from experiments.calibration.posterior import effective_sample_size

    assert effective_sample_size([0.25] * 4) == pytest.approx(4.0)          # equal weights: every set counts
    assert effective_sample_size([1.0, 0.0, 0.0]) == pytest.approx(1.0)     # one set carries all the weight
    assert effective_sample_size([3.0, 1.0]) == pytest.approx(16 / 10)      # (3 + 1)^2 / (9 + 1)
    assert effective_sample_size([]) == 0.0


def test_sensitivity_figure_draws_indices_below_the_floor_only_as_an_upper_bound():
    """An index above the noise floor is a bar of its value; one below it is drawn as the floor (what is known of
    it), never at its own value, which chance alone could have given."""
    import matplotlib.pyplot as plt

    from experiments.report.ensemble_figures import effect_sensitivity

    floor = 0.003
    mus = {"help.willingness": 0.02, "encounters.decay_rate": 0.0012, "conflict.base_rate": 0.0025}
    df = pd.DataFrame([{"scenario": "portierato", "baseline": "baseline", "indicator": "cohesion_index",
                        "statistic": "last_year_mean", "parameter": p, "mu": m, "mu_star": m, "sigma": 0.0,
                        "mu_star_conf": 0.0, "rank": 0, "noise_floor": 0.002, "noise_floor_q95": floor,
                        "above_noise": m > floor, "design_points": 66, "seeds": 32} for p, m in mus.items()],
                      columns=COLUMNS)
    fig = effect_sensitivity(df, lambda k, **f: k, str, str, str)
    try:
        ax = fig.axes[0]
        scale = SCALE[unit("cohesion_index")]
        labels = [t.get_text() for t in ax.get_yticklabels()]
        drawn = {labels[round(b.get_y() + b.get_height() / 2)]: (b.get_gid(), b.get_width()) for b in ax.patches}
        assert drawn["help.willingness"] == ("index", pytest.approx(0.02 * scale))
        assert drawn["encounters.decay_rate"] == drawn["conflict.base_rate"] == ("below-floor", pytest.approx(floor * scale))
        # the largest index on top; below the floor, by name (their order is chance)
        assert labels == ["encounters.decay_rate", "conflict.base_rate", "help.willingness"]
    finally:
        plt.close(fig)
