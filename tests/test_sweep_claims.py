"""No double work and no lost run: a run claimed by a live process is left to it, a claim dies with its holder
(kill -9 included), two sweeps on one directory compute every run once, and a kill during a write leaves either
the complete run or no completion marker."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.sweep_helpers import ROOT, done_markers, env

RUN = "policy=baseline,steps=3/seed1"
TWO = ("policy=baseline", "seed=0,1", "steps=3", "hydra.launcher.n_jobs=1")

HOLD = """
import sys, time
from experiments.claims import Claim
with Claim(sys.argv[1]) as held:
    assert held
    print("held", flush=True)
    time.sleep(600)
"""


def start_sweep(d: Path, log: Path, *overrides: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "experiments.run", "-m", *overrides, f"hydra.sweep.dir={d}"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=open(log, "w"),
                            start_new_session=True)


def wait_for(predicate, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_claimed_run_waits_for_its_holder_and_a_killed_holder_frees_it(tmp_path):
    d = tmp_path / "sweep"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(d / RUN)], cwd=ROOT, env=env(),
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    log = tmp_path / "log"
    sweep = start_sweep(d, log, *TWO)
    try:
        wait_for(lambda: "waiting for seed1" in log.read_text(), "the sweep to wait for the claimed run")
        assert (d / "policy=baseline,steps=3/seed0" / "DONE").exists()  # the other run was done meanwhile
        assert not (d / RUN / "DONE").exists() and not (d / RUN / "timeseries.parquet").exists()
        holder.send_signal(signal.SIGKILL)  # the holder dies without letting go: the kernel drops its lock
        holder.wait()
        assert sweep.wait(timeout=300) == 0, log.read_text()[-3000:]
    finally:
        for p in (holder, sweep):
            if p.poll() is None:
                p.kill()
    assert set(done_markers(d)) == {"policy=baseline,steps=3/seed0", RUN}
    assert "this sweep ran 2 of 2 runs" in log.read_text()
    assert "pid" in (d / RUN / ".claim").read_text()  # who held it last


@pytest.mark.slow
def test_two_sweeps_on_one_directory_compute_every_run_once(tmp_path):
    d = tmp_path / "sweep"
    runs = ("policy=baseline,portierato", "seed=range(0,5)", "steps=26", "hydra.launcher.n_jobs=1",
            "hydra.sweeper.tasks=1")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [start_sweep(d, log, *runs) for log in logs]
    codes = [p.wait(timeout=900) for p in procs]
    texts = [log.read_text() for log in logs]
    assert codes == [0, 0], texts[0][-2000:] + texts[1][-2000:]
    ran = [int(re.search(r"this sweep ran (\d+) of 10 runs", t).group(1)) for t in texts]
    assert sum(ran) == 10, ran  # every run computed by exactly one of the two
    assert len(done_markers(d)) == 10
    for t in texts:
        assert "10 of 10 runs completed" in t


KILL_WHILE_WRITING = """
import os, sys, time
from pathlib import Path
import pyarrow.parquet as pq
from abm.config import compose
from abm.model import NeighbourhoodModel
from experiments.outputs import write_run

done_dir, killed_dir = Path(sys.argv[1]), Path(sys.argv[2])
config = compose(["steps=2"])
model = NeighbourhoodModel(config=config)
for _ in range(2):
    model.step()
write_run(done_dir, model, config)            # a completed run
real = pq.write_table

def slow(table, where, **kw):                 # the second parquet file of the next run: stop half-way
    if "by_group" in str(where):
        with open(where, "wb") as f:
            f.write(b"PAR1 half a file")
        print("writing", flush=True)
        time.sleep(600)
    real(table, where, **kw)

pq.write_table = slow
write_run(killed_dir, model, config)          # killed while writing by_group.parquet
"""


def test_kill_during_a_write_loses_no_completed_run(tmp_path):
    from experiments.sweep import state_on_disk

    done_dir, killed_dir = tmp_path / "done", tmp_path / "killed"
    child = subprocess.Popen([sys.executable, "-c", KILL_WHILE_WRITING, str(done_dir), str(killed_dir)], cwd=ROOT,
                             env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline().strip()
    assert line == "writing", child.stderr.read()[-3000:]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    # the completed run is whole
    assert (done_dir / "DONE").exists()
    assert len(pd.read_parquet(done_dir / "timeseries.parquet")) == 3
    assert json.loads((done_dir / "summary.json").read_text())["steps"] == 2
    # the killed one is not complete, and nothing under a final name is half-written
    assert not (killed_dir / "DONE").exists() and not (killed_dir / "by_group.parquet").exists()
    assert len(pd.read_parquet(killed_dir / "timeseries.parquet")) == 3  # written before the kill, whole
    leftovers = list(killed_dir.glob(".by_group.parquet.*.tmp"))
    assert leftovers  # the half file is only under its temporary name
    assert state_on_disk(killed_dir, "any recipe") == "missing"  # a resumed sweep runs it again

    # running it again completes it and clears the leftovers
    subprocess.run([sys.executable, "-c", KILL_WHILE_WRITING.split("real = pq.write_table")[0], str(killed_dir),
                    str(tmp_path / "unused")], cwd=ROOT, env=env(), check=True, capture_output=True)
    assert (killed_dir / "DONE").exists() and not list(killed_dir.glob(".*.tmp"))
    assert len(pd.read_parquet(killed_dir / "by_group.parquet")) > 0
