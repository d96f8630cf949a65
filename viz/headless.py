"""The workshop app in headless Chromium, as a person sees it: used by tests/test_app.py and
scripts/app_screenshot.py.

``serve_app`` starts ``solara run viz/app.py`` on a free localhost port; ``launch`` opens Debian's chromium
(``scripts/ensure_chromium.sh`` installs it; Playwright downloads no browser); ``Visit`` is one person at the
page, with every request that is not to localhost blocked and recorded (the app must work with no internet).
Playwright is a development dependency: it is imported only when a browser is launched.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOAD_TIMEOUT_MS = 90_000
SERVER_START_S = 90


def launch(p):
    """Debian's chromium, headless, with no background networking (``p``: a started sync Playwright)."""
    return p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(log_path: Path):
    """The app server on a free localhost port, its output in ``log_path``: yields ``(url, process)``."""
    port = _free_port()
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", PYTHONUNBUFFERED="1")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "solara", "run", "viz/app.py", "--production", "--no-open",
                                 "--no-check-version", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + SERVER_START_S
            while True:
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app server did not start (see {log_path})")
                time.sleep(0.5)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


class Visit:
    """One browser context (one person at the app) with every non-localhost request blocked and recorded."""

    def __init__(self, browser, url: str, width: int = 1600, height: int = 1000):
        self.outside: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("websocket", lambda ws: self._check(ws.url))
        self.page.goto(url)
        self.page.wait_for_selector("svg.abitare-plan rect.unit", timeout=LOAD_TIMEOUT_MS)

    def _check(self, url: str) -> bool:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about") or parsed.hostname in LOCAL_HOSTS:
            return True
        self.outside.append(url)
        return False

    def _route(self, route):
        if self._check(route.request.url):
            route.continue_()
        else:
            route.abort()

    def week(self) -> int:
        return int(re.search(r"\d+", self.page.locator(".week").inner_text()).group())

    def wait_week(self, week: int, timeout: float = 30.0, at_least: bool = False) -> None:
        """Wait until the counter shows ``week`` (or any later week with ``at_least``: while playing, the
        page may show a week between two looks at it)."""
        deadline = time.monotonic() + timeout
        while not (self.week() >= week if at_least else self.week() == week):
            if time.monotonic() > deadline:
                raise TimeoutError(f"week counter stuck at {self.week()}, expected {week}")
            time.sleep(0.1)

    def chart_src(self, name: str) -> str:
        return self.page.locator(f".chart-{name} img").get_attribute("src")

    def step(self, times: int = 1) -> None:
        for _ in range(times):
            start = self.week()
            self.page.locator(".btn-step").click()
            self.wait_week(start + 1)

    def choose(self, select: str, option: str) -> None:
        """Pick ``option`` (its visible text) in the drop-down with class ``select``."""
        self.page.locator(f".{select}").click()
        self.page.locator(".v-menu__content .v-list-item", has_text=option).click()

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        self.page.screenshot(path=str(path), full_page=full_page)

    def close(self) -> None:
        self.context.close()
