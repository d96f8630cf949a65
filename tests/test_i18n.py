"""The translation table covers everything a person sees: every indicator has a label and an explanation
in every language."""

from abm.i18n import LANGUAGES, table
from abm.indicators import INDICATORS


def test_every_indicator_has_a_label_and_an_explanation_in_every_language():
    tab = table()
    for name in INDICATORS:
        for kind in ("indicator", "explain"):
            key = f"{kind}.{name}"
            assert key in tab, key
            for lang in LANGUAGES:
                assert tab[key].get(lang, "").strip(), (key, lang)
