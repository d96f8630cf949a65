"""One run from the command line: outputs, determinism, summary."""

import json

import pandas as pd
import pyarrow.parquet as pq

from abm.indicators import BY_TYPE, INDICATORS
from abm.vocabulary import HOUSEHOLD_TYPES
from conftest import run_cli


def test_same_seed_gives_byte_identical_timeseries_and_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for d, seed in ((a, 3), (b, 3), (c, 4)):
        r = run_cli("neighbourhood=acer_estate", f"seed={seed}", "steps=40", f"hydra.run.dir={d}")
        assert r.returncode == 0, r.stderr
    assert (a / "timeseries.parquet").read_bytes() == (b / "timeseries.parquet").read_bytes()
    ta, tc = pd.read_parquet(a / "timeseries.parquet"), pd.read_parquet(c / "timeseries.parquet")
    assert not ta.equals(tc)
    assert ta["ties_mean"].iloc[-1] != tc["ties_mean"].iloc[-1]


def test_run_writes_every_output_and_they_round_trip(tmp_path):
    out = tmp_path / "run"
    r = run_cli("seed=1", "steps=12", f"hydra.run.dir={out}")
    assert r.returncode == 0, r.stderr
    assert f"Results in {out.resolve()}" in r.stdout
    assert "cohesion_index" in r.stdout
    for name in ("config.yaml", "timeseries.parquet", "by_group.parquet", "summary.json", "DONE"):
        assert (out / name).is_file(), name
    ts = pq.read_table(out / "timeseries.parquet").to_pandas()
    assert list(ts.columns) == ["step", *INDICATORS]
    assert list(ts["step"]) == list(range(13))
    bg = pd.read_parquet(out / "by_group.parquet")
    assert set(bg["household_type"]) == set(HOUSEHOLD_TYPES)
    assert set(bg["indicator"]) == set(BY_TYPE)
    assert len(bg) == 13 * len(BY_TYPE) * len(HOUSEHOLD_TYPES)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 1 and summary["steps"] == 12
    assert len(summary["config_hash"]) == 12 and summary["version"]
    last = ts.iloc[-1]
    for k, v in summary["indicators"].items():
        assert (v is None and pd.isna(last[k])) or abs(v - last[k]) < 1e-12
    # the written config reproduces the run
    r2 = run_cli("--config-path", str(out), "--config-name", "config", f"hydra.run.dir={tmp_path / 'again'}")
    assert r2.returncode == 0, r2.stderr
    assert (tmp_path / "again" / "timeseries.parquet").read_bytes() == (out / "timeseries.parquet").read_bytes()


def test_run_mode_comes_from_the_command_line_when_no_config_sets_it(tmp_path):
    """experiments.run skips Hydra's composition that only reads hydra.mode; safe while no config sets it."""
    from hydra.types import RunMode

    from experiments.run import configs_set_mode, mode_from_command_line

    assert not configs_set_mode()  # the shortcut is taken with the project's configs
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "x.yaml").write_text("# @package _global_\nhydra:\n  mode: MULTIRUN\n")
    assert configs_set_mode(tmp_path)  # a config that sets it keeps Hydra's own reading
    assert mode_from_command_line(None, "config", ["steps=3", "hydra.mode=MULTIRUN"]) == RunMode.MULTIRUN
    assert mode_from_command_line(None, "config", ["steps=3"]) is None  # then -m decides, as in Hydra
