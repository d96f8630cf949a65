"""Headless Chromium for the tests that look at pages as people see them (report, app).

Debian's chromium (installed by scripts/ensure_chromium.sh) driven by Playwright; no browser download
(viz.headless launches it). Without it a browser test fails under CI and is skipped elsewhere.
"""

from __future__ import annotations

import os

import pytest

from viz.headless import CHROMIUM, launch

__all__ = ["launch", "playwright"]


def playwright():
    """A Playwright context manager, after making sure Debian's chromium is there."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (run scripts/ensure_chromium.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    return sync_playwright()
