"""The README's screenshot of the workshop app, as a person sees it: ``.venv/bin/python scripts/app_screenshot.py``.

Starts the app (viz.headless, as tests/test_app.py does), opens it in headless Debian chromium at 1600x1000,
switches to English, picks the ACER estate, steps to week ``WEEK``, colours the flats by isolation, clicks
the occupied flat with the most strong ties (so its card and ties show) and saves the visible page to
docs/img/app.png (quantised to 256 colours, as before, to keep the repository small).
Same seed, same picture: the app's default seed and the steps are fixed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect, sync_playwright

from viz.headless import CHROMIUM, LOAD_TIMEOUT_MS, ROOT, Visit, launch, serve_app

WEEK = 53  # a year and a week: the first week of year 2
WIDTH, HEIGHT = 1600, 1000
NEIGHBOURHOOD = "ACER public-housing estate"  # app.neighbourhood.acer_estate, in English
STRONG = re.compile(r"(\d+) ties \((\d+) strong\)")  # app.plan.tooltip_ties, in English


def pick_flat(visit: Visit) -> int:
    """The occupied flat with the most strong ties (then most ties, then the first): its index on the map."""
    titles = visit.page.locator("svg.abitare-plan rect.unit title").all_text_contents()
    scored = [(int(m.group(2)), int(m.group(1)), -i) for i, text in enumerate(titles) if (m := STRONG.search(text))]
    if not scored:
        raise RuntimeError("no occupied flat on the map")
    return -max(scored)[2]


def shoot(out: Path, week: int = WEEK) -> dict:
    with serve_app(ROOT / "outputs" / "app_screenshot_server.log") as (url, _), sync_playwright() as p:
        browser = launch(p)
        visit = Visit(browser, url, WIDTH, HEIGHT)
        page = visit.page
        page.locator(".lang-en").click()
        expect(page.locator("h1")).to_contain_text("workshop")
        visit.choose("neighbourhood", NEIGHBOURHOOD)
        expect(page.locator(".neighbourhood")).to_contain_text(NEIGHBOURHOOD)
        visit.wait_week(0)
        visit.step(week)
        visit.choose("colour-by", "Isolation")
        expect(page.locator(".legend")).to_contain_text("Isolated")
        flat = pick_flat(visit)
        page.locator(f'svg.abitare-plan rect.unit[data-unit="{flat}"]').click()
        expect(page.locator(".household-card h3").first).to_contain_text("stair", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function("[...document.querySelectorAll('.chart-card img')]"
                               ".every(img => img.complete && img.naturalWidth > 0)", timeout=LOAD_TIMEOUT_MS)
        page.mouse.move(0, 0)  # no hover text over the map
        page.wait_for_timeout(500)  # the last paint
        shot = out.with_suffix(".raw.png")
        visit.screenshot(shot, full_page=False)
        facts = {"week": visit.week(), "flat": flat, "card": page.locator(".household-card h3").first.inner_text(),
                 "outside_requests": visit.outside}
        visit.close()
        browser.close()
    Image.open(shot).convert("RGB").quantize(colors=256).save(out, optimize=True)
    shot.unlink()
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "app.png")
    parser.add_argument("--week", type=int, default=WEEK)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: run scripts/ensure_chromium.sh", file=sys.stderr)
        return 2
    facts = shoot(args.out, args.week)
    print(f"{args.out}: week {facts['week']}, flat {facts['flat']} ({facts['card']})")
    if facts["outside_requests"]:
        print(f"requests outside localhost (blocked): {facts['outside_requests']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
