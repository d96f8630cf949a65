"""Supported self-management: assemblies in ERP buildings raise participation (10 paired seeds) and feed
back on participation propensity; no facilitator hours, no assemblies; invitations raise attendance at
the residents' cooperative's assemblies; cost is counted."""

import numpy as np

from abm.levers.common import staff_cost_year
from abm.levers.coop_governance import CoopGovernanceParams
from levers.paired import effect, model, refused_key, tail_means

GOVERNANCE = "policy=coop_governance"


def test_supported_self_management_raises_participation_and_volunteering():
    # acer_estate has no cooperative: in the baseline residents take part only in their own activities
    participation = effect("participation_share", GOVERNANCE, weeks=52)
    volunteers = effect("volunteers_share", GOVERNANCE, weeks=52)
    assert (participation > 0.1).all()
    assert volunteers.mean() > 0.03


def test_governance_cost_is_counted():
    expected = staff_cost_year(6.0, CoopGovernanceParams())
    assert np.allclose(tail_means("cost_year_coop_governance", GOVERNANCE, weeks=52), expected)
    assert np.allclose(tail_means("cost_year_total", GOVERNANCE, weeks=52), expected)


def _run(*overrides, seed=0, weeks=52, neighbourhood="acer_estate"):
    m = model(f"neighbourhood={neighbourhood}", *overrides, seed=seed, collect=False)
    for _ in range(weeks):
        m.step()
    return m


def test_attending_raises_participation_propensity_feedback():
    for seed in range(3):
        base = _run("policy=baseline", seed=seed)
        gov = _run(GOVERNANCE, seed=seed)
        occ_b, occ_g = base.households.occupied, gov.households.occupied
        assert gov.households.participation[occ_g].mean() > base.households.participation[occ_b].mean()


def test_no_facilitator_hours_no_assemblies_and_more_hours_more_attendance():
    m = _run(GOVERNANCE, "policy.coop_governance.hours_per_week=0", "participation.initiative=0", weeks=26)
    lever = m.levers[0]
    assert lever.acts["assemblies"] == 0 and lever.acts["skipped_assemblies"] > 0
    assert (m.households.last_participation < 0).all()  # no residents' own activities either
    low = [_run(GOVERNANCE, "policy.coop_governance.hours_per_week=4", seed=s, weeks=26)
           for s in range(4)]
    high = [_run(GOVERNANCE, "policy.coop_governance.hours_per_week=12", seed=s, weeks=26)
            for s in range(4)]
    came = [[(m.households.last_participation >= 0).sum() for m in ms] for ms in (low, high)]
    assert np.mean(came[1]) > np.mean(came[0])
    invited = [[m.levers[0].acts["invitations"] for m in ms] for ms in (low, high)]
    assert np.mean(invited[1]) > np.mean(invited[0])


def test_invitations_raise_participation_in_a_residents_cooperative():
    # coop_housing: only cooperative buildings, so the lever's whole work is inviting the members
    participation = effect("participation_share", GOVERNANCE, "neighbourhood=coop_housing", weeks=52)
    assert participation.mean() > 0.02


def test_cooperative_buildings_cannot_be_named_for_supported_self_management():
    key = "policy.coop_governance.buildings[0]"
    assert refused_key("neighbourhood=coop_housing", GOVERNANCE, "policy.coop_governance.buildings=[Nord]") == key
    assert refused_key(GOVERNANCE, "policy.coop_governance.buildings=[E]") == key
    key = "policy.coop_governance.hours_per_invitation"
    assert refused_key(GOVERNANCE, "policy.coop_governance.hours_per_invitation=0") == key


def test_every_invitation_is_used_when_two_assemblies_share_them():
    # building D a housing cooperative: the facilitator invites to its assemblies and to the supported body's
    m = _run(GOVERNANCE, "neighbourhood.buildings.3.tenure=coop", weeks=1)
    lever = m.levers[0]
    assert len(lever.bodies()) == 2
    for k in (1, 2, 5, 9):
        before = lever.acts["invitations"]
        lever.invite(k)
        assert lever.acts["invitations"] - before == k  # none lost to rounding in the split
