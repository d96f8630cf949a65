"""The model follows Mesa's conventions for seeds: without one it draws a fresh seed from the operating system
(so ``mesa.batch_run(..., iterations=N)`` gives N replicates), records it, and never changes the caller's config."""

from __future__ import annotations

import dataclasses
import json

import mesa
import numpy as np

from abm.config import compose
from abm.model import NeighbourhoodModel
from experiments.outputs import write_run

WEEKS = 6


def small(seed=None):
    return dataclasses.replace(compose([f"steps={WEEKS}"]), seed=seed)


def series(model, weeks=WEEKS):
    for _ in range(weeks):
        model.step()
    return model.datacollector.get_model_vars_dataframe().drop(columns="by_type").to_numpy(np.float64)


def test_batch_run_iterations_are_different_replicates():
    rows = mesa.batch_run(NeighbourhoodModel, parameters={"collect": [True]}, iterations=3, max_steps=4,
                          display_progress=False)
    assert len(rows) == 3
    # three fresh seeds: the initial populations differ, hence the households' states at the last step
    assert len({(r["trust_mean"], r["satisfaction_mean"], r["ties_mean"]) for r in rows}) == 3


def test_without_a_seed_a_fresh_one_is_drawn_and_recorded(tmp_path):
    cfg = small(seed=None)
    a, b = NeighbourhoodModel(config=cfg), NeighbourhoodModel(config=cfg)
    assert cfg.seed is None  # the caller's config is left as it was
    assert a.seed != b.seed and a.config.seed == a.seed and 0 <= a.seed < 2**63
    # the recorded seed reproduces the run
    again = NeighbourhoodModel(config=small(seed=a.seed))
    assert np.array_equal(series(a), series(again), equal_nan=True)
    write_run(tmp_path, a, cfg)  # the caller's config, without a seed: the seed drawn is recorded
    assert json.loads((tmp_path / "summary.json").read_text())["seed"] == a.seed
    assert f"seed: {a.seed}" in (tmp_path / "config.yaml").read_text()


def test_a_given_seed_wins_and_the_config_is_not_changed():
    cfg = small(seed=3)
    m = NeighbourhoodModel(config=cfg, seed=5)
    assert (m.seed, m.config.seed, cfg.seed) == (5, 5, 3)
    assert np.array_equal(series(m), series(NeighbourhoodModel(config=small(seed=5))), equal_nan=True)
    # Mesa's keyword for the seed (batch_run of newer Mesa passes rng=...)
    assert NeighbourhoodModel(config=cfg, rng=7).seed == 7


def test_a_finished_model_is_freed_and_its_agent_ids_follow_mesas_rule():
    """Mesa 3.3 keeps every model in a class-level map of id counters (mesa/mesa#3179): a sweep worker running
    thousands of models would hold them all. The model's agents count their ids in a weakly keyed map
    (abm.agents.ModelCounters), so a model no longer referenced is collected; the ids follow Mesa's own rule, a
    count from 1 per model shared by every kind of agent (residents, services, the cooperative, levers)."""
    import gc
    import weakref

    from abm.agents import Agent

    first = NeighbourhoodModel(config=small(seed=3))
    second = NeighbourhoodModel(config=small(seed=3))
    for model in (first, second):
        for _ in range(2):
            model.step()
    ids = [a.unique_id for a in first.agents]
    assert len(set(ids)) == len(ids) and min(ids) == 1        # unique across every kind of agent, from 1
    assert ids == [a.unique_id for a in second.agents]        # a count per model: the same for the same seed
    assert next(Agent._ids[first]) > max(ids)                 # newcomers get ids after every one handed out
    gc.collect()  # models of earlier tests in this process that nobody holds any more go now, not below
    ref, counters = weakref.ref(first), len(Agent._ids)
    del first
    gc.collect()
    assert ref() is None and len(Agent._ids) <= counters - 1  # freed, and its counter with it
