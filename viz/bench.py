"""How fast the app steps and draws, without a browser: ``python -m viz.bench [seconds]``.

The page is rendered in this process (``solara.render``), the speed slider set to its maximum, and

- the Step button pressed a few times: milliseconds per week for a step plus a full redraw (map,
  charts, card), as when a facilitator steps by hand;
- Play pressed for ``seconds``: weeks a second actually drawn (the play loop waits for each week's
  render before the next one; charts are redrawn at most every ``CHART_INTERVAL_S``), and the CPU
  milliseconds a week costs (on a busy machine the rate falls, the CPU cost much less).

A browser adds its own drawing and the websocket on top: ``tests/test_app.py`` measures that too and
writes it to ``tests/artifacts/app_speed.json``.
"""

from __future__ import annotations

import os
import sys
import time

import ipyvuetify as v
import solara

import viz.app as app


def main(seconds: float = 6.0, presses: int = 15) -> dict:
    sessions = []

    class Recorded(app.Session):
        def __init__(self):
            super().__init__()
            sessions.append(self)

    app.Session = Recorded
    app.WAIT_FOR_BROWSER = False  # no browser here to report weeks on screen
    _, rc = solara.render(app.Page(), handle_error=False)
    deadline = time.monotonic() + 120
    while not (sessions and sessions[0].runs):
        assert time.monotonic() < deadline, "the page built no model in 2 minutes"
        time.sleep(0.2)
    session = sessions[0]

    def button(name):
        return next(w for w in rc.find(v.Btn).widgets if name in (w.class_ or ""))

    for slider in rc.find(v.Slider).widgets:
        if slider.max == app.SPEED_MAX:
            slider.v_model = app.SPEED_MAX
    started = time.perf_counter()
    for _ in range(presses):
        button("btn-step").click()
    per_step = (time.perf_counter() - started) / presses
    button("btn-play").click()
    time.sleep(1.0)
    week, started, cpu = session.week, time.perf_counter(), time.process_time()
    time.sleep(seconds)
    weeks = session.week - week
    rate = weeks / (time.perf_counter() - started)
    cpu_per_week = (time.process_time() - cpu) / max(weeks, 1)
    button("btn-play").click()
    rc.close()
    return {"neighbourhood": session.settings.neighbourhood, "step_button_ms": round(per_step * 1000, 1),
            "playing_weeks_per_second": round(rate, 2), "cpu_ms_per_week": round(cpu_per_week * 1000, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count()}


if __name__ == "__main__":
    result = main(float(sys.argv[1]) if len(sys.argv) > 1 else 6.0)
    for key, value in result.items():
        print(f"{key:>26}: {value}")
