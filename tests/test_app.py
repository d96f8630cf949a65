"""The workshop app in a real browser: starts `solara run viz/app.py` on a free localhost port and drives
headless Chromium with Playwright.  Every request that is not to localhost is blocked and recorded, and
the test fails if there is one (the app must work in a room with no internet).

Screenshots go to tests/artifacts/ (gitignored), with the measured rendered weeks per second.
Needs /usr/bin/chromium (Debian's `chromium` package): without it the test is skipped, or fails when
the environment variable CI is set.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psutil
import pytest
from browser import launch, playwright
from playwright.sync_api import expect

from abm.indicators import HEADLINE
from viz import headless
from viz.headless import LOAD_TIMEOUT_MS, serve_app

# one app server and one browser for the module: keep its tests on one xdist worker (--dist loadgroup)
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("app_browser")]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def app_server():
    try:
        with serve_app(ARTIFACTS / "app_server.log") as server:
            yield server
    except RuntimeError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def app_url(app_server):
    return app_server[0]


def _cpu_seconds(processes) -> float:
    total = 0.0
    for p in processes:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.Error:  # a browser helper process that ended meanwhile
            pass
    return total


def _browser_processes():
    return [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()]


@pytest.fixture(scope="module")
def browser():
    with playwright() as p:
        b = launch(p)
        yield b
        b.close()


class Visit(headless.Visit):
    def screenshot(self, name: str) -> None:
        super().screenshot(ARTIFACTS / name)


def _segments(d: str | None) -> int:
    return (d or "").count("M")


def test_page_renders_map_ties_and_charts_offline(browser, app_url):
    v = Visit(browser, app_url)
    page = v.page
    plan = page.locator("svg.abitare-plan").first
    box = plan.bounding_box()
    assert box["width"] > 400 and box["height"] > 200, box
    assert page.locator("svg.abitare-plan rect.unit").count() == 240  # acer_estate: 4 x 3 x 5 x 4 flats
    colours = {page.locator("svg.abitare-plan rect.unit").nth(i).get_attribute("fill") for i in range(0, 240, 7)}
    assert len(colours) >= 4, colours  # coloured by household type
    assert _segments(page.locator("path.ties-strong").first.get_attribute("d")) > 10
    assert _segments(page.locator("path.ties-weak").first.get_attribute("d")) > 10
    assert page.locator("svg.abitare-plan .shared-space").count() >= 1
    hover = page.locator("svg.abitare-plan rect.unit title").first.text_content()
    assert "scala 1" in hover and ("legami" in hover or "vuoto" in hover.lower() or "inagibile" in hover.lower()), hover
    assert page.locator(".legend .legend-item").count() >= 8
    images = page.locator(".chart-card img")
    assert images.count() == len(HEADLINE)  # one chart per headline indicator
    for i in range(len(HEADLINE)):
        size = images.nth(i).evaluate("img => [img.naturalWidth, img.naturalHeight, img.complete]")
        assert size[0] > 200 and size[1] > 100 and size[2], size
    v.screenshot("app_it_week0.png")
    assert v.outside == []
    v.close()


def test_steps_language_seed_and_levers(browser, app_url):
    v = Visit(browser, app_url)
    page = v.page
    assert v.week() == 0
    before = v.chart_src("cohesion_index")
    weak_before = page.locator("path.ties-weak").first.get_attribute("d")
    v.step(3)
    assert v.week() == 3
    assert v.chart_src("cohesion_index") != before  # the line grew
    assert page.locator("path.ties-weak").first.get_attribute("d") != weak_before  # ties changed

    # click a flat: its card appears
    page.locator("svg.abitare-plan rect.unit").nth(25).click()
    expect(page.locator(".household-card h3").first).to_contain_text("scala")

    # language: every label switches, the run goes on
    expect(page.locator("h1")).to_contain_text("laboratorio")
    expect(page.locator(".btn-step")).to_contain_text("Passo", ignore_case=True)
    page.locator(".lang-en").click()
    expect(page.locator("h1")).to_contain_text("workshop")
    expect(page.locator(".btn-step")).to_contain_text("Step", ignore_case=True)
    expect(page.locator(".household-card h3").first).to_contain_text("stair")
    expect(page.locator(".chart-cohesion_index h3")).to_contain_text("Cohesion index")
    expect(page.locator(".legend")).to_contain_text("Elderly living alone")
    assert v.week() == 3
    v.screenshot("app_en_week3.png")

    # a bad seed: a message, and the page keeps working
    seed = page.locator(".seed-input input")
    seed.fill("abc")
    seed.press("Enter")
    expect(page.locator(".app-message")).to_contain_text("abc")
    v.step(1)
    assert v.week() == 4
    seed.fill("99999999999999999999999")  # beyond the largest seed
    seed.press("Enter")
    expect(page.locator(".app-message")).to_contain_text("99999999999")
    v.step(1)
    assert v.week() == 5
    seed.fill("7")  # a good seed restarts the run from week 0
    seed.press("Enter")
    v.wait_week(0)

    # a lever with a dose (when the levers are part of the code): switching it on restarts from week 0 and
    # shows its dose; the dose at the end of its range is accepted; the previous run stays as a grey line
    v.step(2)
    boxes = [page.locator(f".lever-{name}") for name in ("portierato", "regeneration", "mediation", "timebank")]
    box = next((b for b in boxes if b.count()), None)
    if box is not None:
        box.locator(".v-input--switch input").click(force=True)
        v.wait_week(0)
        expect(page.locator(".app-message-info")).to_be_visible()
        expect(box.locator(".v-slider")).to_have_count(1)
        v.step(2)
        box.locator(".v-slider__thumb-container").focus()
        page.keyboard.press("End")
        v.wait_week(0)
        v.step(3)
        expect(page.locator(".charts-title")).to_contain_text("before the change")
        v.screenshot("app_en_lever.png")
    # the colour of the flats follows the chosen attribute
    v.choose("colour-by", "Isolation")
    expect(page.locator(".legend")).to_contain_text("Isolated")
    assert v.outside == []
    v.close()


def test_two_sessions_have_their_own_models(browser, app_url):
    one = Visit(browser, app_url)
    two = Visit(browser, app_url)
    one.step(2)
    assert one.week() == 2
    time.sleep(0.5)
    assert two.week() == 0
    two.step(1)
    assert (one.week(), two.week()) == (2, 1)
    assert one.outside == [] and two.outside == []
    one.close()
    two.close()


def test_compare_mode_and_play_speed(browser, app_server):
    url, server = app_server
    v = Visit(browser, url)
    page = v.page
    # play at the fastest speed and count the weeks the page shows (each one a rendered frame); the CPU
    # seconds the server and the browser spend a week say what an idle machine would manage
    page.locator(".speed-slider .v-slider__thumb-container").first.focus()
    page.keyboard.press("End")
    page.locator(".btn-play").click()
    v.wait_week(1, at_least=True)
    server_proc, browser_procs = psutil.Process(server.pid), _browser_processes()
    cpu_server, cpu_browser = _cpu_seconds([server_proc]), _cpu_seconds(browser_procs)
    seen, start = set(), time.monotonic()
    while time.monotonic() - start < 6.0:
        seen.add(v.week())
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    cpu_server = _cpu_seconds([server_proc]) - cpu_server
    cpu_browser = _cpu_seconds(browser_procs) - cpu_browser
    shown = page.locator(".speed-actual").inner_text()  # the page's own count of weeks shown a second
    # another neighbourhood while playing: the page restarts there and keeps playing
    v.choose("neighbourhood", "Cooperativa di abitanti")
    expect(page.locator("svg.abitare-plan rect.unit")).to_have_count(60, timeout=LOAD_TIMEOUT_MS)
    v.wait_week(v.week() + 2, at_least=True)
    page.locator(".btn-play").click()
    weeks = max(seen) - min(seen)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "app_speed.json").write_text(json.dumps({
        "neighbourhood": "acer_estate", "seconds": round(elapsed, 2), "weeks_shown": weeks,
        "weeks_per_second": round(weeks / elapsed, 2), "page_reports": shown,
        "server_cpu_ms_per_week": round(1000 * cpu_server / max(weeks, 1), 1),
        "browser_cpu_ms_per_week": round(1000 * cpu_browser / max(weeks, 1), 1),
        "load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}, indent=1))
    assert max(seen) > 0  # it played (the speed itself is measured and written, not asserted)
    v.screenshot("app_it_played.png")

    page.locator(".mode-compare").click()
    page.wait_for_selector(".map-b svg.abitare-plan rect.unit", timeout=LOAD_TIMEOUT_MS)
    v.wait_week(0)
    assert page.locator("svg.abitare-plan").count() == 2
    v.step(2)
    v.screenshot("app_it_compare.png")
    assert v.outside == []
    v.close()
