"""The housing-levers section of the ODD (docs/odd/levers_housing.md, to be merged into docs/ODD.md) documents
every parameter of its levers with the code's defaults and ranges, in the format tests/test_docs.py checks."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from test_docs import config_keys  # noqa: E402

from abm.levers import PolicyConfig  # noqa: E402

DOC = (Path(__file__).resolve().parent.parent.parent / "docs" / "odd" / "levers_housing.md").read_text(encoding="utf-8")
LEVERS = ("funding", "allocation", "regeneration", "ers_fund", "shared_services")
KEYS = [(k, f, v) for k, f, v in config_keys(PolicyConfig(), "policy.") if k.split(".")[1] in LEVERS]
#: source labels of this section (tests/test_docs.py's SOURCE_LABELS plus the figures it cites)
SOURCES = re.compile(r"assumption|^–$|scenario knob|Regeneration in Bologna|GLOSSARY|CCNL")


def _row(key: str) -> list[str]:
    rows = [line for line in DOC.splitlines() if line.startswith(f"| `{key}` |")]
    assert len(rows) == 1, f"{key}: {len(rows)} parameter-table rows"
    cells = [c.strip() for c in rows[0].strip().strip("|").split("|")]
    assert len(cells) == 6, key
    return cells


def test_every_parameter_has_one_row_and_no_row_is_stale():
    keys = {k for k, _, _ in KEYS}
    assert len(keys) > 50
    for key in keys:
        _row(key)
    rows = re.findall(r"^\| `(policy\.[^`]+)` \|", DOC, flags=re.M)
    assert sorted(rows) == sorted(keys)


@pytest.mark.parametrize("key,field,default", KEYS, ids=[k for k, _, _ in KEYS])
def test_default_range_and_source(key, field, default):
    _, _, _, cell, rng, source = _row(key)
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        assert float(cell) == float(default), f"{key}: doc says {cell}, code {default}"
        lo, hi = field.metadata.get("lo"), field.metadata.get("hi")
        if lo is not None and hi is not None:
            assert rng.startswith(f"[{lo:g}, {hi:g}]"), f"{key}: doc range {rng}"
    assert SOURCES.search(source), f"{key}: source {source!r}"
