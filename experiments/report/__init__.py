"""The policy report of a sweep: one self-contained HTML page (figures and styles embedded, nothing
loaded from the network), in Italian or English, printable to PDF from a browser.

``python -m experiments.report MULTIRUN_DIR --lang it`` writes ``MULTIRUN_DIR/report.html``.
It reads the aggregate written by ``python -m experiments.aggregate MULTIRUN_DIR`` (see
:mod:`experiments.report.sweep`) and every word from :mod:`abm.i18n`.
"""

from __future__ import annotations

from pathlib import Path

from experiments.report.sweep import load

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _first_line(text: str, width: int = 160) -> str:
    lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
    line = lines[-1] if lines else ""  # a traceback's last line names the error
    return line if len(line) <= width else line[: width - 1] + "\u2026"


def render(multirun_dir: Path | str, lang: str = "it", context=None) -> str:
    """The report's HTML (``context``: a ready :class:`~experiments.report.context.Context`, for tests)."""
    import jinja2

    from abm.i18n import LANGUAGES
    from experiments.report.context import Context
    from experiments.horizon import CUMULATIVE
    from experiments.report.sweep import CE_INDICATORS

    if lang not in LANGUAGES:
        raise ValueError(f"--lang {lang!r}: allowed {', '.join(LANGUAGES)}")
    c = context or Context(load(multirun_dir), lang)
    figs = {"ensemble": None, "sensitivity": None, **c.build_figures()}  # those two: only when there is data
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["first_line"] = _first_line
    env.globals.update(zip=zip, t=c.tr, c=c)
    return env.get_template("report.html.j2").render(
        lang=lang, css=(TEMPLATES / "report.css").read_text(encoding="utf-8"), meta=c.meta, status=c.status,
        nb=c.neighbourhood(), scenarios=c.scenario_rows(), findings=c.findings(), headline=c.headline(),
        figs=figs, ce=c.cost_effectiveness(), ce_names=CE_INDICATORS, by_type=c.by_type_tables(),
        account=c.cost_account(), cumulative=c.cumulative(), cumulative_names=CUMULATIVE,
        compared=c.sweep.compared, dose_label=c.param(c.dose[0]) if c.dose else "",
        methods=c.methods(), sources=c.parameter_sources(), terms=c.terms(), indicators=c.indicator_glossary(),
        ens=c.ensemble(), prob=c.probabilities(), best=c.best(), cal=c.calibration(), sens=c.sensitivity(),
    )


def write_report(multirun_dir: Path | str, lang: str = "it", out: Path | str | None = None) -> Path:
    """Write the report (atomically) and return its path: ``MULTIRUN_DIR/report.html`` by default."""
    from experiments.outputs import write_text

    path = Path(out) if out is not None else Path(multirun_dir) / "report.html"
    write_text(path, render(multirun_dir, lang))
    return path
