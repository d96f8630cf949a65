"""The workshop app (Solara): ``solara run viz/app.py`` or ``make viz``.

Modules: :mod:`viz.controls` (what can be set, and how it becomes a SimConfig), :mod:`viz.simulation`
(one browser session's runs A and B, stepped under a lock), :mod:`viz.plan` (the neighbourhood map),
:mod:`viz.charts` (indicator charts), :mod:`viz.household` (one household's card), :mod:`viz.labels`
(translations), :mod:`viz.app` (the page).  Only ``viz.app`` imports Solara.
"""
