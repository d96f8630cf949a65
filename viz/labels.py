"""Translations for the app: every text comes from :mod:`abm.i18n` (keys in ``abm/locales/``)."""

from __future__ import annotations

from abm.i18n import LANGUAGES, table, t

__all__ = ["LANGUAGES", "t", "tr", "explain", "has"]


def has(key: str) -> bool:
    return key in table()


def tr(key: str, lang: str, fallback: str | None = None, **fmt) -> str:
    """``t(key, lang)``, or ``fallback`` (default: the last part of the key, made readable) if the key is unknown.

    Used for names that come from config files (presets, shared spaces), whose labels may not exist yet.
    """
    if has(key):
        return t(key, lang, **fmt)
    return fallback if fallback is not None else key.rsplit(".", 1)[-1].replace("_", " ")


def explain(indicator: str, lang: str) -> str:
    """The short explanation of an indicator, from the glossary the report uses too (``explain.<name>``)."""
    return t(f"explain.{indicator}", lang)
