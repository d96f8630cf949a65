"""experiments.compare_sweeps: paired effects of two sweeps, by hand on synthetic runs."""

import numpy as np
import pandas as pd
import pytest

from experiments.compare_sweeps import INDICATORS, main, paired_effects, run_means

COMPONENTS = ("isolated_share", "trust_mean", "satisfaction_mean", "needs_met_neighbours_share", "reciprocity",
              "volunteers_share")


def _write(sweep, policy, seed, value, with_excl=True):
    """A run of 4 weeks whose every indicator is ``value`` in weeks 2-3 and 100 outside them."""
    cols = set(INDICATORS) | set(COMPONENTS)
    if not with_excl:
        cols -= {"cohesion_index_excl_participation", "neomutualism_index_excl_participation"}
    df = pd.DataFrame({"step": [0, 1, 2, 3]} | {c: [100.0, 100.0, value, value] for c in sorted(cols)})
    d = sweep / f"policy={policy},steps=4" / f"seed{seed}"
    d.mkdir(parents=True)
    df.to_parquet(d / "timeseries.parquet")


def test_paired_effect_and_its_t_interval_by_hand(tmp_path):
    for seed, diff in enumerate((0.1, 0.2, 0.3)):
        _write(tmp_path, "baseline", seed, 1.0 + seed)
        _write(tmp_path, "portierato", seed, 1.0 + seed + diff)
    base, eff = paired_effects(run_means(tmp_path, 2, 3))
    assert base["cohesion_index"] == pytest.approx(2.0)  # mean of 1, 2, 3
    e = eff["portierato"].loc["cohesion_index"]
    half = 4.302652729911275 * 0.1 / np.sqrt(3)  # t(0.975, 2) x sd / sqrt(n)
    assert e["mean"] == pytest.approx(0.2) and e["n"] == 3
    assert (e["lo"], e["hi"]) == pytest.approx((0.2 - half, 0.2 + half))


def test_an_old_sweep_gets_the_indices_without_participation_from_their_components(tmp_path):
    _write(tmp_path, "baseline", 0, 0.25, with_excl=False)
    means = run_means(tmp_path, 2, 3)
    row = means.loc[("baseline", 0)]
    assert row["cohesion_index_excl_participation"] == pytest.approx((1 - 0.25 + 0.25 + 0.25) / 3)
    assert row["neomutualism_index_excl_participation"] == pytest.approx(0.25)


def test_the_table_marks_effects_whose_interval_excludes_zero(tmp_path, capsys):
    for version, diffs in (("old", (0.1, -0.1, 0.05)), ("new", (0.1, 0.11, 0.12))):
        for seed, diff in enumerate(diffs):
            _write(tmp_path / version, "baseline", seed, 1.0)
            _write(tmp_path / version, "portierato", seed, 1.0 + diff)
    main([str(tmp_path / "old"), str(tmp_path / "new"), str(tmp_path / "out.csv"), "--first", "2", "--last", "3"])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| `cohesion_index` "))
    assert row == "| `cohesion_index` | 1.000 → 1.000 | +0.017 → +0.110* |"
    out = pd.read_csv(tmp_path / "out.csv")
    assert set(out.version) == {"old", "new"} and (out.n == 3).all()
