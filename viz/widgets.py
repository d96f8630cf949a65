"""The page's building blocks (Solara components): controls, the map, legends, the household card, charts."""

from __future__ import annotations

import base64
import math
from typing import Callable

import solara

from viz import controls as ctl
from viz.household import card
from viz.labels import explain, t, tr


def items(names, prefix: str, lang: str) -> list[dict]:
    """Select options whose labels are translations of ``<prefix>.<name>``."""
    return [{"text": tr(f"{prefix}.{n}", lang), "value": n} for n in names]


@solara.component
def SelectBox(label: str, options: list, value, on_value: Callable, classes=None):
    solara.v.Select(label=label, items=options, v_model=value, on_v_model=lambda v: on_value(v) if v is not None else None,
                    outlined=True, dense=True, hide_details=True, class_="my-2 " + " ".join(classes or []))


@solara.component_vue("plan.vue")
def PlanSvg(plan_json: str, week_json: str, event_select: Callable[[int], None] = None,
            event_shown: Callable[[int], None] = None):
    """The plan and its legend (see plan.vue): flats as squares, ties as SVG paths, hover texts, click to
    select; it reports each week it has put on screen (``event_shown``).

    Its data come as two JSON strings (see :func:`viz.plan.plan_json`, :func:`viz.plan.week_json`): comparing
    and sending one string is much cheaper than hundreds of list items every week.
    """


@solara.component_vue("charts.vue")
def ChartGrid(charts: list, columns: int):
    """The indicator cards (see charts.vue): ``charts`` is a list of {name, title, explain, src}."""


@solara.component
def LeverPanel(side: str, policy: ctl.Policy, neighbourhood: str, lang: str, on_policy: Callable):
    """Policy preset and the lever controls available in the composed configuration."""
    try:
        cfg = ctl.preset_config(neighbourhood, policy.preset)
    except Exception:  # noqa: BLE001  (a preset that does not compose: offer the preset list only)
        cfg = None
    values = ctl.lever_values(cfg) if cfg is not None else {}
    values.update(dict(policy.levers))
    label = t("app.ui.policy", lang) if side == "" else t("app.ui.policy_side", lang, side=side)
    SelectBox(label, items(ctl.presets("policy"), "app.policy", lang), policy.preset,
              lambda p: on_policy(ctl.Policy(p)), classes=[f"policy{side}"])
    if cfg is None:
        return
    for lever in ctl.available(cfg):
        with solara.Div(classes=["lever-box", f"lever-{lever.lever}"]):
            switch = next((c for c in lever.controls if c.kind == "switch"), None)
            on = bool(values.get(switch.key, True)) if switch else True
            if switch:
                solara.Switch(label=tr(lever.label_key, lang), value=on,
                              on_value=lambda v, k=switch.key: on_policy(policy.with_lever(k, v)))
            else:
                solara.HTML(tag="h3", unsafe_innerHTML=tr(lever.label_key, lang))
            for c in lever.controls:
                if c.kind == "switch" or not on:  # doses show only while the lever is on
                    continue
                LeverControl(c, cfg, values.get(c.key), lang,
                             lambda v, k=c.key: on_policy(policy.with_lever(k, v)))


@solara.component
def LeverControl(c: ctl.Control, cfg, value, lang: str, on_value: Callable):
    """One dose of a lever: a slider (label above it) or a choice."""
    label = tr(c.label_key, lang)
    if c.kind == "choice":
        options = [{"text": tr(f"app.choice.{c.key}.{v}", lang, str(v)), "value": v} for v in ctl.choices(cfg, c.key)]
        SelectBox(label, options, value, on_value)
        return
    lo, hi = ctl.slider_bounds(cfg, c)
    lo, hi = min(lo, value), max(hi, value)  # a preset may set a dose outside the usual range
    solara.HTML(tag="div", classes=["control-label"], unsafe_innerHTML=label)  # above the slider: full width
    if float(c.step).is_integer():
        solara.SliderInt(label="", value=int(round(value)), min=int(lo), max=int(math.ceil(hi)), step=int(c.step),
                         thumb_label="always", on_value=on_value)
    else:
        solara.SliderFloat(label="", value=float(value), min=lo, max=hi, step=c.step, thumb_label="always",
                           on_value=on_value)


@solara.component
def TieLegend(lang: str):
    solara.HTML(tag="div", classes=["muted", "tie-legend"], unsafe_innerHTML=(
        '<svg width="34" height="12"><path d="M2 6 L32 6" stroke="#1d3557" stroke-width="4"/></svg> '
        f'{t("app.legend.tie_strong", lang)} &nbsp; '
        '<svg width="34" height="12"><path d="M2 6 L32 6" stroke="#9aa1aa" stroke-width="1.2"/>'
        f'</svg> {t("app.legend.tie_weak", lang)} &nbsp; {t("app.plan.click_hint", lang)}'))


@solara.component
def HouseholdCard(c, side_label: str, lang: str):
    """One household's card (a :class:`viz.household.Card`)."""
    with solara.Div(classes=["household-card"]):
        solara.HTML(tag="h3", unsafe_innerHTML=f"{side_label}{c.title}")
        rows = "".join(f"<tr><td class='muted'>{k}</td><td><b>{v}</b></td></tr>" for k, v in c.facts)
        solara.HTML(tag="table", unsafe_innerHTML=rows)
        for title_key, lines in (("app.card.ties", c.ties), ("app.card.help", c.help), ("app.card.needs", c.needs)):
            solara.HTML(tag="h3", unsafe_innerHTML=t(title_key, lang))
            body = "".join(f"<li>{line}</li>" for line in lines) or f"<li class='muted'>{t('app.card.none', lang)}</li>"
            solara.HTML(tag="ul", classes=["card-list"], unsafe_innerHTML=body)


@solara.component
def Cards(cards: dict, lang: str):
    """The cards of the selected flat, one per run (A, B); a hint while nothing is selected."""
    if not cards:
        solara.HTML(tag="div", classes=["muted", "household-hint"], unsafe_innerHTML=t("app.card.hint", lang))
        return
    with solara.Columns([1] * len(cards), gutters_dense=True):
        for side, c in cards.items():
            HouseholdCard(c, f"{side}: " if len(cards) > 1 else "", lang)


def cards_for(runs: dict, selected: int, lang: str) -> dict:
    """The card of flat ``selected`` in every run (call under the session lock)."""
    if selected < 0:
        return {}
    return {side: card(run.model, selected, run.recent.totals(), lang) for side, run in runs.items()
            if selected < run.model.space.n_units}


@solara.component
def Charts(images: dict, lang: str, compare: bool, has_previous: bool, columns: int = 2):
    """The headline indicator charts (``images``: indicator -> PNG bytes) with their titles and explanations."""
    key = []
    if compare:
        key = ['<span class="side-a">━ A</span>', '<span class="side-b">╍ B</span>']
    elif has_previous:
        key = [f'<span class="side-a">━ {t("app.chart.current", lang)}</span>',
               f'<span style="color:#888;font-weight:700">━ {t("app.chart.previous", lang)}</span>']
    solara.HTML(tag="h2", classes=["charts-title"],
                unsafe_innerHTML=t("app.chart.title", lang) + (" &nbsp; " + " &nbsp; ".join(key) if key else ""))
    ChartGrid(charts=[{"name": name, "title": t(f"indicator.{name}", lang), "explain": explain(name, lang),
                       "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii")}
                      for name, png in images.items()], columns=columns)


@solara.component
def Explainer(lang: str):
    with solara.Details(summary=t("app.help.title", lang), expand=False):
        with solara.Div(classes=["explainer"]):
            solara.Markdown(t("app.help.body", lang))
