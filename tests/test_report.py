"""The policy report (experiments.report): numbers, languages, a warning for incomplete sweeps, and the
page rendered in headless Chromium with no network.

The sweeps are real (tests/sweep_fixture.py): the smoke sweep (baseline against portierato x 5 seeds) and a
portierato dose sweep with a crashed and a missing run, both made by ``python -m experiments.run -m`` and
aggregated by ``python -m experiments.aggregate``, once per test session and shared by the xdist workers.  Screenshots and PDFs go to tests/artifacts/.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abm.i18n import LANGUAGES, SAME_IN_BOTH, table
from browser import launch, playwright
from experiments.horizon import CE_RATIOS, PERIOD_QUANTITIES, headline_statistic
from experiments.report import write_report
from experiments.report.__main__ import main
from experiments.report.context import Context
from experiments.report.figures import _pareto, texts
from experiments.report.numbers import DECIMALS, HEADLINE, SCALE, number, parse, unit
from experiments.report.odd import parameter_sources
from experiments.report.sweep import load
from experiments.report.trajectories import trajectories
from sweep_fixture import DOSE, DOSE_KEY, INJECTED, aggregate_incomplete, break_runs, copy_without_runs, run_ids
from tests.sweep_helpers import SMOKE, exclusive, session_dir, shared_sweep, sweep

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOSE_0, DOSE_10, DOSE_20 = (f"{DOSE_KEY}={h}" for h in (0, 10, 20))  # the dose sweep's scenario names


# --- the sweeps, built once per session --------------------------------------------------------------------
def _build(root: Path, smoke: Path) -> dict:
    """A copy of the session's smoke sweep, and the dose sweep with one run crashed and one missing."""
    shutil.copytree(smoke, root / "smoke")
    incomplete = root / "incomplete"
    run = sweep(incomplete, *DOSE, workers=2)
    assert run.returncode == 0, run.stderr[-3000:]
    ids = run_ids(incomplete)
    failed, missing = (ids[5],), (ids[7],)  # the 10-hour scenario's third seed, the 20-hour one's second
    break_runs(incomplete, failed, missing)
    aggregate_incomplete(incomplete)
    for d in (root / "smoke", incomplete):
        for lang in LANGUAGES:
            write_report(d, lang, out=d / f"report.{lang}.html")
    return {"failed": failed, "missing": missing}


@pytest.fixture(scope="session")
def sweeps(tmp_path_factory) -> dict:
    smoke = shared_sweep(tmp_path_factory, "smoke_sweep", *SMOKE)
    shared = session_dir(tmp_path_factory) / "report_sweeps"
    shared.mkdir(exist_ok=True)
    with exclusive(shared / "lock"):
        if not (shared / "broken.json").exists():
            (shared / "broken.json").write_text(json.dumps(_build(shared, smoke)))
    broken = json.loads((shared / "broken.json").read_text())
    return {"smoke": shared / "smoke", "incomplete": shared / "incomplete",
            "failed": tuple(broken["failed"]), "missing": tuple(broken["missing"])}


def _html(sweeps, name: str, lang: str) -> str:
    return (sweeps[name] / f"report.{lang}.html").read_text(encoding="utf-8")


# --- reading the HTML --------------------------------------------------------------------------------------
class Cells(HTMLParser):
    """The cells of the headline table: their data-* attributes and the text of their .diff span."""

    def __init__(self):
        super().__init__()
        self.cells, self.rows, self._in_table, self._scenario, self._cell, self._diff = [], [], False, None, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "headline-table":
            self._in_table = True
        elif self._in_table and tag == "tr" and "data-scenario" in a:
            self._scenario = a["data-scenario"]
            self.rows.append(self._scenario)
        elif self._in_table and tag == "td" and "data-diff" in a:
            self._cell = {"scenario": self._scenario, "text": "", **a}
            self.cells.append(self._cell)
        elif self._cell is not None and tag == "span" and a.get("class") == "diff":
            self._diff = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag == "span":
            self._diff = False
        elif tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._diff and self._cell is not None:
            self._cell["text"] += data


class VisibleText(HTMLParser):
    """The text a reader sees: element text and alt/title attributes, without styles and code."""

    SKIP = {"style", "script", "code"}

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        self.parts += [v for k, v in attrs if k in ("alt", "title") and v]

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = VisibleText()
    p.feed(html)
    return re.sub(r"\s+", " ", " ".join(p.parts))


def fragments(text: str) -> list[str]:
    """The fixed parts of a translation (between its {placeholders}) that are long enough to be telling."""
    return [f.strip(" .,:;()") for f in re.split(r"\{[^}]*\}", text) if len(f.strip(" .,:;()")) >= 4]


def foreign_labels(lang: str) -> list[str]:
    """Texts of the other language that differ from this language's text for the same key."""
    other = next(x for x in LANGUAGES if x != lang)
    out = []
    for key, texts_ in table().items():
        if key in SAME_IN_BOTH or texts_[other] == texts_[lang]:
            continue
        mine = texts_[lang]
        out += [f for f in fragments(texts_[other]) if f not in mine]
    return out


def leaked(text: str, lang: str) -> list[str]:
    """Foreign labels that appear in ``text`` as whole words (not inside this language's own words)."""
    own = " ".join(t[lang] for t in table().values())
    hits = []
    for f in set(foreign_labels(lang)):
        pattern = r"(?<!\w)" + re.escape(f) + r"(?!\w)"
        if re.search(pattern, text) and not re.search(pattern, own):
            hits.append(f)
    return sorted(hits)


# --- translation table -------------------------------------------------------------------------------------
def test_every_key_has_both_languages_and_they_differ():
    for key, texts_ in table().items():
        assert set(texts_) == set(LANGUAGES), f"{key}: languages {sorted(texts_)}, expected {LANGUAGES}"
        for lang in LANGUAGES:
            assert isinstance(texts_[lang], str) and texts_[lang].strip(), f"{key}: empty {lang} text"
        if key not in SAME_IN_BOTH:
            assert texts_["it"] != texts_["en"], f"{key}: same text in it and en ({texts_['it']!r}); translate it " \
                                                 "or add the key to abm.i18n.SAME_IN_BOTH"
        fields = {lang: sorted(re.findall(r"\{(\w+)\}", texts_[lang])) for lang in LANGUAGES}
        assert fields["it"] == fields["en"], f"{key}: placeholders differ between languages {fields}"


def test_report_keys_exist_for_every_indicator_and_term():
    from abm.indicators import INDICATORS
    from experiments.report.context import METHODS, TERMS
    from experiments.report.sweep import CE_INDICATORS

    keys = table()
    for name in [*INDICATORS, *CE_INDICATORS, *PERIOD_QUANTITIES]:
        assert f"indicator.{name}" in keys and f"explain.{name}" in keys, name
    for term in TERMS:
        assert f"term.{term}" in keys and f"glossary.{term}" in keys, term
    for m in METHODS:
        assert f"report.methods.{m}" in keys and f"report.methods.{m}.title" in keys, m


def test_template_uses_only_existing_keys():
    template = (Path(__file__).resolve().parent.parent / "experiments/report/templates/report.html.j2").read_text()
    used = set(re.findall(r"t\('([\w.]+)'", template))
    keys = set(table())
    # 'indicator.' ~ name: a prefix completed in the template, of which at least one key must exist
    unknown = [k for k in used if k not in keys and not (k.endswith((".", "_")) and any(x.startswith(k) for x in keys))]
    assert len(used) > 50 and unknown == [], f"keys not in the translation table: {sorted(unknown)}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_rendered_report_has_no_label_of_the_other_language(sweeps, lang):
    for name in ("smoke", "incomplete"):
        text = visible_text(_html(sweeps, name, lang))
        assert leaked(text, lang) == [], f"{name} report in {lang} shows labels of the other language"


def test_the_leak_check_catches_an_english_label():
    english = table()["report.section.headline"]["en"]
    assert english in leaked(f"Risultati {english} qui", "it")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_figures_speak_the_report_language(sweeps, lang):
    ctx = Context(load(sweeps["incomplete"]), lang)
    figs = {k: f for k, f in ctx.draw_figures().items() if f is not None}
    assert set(figs) == {"trajectories", "effects", "costs", "frontier", "dose", "by_type"}
    drawn = " ".join(s for f in figs.values() for s in texts(f))
    assert leaked(drawn, lang) == []
    assert ctx.indicator("cohesion_index") in drawn and ctx.tr("report.axis.years") in drawn


# --- headline numbers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,lang", [("smoke", "it"), ("incomplete", "en")])
def test_headline_table_numbers_equal_effects_csv(sweeps, name, lang):
    cells = Cells()
    cells.feed(_html(sweeps, name, lang))
    effects = pd.read_csv(sweeps[name] / "effects.csv")
    # indicators by their mean over the horizon, the cost over the whole horizon
    expected = effects[effects["indicator"].isin(HEADLINE)
                       & (effects["statistic"] == effects["indicator"].map(headline_statistic))]
    compared = {"smoke": ["portierato"], "incomplete": [DOSE_10, DOSE_20]}[name]
    assert cells.rows == compared
    assert len(cells.cells) == len(expected) == len(compared) * len(HEADLINE)
    for cell in cells.cells:
        row = expected[(expected["scenario"] == cell["scenario"]) & (expected["indicator"] == cell["data-indicator"])]
        assert len(row) == 1
        row = row.iloc[0]
        assert float(cell["data-diff"]) == row["diff_mean"]
        assert float(cell["data-ci-low"]) == row["ci_low"] and float(cell["data-ci-high"]) == row["ci_high"]
        assert cell["data-distinguishable"] == str(bool(row["distinguishable"])).lower()
        u = unit(cell["data-indicator"])
        shown = parse(cell["text"], lang) / SCALE[u]
        assert abs(shown - row["diff_mean"]) <= 0.5 * 10 ** -DECIMALS[u] / SCALE[u] + 1e-12, cell


class Table(HTMLParser):
    """The rows of a table (by id): per row its data-scenario (and its other attributes) and the cells' text and
    data-* attributes; rows without a data-scenario too when ``every_row``."""

    def __init__(self, table_id: str, every_row: bool = False):
        super().__init__()
        self.table_id, self.every_row, self.rows, self._in, self._cell = table_id, every_row, [], False, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == self.table_id:
            self._in = True
        elif self._in and tag == "tr" and ("data-scenario" in a or self.every_row):
            self.rows.append({**a, "scenario": a.get("data-scenario"), "cells": []})
        elif self._in and tag == "td" and self.rows:
            self._cell = {"text": "", **a}
            self.rows[-1]["cells"].append(self._cell)

    def handle_endtag(self, tag):
        if tag == "table":
            self._in = False
        elif tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def _table(html: str, table_id: str) -> list[dict]:
    t = Table(table_id)
    t.feed(html)
    return t.rows


@pytest.mark.parametrize("name,lang", [("smoke", "it"), ("incomplete", "en")])
def test_cost_chart_headline_and_cost_tables_say_the_same(sweeps, name, lang):
    """The cost figure writes each scenario's extra net present cost as the headline does, and the cost-
    effectiveness table's cost column is the same number; all of them are effects.csv's."""
    html = _html(sweeps, name, lang)
    effects = pd.read_csv(sweeps[name] / "effects.csv")
    ctx = Context(load(sweeps[name]), lang)
    fig = ctx.draw_figures()["costs"]
    chart = [t.get_text() for t in fig.findobj(matplotlib.text.Annotation) if t.get_gid() == "net-pv"]
    cells = Cells()
    cells.feed(html)
    headline = {c["scenario"]: c["text"] for c in cells.cells if c["data-indicator"] == "cost_net_pv_eur"}
    ce = {r["scenario"]: r["cells"][0]["text"].strip() for r in _table(html, "ce-table")}
    compared = list(headline)
    assert compared and len(chart) == len(compared)
    for scenario, text in zip(compared, chart):
        row = effects[(effects.scenario == scenario) & (effects.indicator == "cost_net_pv_eur")
                      & (effects.statistic == "period")].iloc[0]
        expected = ctx.value("cost_net_pv_eur", row["diff_mean"], sign=True)
        assert headline[scenario] == expected == ce[scenario] and text == f"{expected} EUR"
        assert row["diff_mean"] > 0  # the portierato costs something
    # the account table's levels are summary.csv's
    summary = pd.read_csv(sweeps[name] / "summary.csv")
    for r in _table(html, "account-table"):
        for cell in r["cells"]:
            if "data-measure" in cell:
                level = summary[(summary.scenario == r["scenario"]) & (summary.indicator == cell["data-measure"])
                                & (summary.statistic == "period")]["mean"].item()
                assert float(cell["data-value"]) == level


@pytest.mark.parametrize("name,lang", [("smoke", "it"), ("smoke", "en"), ("incomplete", "it")])
def test_cost_effectiveness_is_a_number_or_words_never_inf(sweeps, name, lang):
    html = _html(sweeps, name, lang)
    effects = pd.read_csv(sweeps[name] / "effects.csv")
    words = table()["report.ce.no_benefit"][lang]
    seen = set()
    for r in _table(html, "ce-table"):
        for cell in r["cells"][1:]:
            row = effects[(effects.scenario == r["scenario"]) & (effects.indicator == cell["data-indicator"])].iloc[0]
            if bool(row["distinguishable"]):
                assert parse(cell["text"].split("[")[0], lang) == pytest.approx(row["diff_mean"], abs=0.5)
                seen.add("number")
            else:
                assert cell["text"].strip() == words and math.isnan(row["diff_mean"])
                seen.add("words")
    assert seen  # the smoke sweep's portierato has both: a cost per isolation-year avoided, and no conflict benefit
    if name == "smoke":
        assert seen == {"number", "words"}
    text = visible_text(html)
    assert not re.search(r"\binf\b|∞", text, flags=re.I)


def test_methods_state_the_horizon_settings(sweeps):
    meta = json.loads((sweeps["smoke"] / "sweep_meta.json").read_text())["horizon"]
    rate = number(100 * meta["settings"]["discount_rate"], 1, "en")
    text = visible_text(_html(sweeps, "smoke", "en"))
    assert f"discount rate of {rate} % a year" in text and "480/2014" in text
    assert "weeks 0–26" in text and "useful life 50 years" in text


def test_not_distinguishable_cells_carry_the_marker(sweeps):
    html = _html(sweeps, "smoke", "it")
    cells = Cells()
    cells.feed(html)
    nd = [c for c in cells.cells if c["data-distinguishable"] == "false"]
    assert nd, "the smoke sweep has differences that are not distinguishable from zero"
    for c in nd:
        assert "nd" in c["class"].split()
    marks = html.count('<span class="nd-mark" title=')
    assert marks == len(nd)


# --- incomplete sweeps ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_incomplete_sweep_is_announced_first(sweeps, lang):
    html = _html(sweeps, "incomplete", lang)
    body = html[html.index("<body"):]
    warning = body.index('id="sweep-warning"')
    assert warning < body.index('id="in-brief"') < body.index('<section id="simulated"')
    box = body[warning: body.index("</div>", warning)]
    assert all(r in box for r in sweeps["failed"] + sweeps["missing"])
    assert INJECTED.split(": ", 1)[1] in box  # the error's last line
    assert table()["report.warning.title"][lang].split("{")[0] in box
    assert 'id="sweep-warning"' not in _html(sweeps, "smoke", lang)


@pytest.fixture
def no_figures(monkeypatch):
    """Render without drawing (figures are tested elsewhere): the page then says what is missing."""
    monkeypatch.setattr(Context, "draw_figures", lambda self: dict.fromkeys(
        ("trajectories", "effects", "costs", "frontier", "dose", "by_type")))


def test_sweep_without_status_file_is_announced(sweeps, tmp_path, no_figures):
    d = tmp_path / "no_status"
    shutil.copytree(sweeps["smoke"], d, ignore=shutil.ignore_patterns("*.html"))
    (d / "sweep_status.json").unlink()
    html = write_report(d, "en").read_text()
    assert 'id="sweep-warning"' in html and table()["report.warning.unknown_title"]["en"] in html


def test_methods_count_parameters_by_source_from_the_odd(sweeps, tmp_path, monkeypatch, no_figures):
    import experiments.report.odd as odd

    (tmp_path / "ODD.md").write_text("| key | meaning | unit | default | range | source |\n|---|---|---|---|---|---|\n"
                                     "| `help.max_asks` | m | - | 3 | r | assumption |\n"
                                     "| `help.willingness` | m | - | 0.7 | r | Nomisma/ACER 2020 (F) |\n")
    monkeypatch.setattr(odd, "ODD", tmp_path / "ODD.md")
    d = tmp_path / "sweep"
    copy_without_runs(sweeps["smoke"], d)
    html = write_report(d, "it").read_text()
    block = html[html.index('id="parameter-sources"'):]
    block = block[: block.index("</table>")]
    assert table()["report.group.help"]["it"] in block
    assert re.findall(r'<td class="num">(\d+)</td>', block)[:3] == ["1", "0", "1"]


# --- self-contained -------------------------------------------------------------------------------------------------
def test_report_loads_nothing_from_outside(sweeps):
    html = _html(sweeps, "incomplete", "it")
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html)
    imgs = re.findall(r'<img src="([^"]{0,40})', html)
    assert len(imgs) == 6 and all(s.startswith("data:image/png;base64,") for s in imgs)


# --- command line -----------------------------------------------------------------------------------------------------
def test_command_line_writes_report_and_prints_path(sweeps, tmp_path, capsys, no_figures):
    d = tmp_path / "cli"
    copy_without_runs(sweeps["smoke"], d)
    assert main([str(d), "--lang", "en"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str((d / "report.html").resolve())
    html = (d / "report.html").read_text()
    assert '<html lang="en">' in html and "Headline results" in html
    # without run directories the neighbourhood is not described, without figures neither are trends
    assert table()["report.simulated.no_neighbourhood"]["en"] in html
    assert table()["report.figure.no_results"]["en"] in html and "<img" not in html


def test_command_line_names_a_missing_aggregate(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "experiments.aggregate" in err
    assert not (tmp_path / "report.html").exists()


def test_unknown_language_is_refused(sweeps):
    with pytest.raises(SystemExit):
        main([str(sweeps["smoke"]), "--lang", "fr"])


# --- parts -------------------------------------------------------------------------------------------------------------
def test_trajectories_streamed_in_small_batches_equal_a_whole_table_computation(sweeps):
    results = sweeps["smoke"] / "results.parquet"
    streamed = trajectories(results, ["cohesion_index", "conflicts_resolved_share"], batch_size=97)
    whole = pd.read_parquet(results)
    whole = whole[whole["indicator"].isin(["cohesion_index", "conflicts_resolved_share"]) & whole["value"].notna()]
    g = whole.groupby(["scenario", "indicator", "step"])["value"]
    ref = g.agg(n="count", mean="mean", sd="std").reset_index()
    merged = streamed.merge(ref, on=["scenario", "indicator", "step"], suffixes=("", "_ref"))
    assert len(merged) == len(ref) == len(streamed)
    assert (merged["n"] == merged["n_ref"]).all()
    np.testing.assert_allclose(merged["mean"], merged["mean_ref"], rtol=1e-12)
    from scipy import stats
    half = stats.t.ppf(0.975, merged["n"] - 1) * merged["sd"] / np.sqrt(merged["n"])
    ok = merged["n"] > 1
    np.testing.assert_allclose(merged.loc[ok, "ci_high"], (merged["mean_ref"] + half)[ok], rtol=1e-7, atol=1e-9)


def test_dose_is_the_one_numeric_parameter_that_varies(sweeps):
    dosed = load(sweeps["incomplete"])
    assert dosed.dose() == (DOSE_KEY, {DOSE_0: 0.0, DOSE_10: 10.0, DOSE_20: 20.0})
    dosed.scenarios["policy"] = ["baseline", "portierato", "portierato"]  # a string column is not a dose
    assert dosed.dose()[0] == DOSE_KEY
    dosed.scenarios["help.max_asks"] = ["", "2", "3"]  # two numeric parameters vary: no dose
    assert dosed.dose() is None
    assert load(sweeps["smoke"]).dose() is None  # policy presets are not a dose


def test_a_baseline_not_named_baseline_is_found_and_labelled(sweeps, tmp_path):
    d = tmp_path / "renamed"
    copy_without_runs(sweeps["smoke"], d)
    for f in ("scenarios.csv", "summary.csv", "by_group_summary.csv", "cost_account.csv", "cost_by_year.csv"):
        df = pd.read_csv(d / f)
        df["scenario"] = df["scenario"].replace("baseline", "policy=baseline")
        df.to_csv(d / f, index=False)
    renamed = load(d)
    assert renamed.baseline == "policy=baseline" and renamed.compared == ["portierato"]
    ctx = Context(renamed, "en")
    assert ctx.scenario("policy=baseline") == table()["report.scenario.baseline"]["en"]
    head = ctx.headline()
    assert head["has_base"] and [r["id"] for r in head["rows"]] == ["portierato"]
    assert ctx.colour["policy=baseline"] == "#3a3a3a"


def test_frontier_keeps_scenarios_no_other_beats():
    points = [(0.0, 0.0, "baseline"), (10.0, 2.0, "a"), (20.0, 1.0, "b"), (30.0, 5.0, "c"), (30.0, 4.0, "d")]
    assert _pareto(points) == ([0.0, 10.0, 30.0], [0.0, 2.0, 5.0])


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 3), st.sampled_from(LANGUAGES),
       st.booleans())
def test_numbers_read_back_within_rounding(x, decimals, lang, sign):
    text = number(x, decimals, lang, sign)
    assert abs(parse(text, lang) - x) <= 0.5 * 10 ** -decimals * (1 + 1e-9) + abs(x) * 1e-15


def test_italian_and_english_number_formats():
    assert number(12345.678, 1, "it") == "12.345,7" and number(12345.678, 1, "en") == "12,345.7"
    assert number(-0.0004, 3, "en", sign=True) == "0.000" and number(0.25, 2, "it", sign=True) == "+0,25"
    assert number(math.nan, 2, "it") == "–"


def test_parameter_sources_are_read_from_odd_tables():
    odd = """
| key | meaning | unit | default | range | source |
|---|---|---|---|---|---|
| `help.max_asks` | ties asked | - | 3 | [0, 20] | assumption |
| `population.type_shares` | shares | share | table | rows | ERP row derived from Nomisma; other rows: assumption |
| `population.rent_eur_m2` | rent | EUR | 11.5 | >= 0 | Cooperativa Risanamento (F) |
| `neighbourhood.name` | name | - | x | any | – |

| name | meaning |
|---|---|
| `help.other` | not a parameter table |
"""
    assert parameter_sources(odd) == {
        "help": {"data": 0, "partly": 0, "assumption": 1, "setting": 0},
        "population": {"data": 1, "partly": 1, "assumption": 0, "setting": 0},
        "neighbourhood": {"data": 0, "partly": 0, "assumption": 0, "setting": 1},
    }


# --- in the browser -------------------------------------------------------------------------------------------------------
VIEWPORT = {"width": 1280, "height": 900}


def _local(url: str) -> bool:
    return url.startswith(("file:", "data:", "about:")) or re.match(r"^https?://(localhost|127\.0\.0\.1)(:|/)", url) is not None


@pytest.mark.browser
@pytest.mark.parametrize("name,lang", [("smoke", "it"), ("smoke", "en"), ("incomplete", "it"), ("incomplete", "en")])
def test_report_renders_offline_in_chromium(sweeps, name, lang):
    ARTIFACTS.mkdir(exist_ok=True)
    page_file = sweeps[name] / f"report.{lang}.html"
    blocked, requested = [], []
    with playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("request", lambda r: requested.append(r.url))

            def guard(route):
                if _local(route.request.url):
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(page_file.as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({complete: e.complete, w: e.naturalWidth, h: e.naturalHeight,"
                       " shown: e.getBoundingClientRect().width}))")
            table_visible = page.locator("#headline-table").is_visible()
            rows = page.locator("#headline-table tbody tr[data-scenario]").count()
            warning = page.locator("#sweep-warning")
            box = warning.bounding_box() if warning.count() else None
            page.screenshot(path=str(ARTIFACTS / f"report_{name}_{lang}_first_screen.png"))
            page.screenshot(path=str(ARTIFACTS / f"report_{name}_{lang}.png"), full_page=True)
            page.emulate_media(media="print")
            pdf = page.pdf(path=str(ARTIFACTS / f"report_{name}_{lang}.pdf"), format="A4", print_background=True)
        finally:
            browser.close()

    assert blocked == [] and all(_local(u) for u in requested), f"network requests: {blocked or requested}"
    assert len(images) == (6 if name == "incomplete" else 5)  # the smoke sweep has no dose: no dose-response
    for img in images:
        assert img["complete"] and img["w"] > 600 and img["h"] > 200 and img["shown"] > 600, img
    assert table_visible and rows == (2 if name == "incomplete" else 1)
    if name == "incomplete":
        assert box is not None and box["y"] + 40 < VIEWPORT["height"], f"warning not on the first screen: {box}"
    else:
        assert box is None
    assert pdf[:4] == b"%PDF" and len(pdf) > 50_000
