"""Everything the report template shows, computed from a sweep in one language.

The template only lays out what is here; every text comes from the translation table
(:mod:`abm.i18n`), every number from the aggregate files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
import numpy as np

from abm.i18n import t, table
from abm.indicators import BY_TYPE, INDICATORS
from abm.vocabulary import HOUSEHOLD_TYPES, PAYERS
from experiments.report import ensemble_figures, figures
from experiments.horizon import CE_RATIOS, LAST_WEEK, PERIOD_QUANTITIES, HorizonSettings
from experiments.report.numbers import DESIRABLE, HEADLINE, SCALE, SERIES, shown, unit
from experiments.report.sweep import CE_INDICATORS, Sweep
from experiments.report.trajectories import trajectories

#: glossary terms, in the order of the glossary (headword ``term.<name>``, text ``glossary.<name>``)
TERMS = ("abitare_collaborativo", "acer", "asp", "banca_del_tempo", "cohousing", "cooperativa_di_abitanti",
         "cooperativa_di_comunita", "cooperativa_sociale", "economia_sociale", "erp", "ers", "mediazione_sociale",
         "neomutualismo", "portierato_sociale", "rigenerazione", "sieg", "fondo_ers",
         "scenario", "baseline", "seed", "horizon", "confidence_interval", "distinguishable", "tie",
         "household", "percentage_point")
#: paragraphs of the methods and caveats section (``report.methods.<name>``)
METHODS = ("model", "households", "ties", "help", "conflict", "moving", "levers", "indices", "seeds", "ci",
           "horizon", "costs", "assumptions", "not_forecast", "colours", "more")
#: the headline's cost: the extra net present cost over the horizon, and its equivalent annual cost
COST, EAC = "cost_net_pv_eur", "cost_eac_eur"
#: columns of the table of costs over the horizon (cost_account.csv, all payers)
ACCOUNT = ("cost_eur", "cost_running_eur", "cost_capital_eur", "cost_pv_eur", "residual_value_pv_eur", COST, EAC)


@dataclass
class Fig:
    key: str
    uri: str
    width: int
    height: int
    figure: object = field(repr=False, default=None)


class Context:
    """The report of ``sweep`` in ``lang``: texts, tables and figures for the template."""

    def __init__(self, sweep: Sweep, lang: str):
        self.sweep, self.lang = sweep, lang
        self.dose = sweep.dose()
        self.colour = figures.colours(sweep.scenario_names, self.dose[1] if self.dose else None, sweep.baseline)

    # --- words ------------------------------------------------------------------------------------------
    def tr(self, key: str, **fmt) -> str:
        """The text of ``key``; in a posterior ensemble its ``<key>.ensemble`` variant where there is one (the
        texts that describe intervals, pairs and calibration say what an ensemble's numbers are)."""
        if self.sweep.ensemble and self.has(f"{key}.ensemble"):
            key = f"{key}.ensemble"
        return t(key, self.lang, **fmt)

    def has(self, key: str) -> bool:
        return key in table()

    def indicator(self, name: str) -> str:
        return self.tr(f"indicator.{name}")

    def explain(self, name: str) -> str:
        return self.tr(f"explain.{name}")

    def household_type(self, name: str) -> str:
        return self.tr(f"household_type.{name}")

    def param(self, key: str) -> str:
        return self.tr(f"report.param.{key}") if self.has(f"report.param.{key}") else key

    def scenario(self, name: str) -> str:
        """A scenario's label: the preset's name if it is one, the dose for a dose experiment, else what its
        overrides say (policy preset, then parameter = value), else its id."""
        if self.has(f"report.scenario.{name}"):
            return self.tr(f"report.scenario.{name}")
        if self.dose and name in self.dose[1]:
            key, value = self.dose[0], self.dose[1][name]
            return f"{self.param(key)} = {self.num(value, 0 if float(value).is_integer() else 2)}"
        varying = self.sweep.varying()
        over = {k: v for k, v in self.sweep.overrides(name).items() if k in varying}
        policy = over.pop("policy", None)
        parts = [self.tr(f"report.scenario.{policy}")] if policy and self.has(f"report.scenario.{policy}") else []
        if policy and not parts:
            return name
        parts += [self.describe_override(k, v) for k, v in over.items()]
        return ", ".join(parts) or name

    def short_scenario(self, name: str) -> str:
        """In figures: a dose scenario by its dose alone (the parameter is in the legend's title)."""
        if self.dose and name in self.dose[1] and not self.has(f"report.scenario.{name}"):
            value = self.dose[1][name]
            return self.num(value, 0 if float(value).is_integer() else 2)
        return self.scenario(name)

    def describe_override(self, key: str, value: str) -> str:
        """``Politica: Portierato sociale``, ``Popolazione: fiducia bassa``, ``help.max_asks = 2``."""
        if key == "policy" and self.has(f"report.scenario.{value}"):
            return f"{self.param(key)}: {self.tr(f'report.scenario.{value}')}"
        if self.has(f"report.choice.{key}.{value}"):
            return f"{self.param(key)}: {self.tr(f'report.choice.{key}.{value}')}"
        return f"{self.param(key)} = {value}"

    def num(self, x, decimals: int = 0, sign: bool = False) -> str:
        from experiments.report.numbers import number
        return number(float(x) if x is not None else math.nan, decimals, self.lang, sign)

    def value(self, indicator: str, x, sign: bool = False) -> str:
        return shown(indicator, float(x) if x is not None else math.nan, self.lang, sign)

    def short_unit(self, indicator: str) -> str:
        """`` p.p.`` after a difference of shares, `` EUR/anno`` after a cost, nothing after a score."""
        u = unit(indicator)
        return " " + self.tr(f"report.unit.short_{u}") if u in ("pp", "eur") else ""

    def unit_name(self, indicator: str, difference: bool) -> str:
        if unit(indicator) == "number":  # its unit is in its label ("... per 100 households a year")
            return "Δ" if difference else ""
        return self.tr(f"report.unit.{'diff' if difference else 'level'}_{unit(indicator)}")

    # --- the sweep --------------------------------------------------------------------------------------
    @property
    def meta(self) -> dict:
        m = self.sweep.meta
        seeds = m.get("seeds", [])
        seeds = list(seeds) if isinstance(seeds, (list, tuple)) else list(range(int(seeds))) if seeds else []
        hashes = m.get("config_hashes", m.get("config_hash", {}))
        if isinstance(hashes, str):
            hashes = {"": hashes}
        elif isinstance(hashes, list):
            hashes = {str(i): h for i, h in enumerate(hashes)}
        hashes = {k: ", ".join(map(str, h)) if isinstance(h, (list, tuple)) else str(h) for k, h in hashes.items()}
        steps = m.get("steps")
        return {
            "experiment": m.get("experiment", m.get("name", self.sweep.root.name)),
            "neighbourhood": m.get("neighbourhood", ""),
            "steps": int(steps) if steps is not None else None,
            "years": self.num(int(steps) / 52.0, 1) if steps is not None else None,
            "seeds": seeds,
            "seeds_text": _ranges(seeds),
            "version": m.get("version", m.get("package_version", "")),
            "hashes": hashes,
            "date": str(m.get("date", m.get("aggregated", "")))[:19].replace("T", " "),
        }

    @property
    def status(self):
        return self.sweep.status

    def neighbourhood_label(self, name: str) -> str:
        return self.tr(f"report.neighbourhood.{name}") if self.has(f"report.neighbourhood.{name}") else name

    def neighbourhood(self):
        """The neighbourhood at week 0, rebuilt from the first completed run (None if that fails)."""
        from experiments.report.neighbourhood import describe

        for run in self.sweep.run_dirs()[:1]:
            try:
                return describe(run)
            except Exception:  # a run from another version or a moved input CSV: the report goes on
                return None
        return None

    def scenario_rows(self) -> list[dict]:
        rows = []
        for s in self.sweep.scenario_names:
            over = self.sweep.overrides(s)
            pol = over.get("policy", s if self.has(f"report.scenario_text.{s}") else None)
            rows.append({
                "id": s, "label": self.scenario(s), "colour": self.colour.get(s, "#000"),
                "text": self.tr(f"report.scenario_text.{pol}") if pol and self.has(f"report.scenario_text.{pol}") else "",
                "overrides": [self.describe_override(k, v) for k, v in over.items() if not (k == "policy" and v == s)],
                "hash": self.meta["hashes"].get(s, ""),
            })
        return rows

    # --- headline --------------------------------------------------------------------------------------------
    def headline(self) -> dict:
        """Rows: the baseline level, then each scenario's difference with its CI and marker."""
        cols = [{"id": i, "label": self.indicator(i), "unit": self.unit_name(i, True),
                 "level_unit": self.unit_name(i, False)} for i in HEADLINE]
        base = []
        for i in HEADLINE:
            lv = self.sweep.level(self.sweep.baseline, i)
            base.append({"text": self.value(i, lv["mean"]) if lv is not None else "–"})
        rows = []
        for s in self.sweep.compared:
            cells = []
            for i in HEADLINE:
                e = self.sweep.effect(s, i)
                cells.append(self._cell(i, e))
            n = [int(c["n"]) for c in cells if c.get("n") is not None]
            rows.append({"id": s, "label": self.scenario(s), "colour": self.colour.get(s), "cells": cells,
                         "n_pairs": min(n) if n else None})
        return {"cols": cols, "base": base, "rows": rows, "has_base": self.sweep.level(self.sweep.baseline, HEADLINE[0]) is not None}

    def _cell(self, ind: str, e) -> dict:
        if e is None or not np.isfinite(e["diff_mean"]):
            return {"text": "–", "ci": "", "cls": "missing"}
        dist = bool(e["distinguishable"])
        d = DESIRABLE.get(ind, 0) * np.sign(e["diff_mean"])
        cls = "nd" if not dist else ("better" if d > 0 else "worse" if d < 0 else "neutral")
        return {
            "text": self.value(ind, e["diff_mean"], sign=True),
            "ci": f"{self.value(ind, e['ci_low'], sign=True)}; {self.value(ind, e['ci_high'], sign=True)}",
            "cls": cls, "dist": dist, "n": e.get("n_pairs"),
            "data": {"diff": repr(float(e["diff_mean"])), "ci-low": repr(float(e["ci_low"])),
                     "ci-high": repr(float(e["ci_high"])), "distinguishable": str(dist).lower(),
                     "scale": repr(SCALE[unit(ind)])},
        }

    def findings(self) -> list[dict]:
        """For each scenario: the indicators it distinguishably improves and worsens, and its cost."""
        out = []
        for s in self.sweep.compared:
            better, worse = [], []
            for i in HEADLINE:
                e = self.sweep.effect(s, i)
                if e is None or not bool(e["distinguishable"]) or DESIRABLE.get(i, 0) == 0:
                    continue
                item = f"{self.indicator(i)} ({self.value(i, e['diff_mean'], sign=True)}{self.short_unit(i)})"
                (better if DESIRABLE[i] * e["diff_mean"] > 0 else worse).append(item)
            cost, eac = self.sweep.effect(s, COST), self.sweep.effect(s, EAC)
            out.append({"label": self.scenario(s), "colour": self.colour.get(s), "better": better, "worse": worse,
                        "cost": self.value(COST, cost["diff_mean"], sign=True) if cost is not None else None,
                        "eac": self.value(EAC, eac["diff_mean"], sign=True) if eac is not None else "–"})
        return out

    def cost_effectiveness(self) -> list[dict]:
        """Per scenario: its extra net present cost (as in the headline) and its cost per unit of each cumulative
        benefit; where the benefit is not distinguishable from zero, words, never a number."""
        rows = []
        for s in self.sweep.compared:
            cells = []
            for ce in CE_INDICATORS:
                e = self.sweep.effect(s, ce)
                ok = e is not None and bool(e["distinguishable"]) and np.isfinite(e["diff_mean"])
                ci = ""
                if ok and np.isfinite(e["ci_low"]):
                    high = self.value(ce, e["ci_high"]) if np.isfinite(e["ci_high"]) else self.tr("report.ce.open_end")
                    ci = f"{self.value(ce, e['ci_low'])}; {high}"
                cells.append({"text": self.value(ce, e["diff_mean"]) if ok else self._no_ratio(e), "ci": ci, "ok": ok,
                              "data": {"indicator": ce, "diff": repr(float(e["diff_mean"])) if e is not None else "nan"}})
            cost = self.sweep.effect(s, COST)
            rows.append({"id": s, "label": self.scenario(s), "colour": self.colour.get(s), "cells": cells,
                         "cost": self.value(COST, cost["diff_mean"], sign=True) if cost is not None else "–"})
        return rows

    def _no_ratio(self, e) -> str:
        """Why a ratio is missing: the aggregation did not compute it, or the benefit is not distinguishable."""
        return self.tr("report.ce.not_available") if e is None else self.tr("report.ce.no_benefit")

    def cumulative(self) -> list[dict]:
        """Per scenario: what its extra benefits add up to over the horizon (paired differences with CI), each
        read as a benefit (household-years of isolation avoided, not lived)."""
        rows = []
        for s in self.sweep.compared:
            cells = []
            for ce, (name, sign) in CE_RATIOS.items():
                e = self.sweep.effect(s, name)
                if e is None or not np.isfinite(e["diff_mean"]):
                    cells.append({"text": "–", "ci": "", "cls": "missing"})
                    continue
                lo, hi = sorted((sign * e["ci_low"], sign * e["ci_high"]))
                dist = bool(e["distinguishable"])
                good = sign * e["diff_mean"]
                cells.append({"text": self.value(name, good, sign=True), "ci": f"{self.value(name, lo, sign=True)}; "
                              f"{self.value(name, hi, sign=True)}" if np.isfinite(lo) else "",
                              "cls": "nd" if not dist else "better" if good > 0 else "worse"})
            rows.append({"label": self.scenario(s), "colour": self.colour.get(s), "cells": cells})
        return rows

    def cost_account(self) -> dict:
        """Per scenario, what it costs over the horizon (all payers): totals, running and capital, present value,
        the remaining value of what capital created, net present value, equivalent annual cost, and the units it
        built or regenerated; then, per payer, its net present cost."""
        cols = [{"id": m, "label": self.tr(f"report.account.{m}")} for m in ACCOUNT]
        rows, payers = [], []
        for s in self.sweep.scenario_names:
            cells = []
            for m in ACCOUNT:
                r = self.sweep.level(s, m)
                cells.append({"text": self.value(m, r["mean"]) if r is not None else "–",
                              "data": repr(float(r["mean"])) if r is not None else "nan"})
            units = self.sweep.level(s, "units_created", LAST_WEEK)
            rows.append({"id": s, "label": self.scenario(s), "colour": self.colour.get(s), "cells": cells,
                         "units": self.num(units["mean"], 0) if units is not None else "–"})
            for payer in PAYERS:
                r = self.sweep.cost(s, COST, payer=payer)
                total = self.sweep.cost(s, "cost_eur", payer=payer)
                if r is not None and total is not None and total["mean"] > 0:
                    payers.append({"scenario": self.scenario(s), "payer": self.tr(f"report.payer.{payer}"),
                                   "net": self.value(COST, r["mean"]), "total": self.value("cost_eur", total["mean"])})
        return {"cols": cols, "rows": rows, "payers": payers}

    # --- who benefits ------------------------------------------------------------------------------------
    def by_type_tables(self) -> list[dict]:
        """Per indicator of the breakdown: baseline level and each scenario's difference, per household type."""
        g = self.sweep.groups
        if g.empty:
            return []
        tables = []
        for ind in [i for i in BY_TYPE if (g["indicator"] == i).any()]:
            d = g[g["indicator"] == ind]
            rows = []
            for ht in HOUSEHOLD_TYPES:
                base = d[(d["scenario"] == self.sweep.baseline) & (d["household_type"] == ht)]
                b = base.iloc[0] if len(base) else None
                cells = []
                for s in self.sweep.compared:
                    r = d[(d["scenario"] == s) & (d["household_type"] == ht)]
                    r = r.iloc[0] if len(r) else None
                    diff = float(r["mean"]) - float(b["mean"]) if r is not None and b is not None else math.nan
                    # a conservative reading: coloured only where the two 95 % intervals do not overlap
                    apart = r is not None and b is not None and (r["ci_low"] > b["ci_high"] or r["ci_high"] < b["ci_low"])
                    good = DESIRABLE.get(ind, 0) * diff if apart else 0
                    cells.append({"text": self.value(ind, diff, sign=True), "apart": bool(apart),
                                  "cls": "better" if good > 0 else "worse" if good < 0 else "nd"})
                if len(base) or any(c["text"] != "–" for c in cells):
                    rows.append({"label": self.household_type(ht), "cells": cells,
                                 "base": self.value(ind, b["mean"] if b is not None else None)})
            tables.append({"id": ind, "label": self.indicator(ind), "unit": self.unit_name(ind, True),
                           "level_unit": self.unit_name(ind, False), "rows": rows})
        return tables

    # --- glossary and methods ------------------------------------------------------------------------------
    def terms(self) -> list[dict]:
        items = [{"term": self.tr(f"term.{k}"), "text": self.tr(f"glossary.{k}")} for k in TERMS]
        return sorted(items, key=lambda x: x["term"].casefold())

    def indicator_glossary(self) -> list[dict]:
        names = list(INDICATORS) + list(PERIOD_QUANTITIES)
        return [{"id": n, "term": self.indicator(n), "text": self.explain(n)} for n in names]

    def parameter_sources(self) -> list[dict]:
        """Per configuration group: parameters from data, partly from data, assumptions (from the ODD)."""
        from experiments.report.odd import load

        rows = []
        for group, counts in load().items():
            if counts["data"] + counts["partly"] + counts["assumption"] == 0:
                continue
            label = self.tr(f"report.group.{group}") if self.has(f"report.group.{group}") else group
            rows.append({"group": group, "label": label, "total": False, **counts})
        if rows:
            rows.append({"group": "", "label": self.tr("report.simulated.total"), "total": True,
                         **{k: sum(r[k] for r in rows) for k in ("data", "partly", "assumption")}})
        return rows

    def methods(self) -> list[dict]:
        fmt = self.horizon_settings()
        return [{"key": k, "title": self.tr(f"report.methods.{k}.title"),
                 "text": self.tr(f"report.methods.{k}", **fmt) if k in ("horizon", "costs") else self.tr(f"report.methods.{k}")}
                for k in METHODS]

    def horizon_settings(self) -> dict[str, str]:
        """How the aggregation counted the horizon (sweep_meta.json), as the methods' texts say it."""
        h = self.sweep.meta.get("horizon", {})
        st = h.get("settings") or HorizonSettings().as_dict()
        windows = h.get("windows") or []
        lives = {f"life_{a}": self.num(v, 0) for a, v in st.get("asset_life_years", {}).items()}
        window = "; ".join(self.tr("report.methods.window", start=w["start_week"], end=w["end_week"]) for w in windows)
        residual = f"report.methods.residual_{st['residual_value']}"
        return {"window": window or "–", "rate": self.num(100 * st["discount_rate"], 1),
                "last_year": str(st["last_year_weeks"]),
                "residual": self.tr(residual, **lives) if st["residual_value"] != "none" else self.tr(residual)}

    # --- figures -------------------------------------------------------------------------------------------
    # --- a posterior ensemble, its calibration, the sensitivity of lever effects (experiments.report.ensemble) -----
    def ensemble(self) -> dict | None:
        from experiments.report import ensemble

        return ensemble.intro(self)

    def probabilities(self) -> dict | None:
        from experiments.report import ensemble

        return ensemble.probabilities(self)

    def best(self) -> dict | None:
        from experiments.report import ensemble

        return ensemble.best(self)

    def calibration(self) -> dict | None:
        from experiments.report import ensemble

        return ensemble.calibration(self)

    def sensitivity(self) -> dict | None:
        from experiments.report import ensemble

        return ensemble.sensitivity(self)

    def draw_figures(self) -> dict[str, object]:
        """Every figure the sweep has data for, as matplotlib Figures (None where there is no data):
        trajectories, effects, costs (the headline's cost and its parts, spending by year), frontier (when a
        scenario costs something), dose (when the sweep has one), by_type; in a posterior ensemble the effect
        under each parameter set (ensemble), and the sensitivity of lever effects when the sweep holds it."""
        sw, tr, il, sl = self.sweep, self.tr, self.indicator, self.short_scenario
        title = self.param(self.dose[0]) if self.dose else None
        traj = trajectories(sw.results, list(SERIES))
        return {
            "trajectories": figures.trajectories(traj, sw.scenario_names, self.colour, tr, il, sl, title),
            "effects": figures.effects(sw, self.colour, tr, il, sl, title),
            "costs": figures.costs(sw, self.colour, tr, sl, lambda x: self.value(COST, x, sign=True)),
            "frontier": figures.frontier(sw, self.colour, tr, sl, title),
            "dose": (figures.dose_response(sw, self.dose[0], self.dose[1], tr, il, self.param(self.dose[0]))
                     if self.dose else None),
            "by_type": figures.by_type(sw, list(HOUSEHOLD_TYPES), self.colour, tr, il, self.household_type, sl, title),
            **({"ensemble": ensemble_figures.ensemble(sw, self.colour, tr, il, sl)} if sw.ensemble else {}),
            **({"sensitivity": ensemble_figures.effect_sensitivity(sw.effect_sensitivity, tr, il, self.param, sl)}
               if not sw.effect_sensitivity.empty else {}),
        }

    def build_figures(self) -> dict[str, Fig | None]:
        """The figures encoded as embedded PNG images, by key (None where there is no data)."""
        out: dict[str, Fig | None] = {}
        for key, fig in self.draw_figures().items():
            out[key] = Fig(key, *figures.png_data_uri(fig), figure=fig) if fig is not None else None
        return out


def _ranges(values: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``0-2, 5``."""
    vals = sorted(int(v) for v in values)
    out, i = [], 0
    while i < len(vals):
        j = i
        while j + 1 < len(vals) and vals[j + 1] == vals[j] + 1:
            j += 1
        out.append(str(vals[i]) if i == j else f"{vals[i]}\u2013{vals[j]}")
        i = j + 1
    return ", ".join(out)

