"""Abitare workshop app: the neighbourhood, its ties and its indicators, live, in Italian and English.

Run with ``make viz`` (``solara run viz/app.py``).  Everything is served by the local Solara server
(Vue/Vuetify front-end from the solara-assets package, charts drawn by matplotlib, the map as SVG):
nothing is loaded from the internet.

Each browser page has its own :class:`~viz.simulation.Session` (component state, never a module
global), so two people with the app open each step their own models.  Every setting is validated
before the running models are replaced; a bad value shows a message and the simulation carries on.

Mesa's SolaraViz is not used for the page: it builds a model from flat keyword parameters (this model
takes a whole configuration tree), its controls are in English only and it has no side-by-side
comparison; its charts and space drawing use Altair or a Mesa grid, and Altair needs a CDN.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script by `solara run viz/app.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import solara
import solara.server.settings as server_settings

from abm.errors import ConfigError
from viz import controls as ctl
from viz.charts import LiveChart
from viz.labels import LANGUAGES, t, tr
from viz.plan import (COLOUR_BY, addresses, background, colouring, hover_words, layout, layout_key, plan_json,
                      tie_paths, unit_facts, week_json)
from viz.simulation import CHARTED, Session
from viz.widgets import (Cards, Charts, Explainer, LeverPanel, PlanSvg, SelectBox, TieLegend, cards_for,
                         items)

# a workshop room may have no internet: no "made with Solara" banner linking out, no usage statistics
server_settings.theme.show_banner = False
server_settings.theme.title = "Abitare"
server_settings.telemetry.mixpanel_enable = False
# plain http on a laptop: Solara's advice about https cookies is noise in the facilitator's terminal
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

CSS = (Path(__file__).resolve().parent / "style.css").read_text(encoding="utf-8")
#: weeks a second when playing (the slider's range); the page renders every week it shows
SPEED_MIN, SPEED_MAX, SPEED_DEFAULT = 1, 20, 8
#: the play loop waits at most this long for the page to render a week, and for the browser to show it
FRAME_TIMEOUT_S = 2.0
#: wait for the browser to show a week before drawing the next (no backlog); off only without a browser
WAIT_FOR_BROWSER = True
#: while playing, the charts are redrawn at most this often (the map and the week counter: every week)
CHART_INTERVAL_S = 0.25
#: settings apply this long after the last change (dragging a slider does not rebuild at every pixel)
DEBOUNCE_S = 0.3


class Views:
    """Per-page drawing caches (plan layout, backgrounds, hover addresses, the headline charts) and frame pacing."""

    def __init__(self):
        self._plan: dict[tuple, tuple] = {}
        self.charts = {name: LiveChart(name) for name in CHARTED}
        #: set when the page has rendered the latest frame (the play loop waits for it)
        self.rendered = threading.Event()
        #: set when the browser has put the latest week on screen
        self.shown_event = threading.Event()
        #: when the last weeks were shown while playing (for the measured weeks a second)
        self.shown: list[float] = []
        self._images: tuple = (None, 0.0, {})
        self._rate: tuple = (0.0, None)

    def chart_images(self, runs: dict, previous, lang: str, generation: int, playing: bool) -> dict:
        """The charts' PNGs; while playing, redrawn at most every CHART_INTERVAL_S (else the last ones)."""
        key = (generation, lang, tuple(runs))
        last_key, last_time, images = self._images
        now = time.perf_counter()
        if playing and key == last_key and now - last_time < CHART_INTERVAL_S:
            return images
        images = {name: chart.render({side: run.series(name) for side, run in runs.items()},
                                     previous.get(name) if previous else None, lang, generation)
                  for name, chart in self.charts.items()}
        self._images = (key, now, images)
        return images

    def on_shown(self, week) -> None:
        """The browser reports a week on screen (plan.vue)."""
        self.shown_event.set()

    def weeks_per_second(self) -> float | None:
        """Weeks shown a second over the last 3 seconds of play (None if too few), updated once a second."""
        if not self.shown:
            return None
        now = self.shown[-1]
        if now - self._rate[0] >= 1.0:
            recent = [s for s in self.shown if s > now - 3.0]
            self._rate = (now, (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) >= 3 else None)
        return self._rate[1]

    def plan(self, space, lang: str):
        """(layout, the plan's static JSON for plan.vue) of a neighbourhood in a language."""
        key = (layout_key(space), lang)
        if key not in self._plan:
            lay = layout(space)
            self._plan = {key: (lay, plan_json(lay, background(lay, space, lang), addresses(space, lang),
                                               hover_words(lang), t("app.plan.label", lang)))}
        return self._plan[key]


def _ignore(*_args) -> None:
    pass


def message(kind: str, key: str, **fmt) -> tuple:
    """A message to show, kept untranslated (it is shown in the page's current language)."""
    return (kind, key, tuple(sorted(fmt.items())))


def error_message(e: Exception) -> tuple:
    if isinstance(e, ConfigError):
        return message("error", "app.msg.config_error", key=e.key, value=e.value, allowed=e.allowed)
    traceback.print_exc()
    return message("error", "app.msg.unexpected", error=f"{type(e).__name__}: {e}")


@solara.component
def Page():
    session = solara.use_memo(Session, [])
    views = solara.use_memo(Views, [])
    lang, set_lang = solara.use_state("it")
    settings, set_settings = solara.use_state(ctl.Settings())
    seed_text, set_seed_text = solara.use_state("0")
    bad_seed, set_bad_seed = solara.use_state(None)
    note, set_note = solara.use_state(None)

    def on_seed(text):
        set_seed_text(text)
        try:
            seed = ctl.parse_seed(text)
        except ConfigError:
            set_bad_seed(text)
            set_note(message("warning", "app.msg.bad_seed", value=text, max=ctl.SEED_MAX))
            return
        set_bad_seed(None)
        set_settings(lambda s: ctl.Settings(s.neighbourhood, seed, s.a, s.b))

    def on_mode(mode):
        set_settings(lambda s: ctl.Settings(s.neighbourhood, s.seed, s.a,
                                            (s.b or ctl.contrast(s.a)) if mode == "compare" else None))

    def on_policy(side):
        def set_policy(p):
            set_settings(lambda s: ctl.Settings(s.neighbourhood, s.seed, p if side == "A" else s.a,
                                                p if side == "B" else s.b))
        return set_policy

    solara.Style(CSS)
    with solara.Column(classes=["abitare"], style={"padding": "10px 20px", "gap": "6px"}):
        with solara.Row(style={"align-items": "center", "gap": "24px", "flex-wrap": "wrap"}):
            solara.HTML(tag="h1", unsafe_innerHTML=t("app.title", lang))
            solara.Div(style={"flex-grow": "1"})
            solara.ToggleButtonsSingle(value="compare" if settings.compare else "single", on_value=on_mode, children=[
                solara.Button(t("app.mode.single", lang), value="single", classes=["mode-single"]),
                solara.Button(t("app.mode.compare", lang), value="compare", classes=["mode-compare"])])
            solara.ToggleButtonsSingle(value=lang, on_value=set_lang, children=[
                solara.Button(code.upper(), value=code, classes=[f"lang-{code}"]) for code in LANGUAGES])
        with solara.Columns([1, 4], gutters_dense=True):
            with solara.Column(classes=["controls"], style={"gap": "2px"}):
                Explainer(lang)
                SelectBox(t("app.ui.neighbourhood", lang), items(ctl.presets("neighbourhood"), "app.neighbourhood", lang),
                          settings.neighbourhood,
                          lambda n: set_settings(lambda s: ctl.Settings(n, s.seed, s.a, s.b)), classes=["neighbourhood"])
                seed_help = t("app.msg.bad_seed", lang, value=bad_seed, max=ctl.SEED_MAX) if bad_seed is not None else None
                solara.InputText(t("app.ui.seed", lang), value=seed_text, on_value=on_seed, error=seed_help or False,
                                 message=seed_help, classes=["seed-input"])
                for side, policy in settings.sides().items():
                    if settings.compare:
                        solara.HTML(tag="h2", classes=[f"side-{side.lower()}"], unsafe_innerHTML=t("app.ui.side", lang, side=side))
                    LeverPanel(side if settings.compare else "", policy, settings.neighbourhood, lang, on_policy(side))
            with solara.Column(style={"gap": "8px"}):
                Stage(session, views, settings, set_settings, lang, note, set_note)


@solara.component
def Stage(session: Session, views: Views, settings: ctl.Settings, set_settings, lang: str, note, set_note):
    """Play controls, the map(s), the household card and the charts: the part that changes every week."""
    tick, set_tick = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(SPEED_DEFAULT)
    colour_by, set_colour_by = solara.use_state("htype")
    show_ties, set_show_ties = solara.use_state("all")
    selected, set_selected = solara.use_state(-1)
    solara.use_effect(lambda: set_selected(-1), [settings.neighbourhood])  # another place, other flats

    def apply_settings(cancel):
        """Build the runs for new settings (in a thread: it takes a moment; rapid changes are debounced)."""
        if session.settings == settings:
            return
        if session.settings is not None and cancel.wait(DEBOUNCE_S):
            return
        try:
            session.apply(settings)
            restarted = session.previous is not None and not settings.compare
            set_note(message("info", "app.msg.restarted") if restarted else None)
        except Exception as e:  # noqa: BLE001  (whatever went wrong: say so, keep the running models)
            set_note(error_message(e))
            if session.settings is not None:
                set_settings(session.settings)  # the controls show what is running again
        set_tick(lambda x: x + 1)

    solara.use_thread(apply_settings, dependencies=[settings], intrusive_cancel=False)

    def play_loop(cancel):
        if not playing:
            return
        views.shown, views._rate = [], (0.0, None)
        views.shown_event.set()
        while not cancel.is_set():
            started = time.perf_counter()
            try:
                if session.runs:
                    session.step(1)
            except Exception as e:  # noqa: BLE001
                set_note(error_message(e))
                set_playing(False)
                return
            # every week is drawn: the browser has shown the last week (it drew it while this one was
            # stepped) before this one is rendered, and the render is committed before the next step
            if WAIT_FOR_BROWSER:
                views.shown_event.wait(timeout=FRAME_TIMEOUT_S)
            views.shown_event.clear()
            views.rendered.clear()
            set_tick(lambda x: x + 1)
            views.rendered.wait(timeout=FRAME_TIMEOUT_S)
            views.shown.append(time.perf_counter())
            if cancel.wait(max(0.0, 1.0 / speed - (time.perf_counter() - started))):
                return

    solara.use_thread(play_loop, dependencies=[playing, speed], intrusive_cancel=False)
    solara.use_effect(views.rendered.set, [tick])  # effects run once the render is committed

    def step_once():
        try:
            session.step(1)
        except Exception as e:  # noqa: BLE001
            set_note(error_message(e))
        set_tick(lambda x: x + 1)

    def reset():
        try:
            session.reset()
        except Exception as e:  # noqa: BLE001
            set_note(error_message(e))
        set_tick(lambda x: x + 1)

    # callbacks that stay the same object from week to week, so the buttons are not redrawn every week
    on_step = solara.use_memo(lambda: step_once, [])
    on_reset = solara.use_memo(lambda: reset, [])
    on_play = solara.use_memo(lambda: (lambda: set_playing(not playing)), [playing])

    with session.lock:
        runs = dict(session.runs)
        week = session.week
    rate = views.weeks_per_second() if playing else None
    with solara.Row(style={"align-items": "center", "gap": "16px", "flex-wrap": "wrap"}):
        solara.HTML(tag="span", classes=["week"], unsafe_innerHTML=t("app.week_year", lang, week=week, year=week // 52 + 1))
        PlayControls(lang, playing, bool(runs), speed, on_play, on_step, on_reset, set_speed)
        if rate is not None:
            solara.HTML(tag="span", classes=["muted", "speed-actual"],
                        unsafe_innerHTML=t("app.ui.speed_actual", lang, rate=f"{rate:.1f}"))
    if note is not None:
        kind, key, fmt = note
        show = {"error": solara.Error, "warning": solara.Warning}.get(kind, solara.Info)
        show(t(key, lang, **dict(fmt)), classes=["app-message", f"app-message-{kind}"], dense=True)
    if not runs:
        solara.Info(t("app.msg.building", lang))
        solara.ProgressLinear(True)
        return
    Neighbourhood(session, views, runs, settings, lang, colour_by, set_colour_by, show_ties, set_show_ties,
                  selected, set_selected, playing, tick)


@solara.component
def PlayControls(lang, playing, ready, speed, on_play, on_step, on_reset, on_speed):
    """Play/pause, step, reset and speed (its arguments stay the same while playing: not redrawn every week)."""
    big = {"font-size": "18px", "height": "44px"}
    with solara.Row(style={"align-items": "center", "gap": "16px", "flex-wrap": "wrap"}):
        solara.Button(t("app.button.pause" if playing else "app.button.play", lang),
                      icon_name="mdi-pause" if playing else "mdi-play", color="primary", on_click=on_play,
                      disabled=not ready, classes=["btn-play"], style=big)
        solara.Button(t("app.button.step", lang), icon_name="mdi-skip-next", on_click=on_step,
                      disabled=not ready or playing, classes=["btn-step"], outlined=True, style=big)
        solara.Button(t("app.button.reset", lang), icon_name="mdi-restart", on_click=on_reset, disabled=not ready,
                      classes=["btn-reset"], outlined=True, style=big)
        with solara.Div(classes=["speed-slider"], style={"min-width": "300px", "padding-top": "18px"}):
            solara.SliderInt(t("app.ui.speed", lang), value=speed, min=SPEED_MIN, max=SPEED_MAX, on_value=on_speed,
                             thumb_label="always")


@solara.component
def Neighbourhood(session, views, runs, settings, lang, colour_by, set_colour_by, show_ties, set_show_ties,
                  selected, set_selected, playing, tick):
    """The map(s) with their legends, the household card and the charts, for the current week."""
    del tick  # a new tick (a week, new runs) is what makes this render
    on_select = solara.use_memo(lambda: (lambda u: set_selected(-1 if u == selected else int(u))), [selected])
    try:
        with session.lock:  # a consistent picture: the play loop cannot step while it is drawn
            previous, generation = session.previous, session.generation
            lay, static = views.plan(runs["A"].model.space, lang)
            maps = {}
            for side, run in runs.items():
                ties = tie_paths(run.model, lay, selected)
                if show_ties != "all":
                    ties.weak = ""
                if show_ties == "none":
                    ties.strong = ""
                col = colouring(run.model, colour_by, run.recent.totals(), lang)
                maps[side] = week_json(run.week, col, unit_facts(run.model), ties, selected, lang)
            cards = cards_for(runs, selected, lang)
            images = views.chart_images(runs, previous, lang, generation, playing)
    except Exception as e:  # noqa: BLE001  (a drawing failure must not take the page down: say so instead)
        kind, key, fmt = error_message(e)
        solara.Error(t(key, lang, **dict(fmt)), classes=["app-message", "app-message-error"], dense=True)
        return
    compare = len(runs) > 1

    def plan(side):
        week = maps[side]
        with solara.Column(classes=[f"map-{side.lower()}"], style={"gap": "4px"}):
            if compare:
                policy = settings.sides().get(side)
                name = tr(f"app.policy.{policy.preset}", lang) if policy else ""
                if policy and policy.levers:
                    name += " " + t("app.ui.changed", lang)
                solara.HTML(tag="h2", classes=[f"side-{side.lower()}"], unsafe_innerHTML=f"{side}: {name}")
            PlanSvg(plan_json=static, week_json=week,
                    event_select=on_select,
                    event_shown=views.on_shown if side == "A" else _ignore)

    with solara.Row(style={"align-items": "center", "gap": "16px", "flex-wrap": "wrap"}):
        with solara.Div(style={"width": "330px"}):
            SelectBox(t("app.ui.colour_by", lang), items(COLOUR_BY, "app.colour", lang), colour_by, set_colour_by,
                      classes=["colour-by"])
        with solara.Div(style={"width": "190px"}):
            SelectBox(t("app.ui.ties", lang), items(("all", "strong", "none"), "app.ties", lang), show_ties,
                      set_show_ties, classes=["show-ties"])
    if compare:
        with solara.Columns([1, 1], gutters_dense=True):
            for side in maps:
                plan(side)
        TieLegend(lang)
        Cards(cards, lang)
        Charts(images, lang, compare=True, has_previous=False, columns=3)
        return
    with solara.Columns([7, 5], gutters_dense=True):
        with solara.Column(style={"gap": "6px"}):
            plan("A")
            TieLegend(lang)
            Cards(cards, lang)
        with solara.Column():
            Charts(images, lang, compare=False, has_previous=previous is not None, columns=2)
