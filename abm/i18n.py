"""Translations: one source for every user-facing label and text (report, app, terminal).

Each file in ``abm/locales/`` maps a key to its text in every language, e.g.::

    indicator.cohesion_index:
      it: Indice di coesione
      en: Cohesion index

Consumers call :func:`t` (``t("indicator.cohesion_index", "it")``).  A key missing in one language is
an error caught by the translation-table test, never a silent fallback to English in a page.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES = ("it", "en")
LOCALES = Path(__file__).resolve().parent / "locales"

#: keys whose text is the same in Italian and English on purpose: acronyms (ACER, ASP, ERP, ERS, SIEG),
#: loanwords used in both ("Cohousing", "Scenario") and symbols.  Every other key must read differently
#: in the two languages, so an untranslated label is caught by the translation-table test.
SAME_IN_BOTH = frozenset({
    "term.acer", "term.asp", "term.erp", "term.ers", "term.sieg", "term.cohousing", "term.scenario",
    "report.simulated.scenario", "report.headline.scenario", "report.headline.nd_mark",
    "report.payer.acer", "report.payer.asp",
})


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, str]]:
    """Every key of every locale file, merged (a key defined twice is an error)."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, texts in data.items():
            if key in out:
                raise ValueError(f"translation key {key!r} defined twice (second time in {path.name})")
            out[key] = texts
    return out


def t(key: str, lang: str = "it", **fmt) -> str:
    """The text of ``key`` in ``lang``, formatted with ``fmt``."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} not available; allowed: {', '.join(LANGUAGES)}")
    text = table()[key][lang]
    return text.format(**fmt) if fmt else text


def label(kind: str, name: str, lang: str = "it") -> str:
    """Label of a named thing: ``label("indicator", "cohesion_index", "en")``."""
    return t(f"{kind}.{name}", lang)
