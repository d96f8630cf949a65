"""What the model's parameters rest on, read from the ODD's parameter tables (``docs/ODD.md``).

Each parameter table of the ODD has the header ``| key | meaning | unit | default | range | source |``;
a source cell that begins with "assumption" marks a modelling choice, one that mentions it elsewhere a
value partly derived from data, any other a value from the project's public sources.
"""

from __future__ import annotations

import re
from pathlib import Path

import abm

ODD = Path(abm.__file__).resolve().parent.parent / "docs" / "ODD.md"
KINDS = ("data", "partly", "assumption", "setting")
SETTING = re.compile(r"^(–|-|)$|^preset|scenario knob|input_data", re.IGNORECASE)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parameter_sources(text: str) -> dict[str, dict[str, int]]:
    """Per configuration group (``population``, ``encounters``, ...): how many parameters come from data,
    partly from data, are assumptions, or are settings of the experiment."""
    out: dict[str, dict[str, int]] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if header[0] != "key" or header[-1] != "source" or len(cells) != len(header):
            continue
        m = re.fullmatch(r"`([a-z_]+)[.\[][^`]*`", cells[0])
        if not m:
            continue
        source = cells[-1].lower()
        kind = ("assumption" if source.startswith("assumption") else "partly" if "assumption" in source
                else "setting" if SETTING.search(source) else "data")
        group = out.setdefault(m.group(1), dict.fromkeys(KINDS, 0))
        group[kind] += 1
    return out


def load(path: Path | None = None) -> dict[str, dict[str, int]]:
    """The parameter sources of the ODD at ``path`` and of its separate sections in ``docs/odd/*.md``
    (empty if there is no ODD)."""
    path = Path(path) if path is not None else ODD
    files = ([path] if path.is_file() else []) + sorted((path.parent / "odd").glob("*.md"))
    out: dict[str, dict[str, int]] = {}
    for f in files:
        for group, counts in parameter_sources(f.read_text(encoding="utf-8")).items():
            mine = out.setdefault(group, dict.fromkeys(KINDS, 0))
            for k, n in counts.items():
                mine[k] += n
    return out
