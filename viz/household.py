"""One household's card: who lives in a flat, its ties, and the help it gave and got recently."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.submodels.help import MET_NEIGHBOUR, MET_SERVICE
from abm.vocabulary import HOUSEHOLD_TYPES, NEED_CATEGORIES, ORIGINS, OUTCOMES
from viz.labels import t
from viz.plan import address
from viz.simulation import RECENT_WEEKS

MAX_TIES_LISTED = 8


@dataclass
class Card:
    title: str
    #: (label, value) rows
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: one line per tie, strongest first
    ties: list[str] = field(default_factory=list)
    #: one line per help act in the last weeks, newest first
    help: list[str] = field(default_factory=list)
    #: this week's needs and how they ended
    needs: list[str] = field(default_factory=list)


def card(model, unit: int, recent_totals: np.ndarray, lang: str) -> Card:
    """The card of the household in ``unit`` (a vacant or unusable flat says so)."""
    space, hh = model.space, model.households
    if not 0 <= unit < space.n_units:
        raise IndexError(unit)
    c = Card(title=address(space, unit, lang))
    if not hh.occupied[unit]:
        c.facts.append((t("app.card.status", lang),
                        t("app.legend.vacant" if space.habitable[unit] else "app.legend.unusable", lang)))
        return c
    since = int(hh.moved_in[unit])
    c.facts += [
        (t("app.card.type", lang), t(f"household_type.{model.residents[unit].household_type}", lang)),
        (t("app.card.size", lang), str(int(hh.size[unit]))),
        (t("app.card.age", lang), str(int(hh.age_head[unit]))),
        (t("app.card.origin", lang), t(f"app.origin.{ORIGINS[int(hh.origin[unit])]}", lang)),
        (t("app.card.since", lang), t("app.card.since_start", lang) if since <= 0 else t("app.week", lang, week=since)),
        (t("app.card.trust", lang), f"{hh.trust[unit]:.0%}"),
        (t("app.card.satisfaction", lang), f"{hh.satisfaction[unit]:.0%}"),
    ]
    totals = recent_totals[:, unit]
    c.facts.append((t("app.card.needs_recent", lang, weeks=RECENT_WEEKS),
                    t("app.card.needs_counts", lang, neighbours=int(totals[MET_NEIGHBOUR]),
                      services=int(totals[MET_SERVICE]), unmet=int(totals[OUTCOMES.index("unmet")]))))

    ties = model.ties
    threshold = model.config.encounters.strong_threshold
    edges = np.flatnonzero((ties.u == unit) | (ties.v == unit))
    edges = edges[np.argsort(-ties.strength[edges], kind="stable")]
    for e in edges[:MAX_TIES_LISTED]:
        other = int(ties.v[e] if ties.u[e] == unit else ties.u[e])
        kind = t("app.legend.tie_strong" if ties.strength[e] >= threshold else "app.legend.tie_weak", lang)
        who = t(f"household_type.{HOUSEHOLD_TYPES[int(hh.htype[other])]}", lang)
        c.ties.append(f"{address(space, other, lang)} ({who}) — {kind}")
    if len(edges) > MAX_TIES_LISTED:
        c.ties.append(t("app.card.more", lang, n=len(edges) - MAX_TIES_LISTED))

    since_week = model.week - RECENT_WEEKS + 1
    acts = []
    for e in edges:
        mine_u = ties.u[e] == unit
        other = int(ties.v[e] if mine_u else ties.u[e])
        gave = ties.last_help_uv[e] if mine_u else ties.last_help_vu[e]
        got = ties.last_help_vu[e] if mine_u else ties.last_help_uv[e]
        if gave >= since_week:
            acts.append((int(gave), t("app.card.helped", lang, who=address(space, other, lang), week=int(gave))))
        if got >= since_week:
            acts.append((int(got), t("app.card.was_helped", lang, who=address(space, other, lang), week=int(got))))
    c.help = [text for _, text in sorted(acts, key=lambda a: -a[0])]

    needs = model.last_needs
    if needs is not None and len(needs):
        for i in np.flatnonzero(needs.requester == unit):
            what = t(f"app.need.{NEED_CATEGORIES[int(needs.category[i])]}", lang)
            outcome = int(needs.outcome[i])
            how = t(f"app.outcome.{OUTCOMES[outcome]}", lang) if 0 <= outcome < len(OUTCOMES) else "?"
            if outcome == MET_NEIGHBOUR and needs.helper[i] >= 0:
                how += f" ({address(space, int(needs.helper[i]), lang)})"
            c.needs.append(f"{what}: {how}")
    return c
