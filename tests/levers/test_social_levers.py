"""The social levers as a set: switched off they change nothing (byte-identical runs), each has a preset
that switches it on and can be dosed from the command line, they combine, and their costs add up."""

from pathlib import Path

import pytest

from abm.config import compose
from abm.levers import REGISTRY, PolicyConfig
from conftest import ROOT, run_cli
from levers.paired import model

SOCIAL = ("portierato", "mediation", "timebank", "community_coop", "coop_governance")

#: every social lever present, switched off, with parameters far from their defaults
DISABLED_BUT_DOSED = (
    "policy.portierato.hours_per_week=80", "policy.portierato.outreach.boost=50",
    "policy.mediation.uptake=0.9", "policy.mediation.hours_per_week=40",
    "policy.timebank.founding_members=80", "policy.timebank.hours_per_week=30",
    "policy.community_coop.volunteering=0.9", "policy.community_coop.manage_spaces=[courtyard]",
    "policy.coop_governance.hours_per_week=30",
)


def test_levers_switched_off_change_nothing_byte_for_byte(tmp_path):
    base, off = tmp_path / "base", tmp_path / "off"
    r = run_cli("policy=baseline", "seed=5", "steps=30", f"hydra.run.dir={base}")
    assert r.returncode == 0, r.stderr
    r = run_cli("policy=baseline", "seed=5", "steps=30", f"hydra.run.dir={off}", *DISABLED_BUT_DOSED)
    assert r.returncode == 0, r.stderr
    assert (base / "timeseries.parquet").read_bytes() == (off / "timeseries.parquet").read_bytes()
    assert (base / "by_group.parquet").read_bytes() == (off / "by_group.parquet").read_bytes()


def test_disabled_levers_are_not_built():
    m = model("policy=baseline", *DISABLED_BUT_DOSED, collect=False)
    assert len(m.levers) == 0 and m.lever_costs() == {}


@pytest.mark.parametrize("name", SOCIAL)
def test_each_lever_is_registered_off_by_default_and_has_a_preset(name):
    assert name in REGISTRY
    assert getattr(PolicyConfig(), name).enabled is False
    assert (Path(ROOT) / "configs" / "policy" / f"{name}.yaml").is_file()
    cfg = compose([f"policy={name}"])
    assert cfg.policy.name == name and getattr(cfg.policy, name).enabled
    others = [n for n in SOCIAL if n != name]
    assert not any(getattr(cfg.policy, n).enabled for n in others)


def test_presets_are_tuned_from_the_command_line_and_combine():
    cfg = compose(["policy=portierato", "policy.portierato.hours_per_week=12", "policy.mediation.enabled=true"])
    assert cfg.policy.portierato.hours_per_week == 12 and cfg.policy.mediation.enabled
    m = model("policy=portierato", *(f"policy.{n}.enabled=true" for n in SOCIAL[1:]), collect=False)
    names = [lever.name for lever in m.levers]
    assert sorted(names) == sorted(SOCIAL)
    assert names.index("portierato") < names.index("mediation")  # referrals are taken in the same week
    for _ in range(8):
        m.step()
    costs = m.lever_costs()
    assert set(costs) == set(SOCIAL) and all(c > 0 for c in costs.values())
    ind = m.indicators()
    assert ind["cost_year_total"] == pytest.approx(sum(costs.values()))
    for n in SOCIAL:
        assert ind[f"cost_year_{n}"] == pytest.approx(costs[n])
