"""The benchmark command runs at a tiny size and writes a well-formed result file; the headless run path
imports no visualisation package.  No timing is asserted (machines are noisy)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.report import FIGURES, TARGETS

ROOT = Path(__file__).resolve().parent.parent
DIFFERENCES = {"startup_over_mesa_s", "memory_above_imports_mb", "memory_long_run_extra_mb", "memory_large_extra_mb"}


def test_quick_benchmark_writes_every_figure(tmp_path):
    out = tmp_path / "latest.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--reps", "1", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    for name in FIGURES:
        f = result["figures"][name]
        assert f["min"] <= f["median"] <= f["max"], name
        assert all(math.isfinite(x) for x in f["values"]), name
        # differences of two measurements (memory of two runs, start-up minus Mesa's import) may be <= 0 at
        # the tiny sizes of --quick; everything else is a positive time, rate or ratio
        if name not in DIFFERENCES:
            assert all(x > 0 for x in f["values"]), name
        assert len(f["values"]) == 1
    assert set(result["verdict"]) == set(TARGETS)
    scaled = result["extra"]["at_reference_speed"]
    assert set(result["verdict_at_reference_speed"]) == {"runs_per_hour_per_core", "startup_s"}
    # scaled by the Mesa import timed beside the run: the ratio of the scaled figures is that of the raw ones
    mesa = result["extra"]["mesa_import_s"]["values"][0]
    assert math.isclose(scaled["startup_s"]["median"], result["figures"]["startup_s"]["median"] * 0.5 / mesa)
    for name in ("mesa_import_s", "startup_per_mesa_import", "full_us_per_household_step", "imports_rss_mb"):
        assert result["extra"][name]["median"] > 0, name
    # the sweep figures are the sweeps' times over those of the same runs in one process, measured beside them
    sw = result["extra"]["sweeps"]
    assert math.isclose(result["figures"]["sweep_1worker_ratio"]["median"],
                        sw["sweep16"]["wall_s"]["median"] / sw["in16"]["wall_s"]["median"])
    assert "peak_rss_mb" not in TARGETS  # memory is judged above the imports, not as an absolute peak
    assert result["settings"]["quick"] is True
    m = result["machine"]
    assert m["python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert m["packages"]["mesa"] and m["cpu"]
    # the table names every figure
    for name in FIGURES:
        assert name in proc.stdout


HEADLESS = """
import sys
import experiments.run
from abm.config import compose
from abm.model import NeighbourhoodModel
from experiments.outputs import write_run
config = compose(["steps=2"])
model = NeighbourhoodModel(config=config)
experiments.run.simulate(model, config.steps)
write_run(sys.argv[1], model, config)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("solara", "matplotlib", "reacton", "ipyvuetify")
             or m.startswith("mesa.visualization"))
print(",".join(bad))
"""


def test_headless_run_imports_no_visualisation(tmp_path):
    proc = subprocess.run([sys.executable, "-c", HEADLESS, str(tmp_path / "run")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == ""


def test_run_marks(tmp_path):
    """ABITARE_RUN_MARKS makes a run note its first step and its written results, with time and memory."""
    marks = tmp_path / "marks"
    proc = subprocess.run([sys.executable, "-m", "experiments.run", "steps=1", "output.progress=false",
                           f"hydra.run.dir={tmp_path / 'run'}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, ABITARE_RUN_MARKS=str(marks)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line.split() for line in marks.read_text().splitlines()]
    assert [x[0] for x in lines] == ["first_step", "written"]
    (_, w1, c1, m1), (_, w2, c2, m2) = ([e, *map(float, rest)] for e, *rest in lines)
    assert 1e9 < w1 <= w2 and 0 < c1 <= c2 and 0 < m1 <= m2
