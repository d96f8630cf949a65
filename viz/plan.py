"""The neighbourhood map: buildings, stairwells and flats as a plan, flats coloured by an attribute, ties on top.

The plan is drawn as SVG by the Vue component ``plan.vue``: the static part (buildings, stairwell
numbers, shared spaces) is computed once per neighbourhood and language; each frame sends only the
flats' colours and tooltips and the ties as two SVG paths (weak, strong: like one LineCollection
each), so a step costs a few milliseconds whatever the number of ties.

Flat positions come from ``model.space.unit_xy`` (stairwells as columns, floors as rows); buildings
are placed on a grid with room for their names, and shared spaces are marked under the plan
(spaces open to the whole neighbourhood) or beside their building's name.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from html import escape

import numpy as np

from abm.vocabulary import HOUSEHOLD_TYPES
from viz.labels import LANGUAGES, t, tr

CELL = 0.84          # side of a flat's square (the grid pitch is 1)
GAP_X = 2.6          # between building columns
GAP_Y = 3.4          # between building rows (name above, stairwell numbers below)
TOP = 2.3            # room for the first row's names (two lines when a building is narrow)
NAME_EM = 0.57       # width of one character of a building's name on the plan (font 0.95)
NOTE_EM = 0.40       # the same for the tenure beside it (font 0.7)

VACANT = "#ffffff"
UNUSABLE = "#8c8c8c"
#: Paul Tol's "light" qualitative scheme (colour-blind safe, calm under dark tie lines)
TYPE_COLOURS = dict(zip(HOUSEHOLD_TYPES, ("#EE8866", "#EEDD88", "#44BB99", "#BBCC33", "#77AADD", "#99DDFF",
                                         "#FFAABB")))
#: five classes, low (red) to high (blue): ColorBrewer RdYlBu
LEVELS = ("#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6")
LEVEL_NAMES = ("very_low", "low", "medium", "high", "very_high")
#: what the flats can be coloured by (translation keys app.colour.<name>)
COLOUR_BY = ("htype", "isolation", "trust", "unmet", "satisfaction")


@dataclass
class Layout:
    """Where every flat is drawn (top-left corners of its square, centres), and the plan's size."""

    x: np.ndarray
    y: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    width: float
    height: float
    #: per building: name, tenure, x0, y0, x1, y1 of its outline
    buildings: list[tuple[str, str, float, float, float, float]]
    #: per stairwell: building index, number (from 1), x of its centre, y under the building
    stairwells: list[tuple[int, int, float, float]]
    #: y of the band for spaces open to the whole neighbourhood (None if there are none)
    band_y: float | None

    @property
    def viewbox(self) -> str:
        return f"0 0 {self.width:.2f} {self.height:.2f}"


def layout(space) -> Layout:
    """The plan of a :class:`abm.space.Neighbourhood` (recompute only when units or buildings change)."""
    n = space.n_units
    b_of = space.unit_building[:n]
    xy = np.asarray(space.unit_xy)[:n]
    floor = space.unit_floor[:n]
    nb = len(space.buildings)
    local_x = np.zeros(n)
    widths, heights = np.ones(nb), np.ones(nb)
    for bi in range(nb):
        m = b_of == bi
        if m.any():
            local_x[m] = xy[m, 0] - xy[m, 0].min()
            widths[bi] = local_x[m].max() + 1
            heights[bi] = floor[m].max() + 1
    cols = max(1, math.ceil(math.sqrt(nb)))
    col_w = max(widths.max(), NAME_EM * max(len(b.name) for b in space.buildings)) + GAP_X
    row_h = heights.max() + GAP_Y
    x0 = (np.arange(nb) % cols) * col_w + GAP_X / 2
    y0 = (np.arange(nb) // cols) * row_h + TOP
    top_floor = heights[b_of] - 1
    x = x0[b_of] + local_x + (1 - CELL) / 2
    y = y0[b_of] + (top_floor - floor) + (1 - CELL) / 2
    buildings = []
    stairwells = []
    for bi, b in enumerate(space.buildings):
        buildings.append((b.name, b.tenure, x0[bi] - 0.25, y0[bi] - 0.25,
                          x0[bi] + widths[bi] + 0.25, y0[bi] + heights[bi] + 0.25))
        m = b_of == bi
        for s in np.unique(space.unit_stairwell_local[:n][m]):
            ms = m & (space.unit_stairwell_local[:n] == s)
            stairwells.append((bi, int(s) + 1, float(x[ms].min() + (x[ms].max() + CELL - x[ms].min()) / 2),
                               float(y0[bi] + heights[bi] + 0.95)))
    rows = math.ceil(nb / cols)
    height = TOP + rows * row_h - GAP_Y + 1.6
    whole = [s for s in space.spaces if not s.spec.building]
    band_y = None
    if whole:
        band_y = height + 0.2
        height = band_y + 2.2
    return Layout(x=x, y=y, cx=x + CELL / 2, cy=y + CELL / 2, width=cols * col_w, height=height,
                  buildings=buildings, stairwells=stairwells, band_y=band_y)


def layout_key(space) -> tuple:
    """What the plan depends on: units, buildings and shared spaces (levers may add all three)."""
    return (space.n_units, tuple(b.name for b in space.buildings), len(space.spaces))


def space_label(spec, lang: str) -> str:
    """A shared space's kind, and its name when the name says more than the kind ("Orto", not "Orto: orto")."""
    kind = tr(f"app.space_kind.{spec.kind}", lang)
    name = spec.name.replace("_", " ")
    same = {spec.kind.replace("_", " ")} | {tr(f"app.space_kind.{spec.kind}", other) for other in LANGUAGES}
    return kind if name.lower() in {s.lower() for s in same} else f"{kind}: {name}"


def background(lay: Layout, space, lang: str) -> str:
    """SVG markup of the static plan: building outlines and names, stairwell numbers, shared spaces."""
    out = []
    room = max(b[4] - b[2] for b in lay.buildings) + GAP_X * 0.6  # a label may reach into the gap
    for name, tenure, bx0, by0, bx1, by1 in lay.buildings:
        out.append(f'<rect x="{bx0:.2f}" y="{by0:.2f}" width="{bx1 - bx0:.2f}" height="{by1 - by0:.2f}" rx="0.25" '
                   f'fill="#f3efe6" stroke="#b7ad9c" stroke-width="0.08"/>')
        note = escape(tr(f"app.tenure_short.{tenure}", lang, tenure))
        if NAME_EM * len(name) + NOTE_EM * (len(note) + 1) <= room:  # name and tenure on one line
            out.append(f'<text x="{bx0:.2f}" y="{by0 - 0.3:.2f}" font-size="0.95" font-weight="700" fill="#333">'
                       f'{escape(name)} <tspan font-weight="400" font-size="0.7" fill="#666">{note}</tspan></text>')
        else:  # a narrow building: the tenure under its name
            out.append(f'<text x="{bx0:.2f}" y="{by0 - 1.05:.2f}" font-size="0.95" font-weight="700" fill="#333">'
                       f'{escape(name)}</text><text x="{bx0:.2f}" y="{by0 - 0.3:.2f}" font-size="0.7" '
                       f'fill="#666">{note}</text>')
    stair = t("app.plan.stairwell_short", lang)
    for _, number, sx, sy in lay.stairwells:
        out.append(f'<text x="{sx:.2f}" y="{sy:.2f}" font-size="0.6" text-anchor="middle" fill="#777">'
                   f'{escape(stair)} {number}</text>')
    whole = [s for s in space.spaces if not s.spec.building]
    if whole and lay.band_y is not None:
        w = (lay.width - 1.0) / len(whole)
        for i, s in enumerate(whole):
            sx = 0.5 + i * w
            label = escape(space_label(s.spec, lang))
            scope = t("app.plan.whole_neighbourhood", lang) if getattr(s, "open_to_all", True) else ""
            font = min(0.75, (w - 0.6) / (0.5 * max(len(label), 1)))
            out.append(f'<g class="shared-space"><title>{label}{" (" + escape(scope) + ")" if scope else ""}</title>'
                       f'<rect x="{sx + 0.1:.2f}" y="{lay.band_y:.2f}" width="{w - 0.2:.2f}" '
                       f'height="1.7" rx="0.5" fill="#dcebd5" stroke="#7fa86f" stroke-width="0.08"/>'
                       f'<text x="{sx + w / 2:.2f}" y="{lay.band_y + 1.08:.2f}" font-size="{font:.2f}" '
                       f'text-anchor="middle" fill="#35582b">{label}'
                       + (f' <tspan font-size="0.6" fill="#557a48">({escape(scope)})</tspan>'
                          if scope and len(whole) == 1 else "") + '</text></g>')
    names = {b[0]: b for b in lay.buildings}
    for s in space.spaces:
        if s.spec.building and s.spec.building in names:
            _, _, bx0, by0, bx1, _ = names[s.spec.building]
            out.append(f'<text class="shared-space" x="{bx1:.2f}" y="{by0 - 0.3:.2f}" font-size="0.65" '
                       f'text-anchor="end" fill="#35582b">&#9679; {escape(space_label(s.spec, lang))}</text>')
    return "".join(out)


def address(space, unit: int, lang: str) -> str:
    """A flat's address as people say it: building, stairwell, floor, flat."""
    b = space.buildings[int(space.unit_building[unit])]
    floor = int(space.unit_floor[unit])
    return t("app.plan.address", lang, building=b.name, stairwell=int(space.unit_stairwell_local[unit]) + 1,
             floor=t("app.plan.ground_floor", lang) if floor == 0 else floor,
             flat=int(space.unit_position[unit]) + 1)


# --- colours ---------------------------------------------------------------------------------------------------
@dataclass
class Colouring:
    #: every flat's index into ``palette``
    index: list[int]
    palette: list[str]
    #: (colour, label, number of flats) in legend order
    legend: list[tuple[str, str, int]]

    @property
    def colours(self) -> list[str]:
        return [self.palette[i] for i in self.index]


def _levels(values: np.ndarray) -> np.ndarray:
    return np.clip((values * len(LEVELS)).astype(int), 0, len(LEVELS) - 1)


def colouring(model, attribute: str, recent_totals: np.ndarray, lang: str) -> Colouring:
    """Every flat's colour for ``attribute`` (one of COLOUR_BY) and the matching legend with counts."""
    hh, space = model.households, model.space
    n = space.n_units
    occ = hh.occupied[:n]
    habitable = space.habitable[:n]
    if attribute == "htype":
        palette = list(TYPE_COLOURS.values())
        cls = hh.htype[:n]
        names = [t(f"household_type.{h}", lang) for h in HOUSEHOLD_TYPES]
    elif attribute == "isolation":
        palette = [LEVELS[0], LEVELS[1], LEVELS[3], LEVELS[4]]
        deg = model.ties.degree()[:n]
        strong = model.ties.degree(model.config.encounters.strong_threshold)[:n]
        cls = np.select([deg == 0, strong == 0, strong <= 2], [0, 1, 2], 3)
        names = [t(f"app.legend.{k}", lang) for k in ("isolated", "weak_only", "strong_1_2", "strong_3")]
    elif attribute == "unmet":
        palette = ["#e6e1d3", LEVELS[4], LEVELS[1], LEVELS[0]]
        totals = recent_totals[:, :n]
        unmet = totals[2]
        any_need = totals.sum(axis=0) > 0
        cls = np.select([~any_need, unmet == 0, unmet == 1], [0, 1, 2], 3)
        names = [t(f"app.legend.{k}", lang) for k in ("no_needs", "needs_met", "unmet_1", "unmet_2")]
    elif attribute in ("trust", "satisfaction"):
        palette = list(LEVELS)
        cls = _levels(getattr(hh, attribute)[:n])
        names = [t(f"app.legend.{k}", lang) for k in LEVEL_NAMES]
    else:
        raise ValueError(f"cannot colour by {attribute!r}; allowed: {', '.join(COLOUR_BY)}")
    k = len(palette)
    idx = np.where(occ, cls, np.where(habitable, k, k + 1))
    counts = np.bincount(idx, minlength=k + 2)
    legend = [(palette[i], names[i], int(counts[i])) for i in range(k)]
    legend.append((VACANT, t("app.legend.vacant", lang), int(counts[k])))
    if counts[k + 1]:
        legend.append((UNUSABLE, t("app.legend.unusable", lang), int(counts[k + 1])))
    return Colouring(index=idx.tolist(), palette=palette + [VACANT, UNUSABLE], legend=legend)


# --- hover texts -----------------------------------------------------------------------------------------------
def addresses(space, lang: str) -> list[str]:
    """Every flat's address (static for a plan and a language)."""
    return [address(space, u, lang) for u in range(space.n_units)]


@dataclass
class UnitFacts:
    """What the hover text of every flat shows; the texts are put together in the browser (``plan.vue``)."""

    #: household type code; -1 vacant, -2 unusable
    kind: list[int]
    ties: list[int]
    strong: list[int]


def unit_facts(model) -> UnitFacts:
    hh, space = model.households, model.space
    n = space.n_units
    kind = np.where(hh.occupied[:n], hh.htype[:n], np.where(space.habitable[:n], -1, -2))
    return UnitFacts(kind=kind.tolist(), ties=model.ties.degree()[:n].astype(int).tolist(),
                     strong=model.ties.degree(model.config.encounters.strong_threshold)[:n].astype(int).tolist())


def hover_words(lang: str) -> dict:
    """The words the browser needs to write the hover texts in ``lang``."""
    return {"types": [t(f"household_type.{h}", lang) for h in HOUSEHOLD_TYPES],
            "vacant": t("app.legend.vacant", lang), "unusable": t("app.legend.unusable", lang),
            "ties": t("app.plan.tooltip_ties", lang, ties="{ties}", strong="{strong}")}


# --- ties ------------------------------------------------------------------------------------------------------
BULGE = 0.18  # a tie is drawn as an arc bowed by this share of its length (short ties stay visible)


def _arcs(lay: Layout, u: np.ndarray, v: np.ndarray) -> str:
    if len(u) == 0:
        return ""
    x1, y1, x2, y2 = lay.cx[u], lay.cy[u], lay.cx[v], lay.cy[v]
    qx = (x1 + x2) / 2 - BULGE * (y2 - y1)
    qy = (y1 + y2) / 2 + BULGE * (x2 - x1)
    return "".join(f"M{a:.2f} {b:.2f}Q{c:.2f} {d:.2f} {e:.2f} {f:.2f}"
                   for a, b, c, d, e, f in zip(x1.tolist(), y1.tolist(), qx.tolist(), qy.tolist(),
                                               x2.tolist(), y2.tolist()))


@dataclass
class TiePaths:
    weak: str
    strong: str
    #: the ties of the selected household
    focus: str
    n_weak: int
    n_strong: int


def tie_paths(model, lay: Layout, selected: int = -1) -> TiePaths:
    """The ties as SVG paths: weak ones, strong ones (at or above the strong-tie threshold), the selected flat's."""
    ties = model.ties
    n = len(lay.cx)
    ok = (ties.u < n) & (ties.v < n)
    u, v = ties.u[ok], ties.v[ok]
    strong = ties.strength[ok] >= model.config.encounters.strong_threshold
    mine = (u == selected) | (v == selected)
    return TiePaths(weak=_arcs(lay, u[~strong], v[~strong]), strong=_arcs(lay, u[strong], v[strong]),
                    focus=_arcs(lay, u[mine], v[mine]), n_weak=int((~strong).sum()), n_strong=int(strong.sum()))


# --- what the browser gets -------------------------------------------------------------------------------------
def plan_json(lay: Layout, background_svg: str, addresses_: list[str], words: dict, label: str) -> str:
    """The static part of the plan for ``plan.vue`` (changes with the neighbourhood or the language)."""
    return json.dumps({"viewbox": lay.viewbox, "background": background_svg, "cell": CELL, "label": label,
                       "x": [round(v, 3) for v in lay.x.tolist()], "y": [round(v, 3) for v in lay.y.tolist()],
                       "addresses": addresses_, "words": words}, ensure_ascii=False)


def week_json(week: int, col: Colouring, facts: UnitFacts, ties: TiePaths, selected: int, lang: str) -> str:
    """The weekly part of the plan for ``plan.vue``: colours, legend, hover facts, ties, the selected flat."""
    ties_text = t("app.plan.ties_count", lang, strong=ties.n_strong, weak=ties.n_weak)
    return json.dumps({"week": week, "colour": col.index, "palette": col.palette, "legend": col.legend,
                       "ties_text": ties_text, **asdict(facts), "weak": ties.weak,
                       "strong_path": ties.strong, "focus": ties.focus, "selected": selected}, ensure_ascii=False)
