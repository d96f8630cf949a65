"""Community cooperative: volunteering, participation and services rise (10 paired seeds); it fails when
money or volunteers run out, and then stops acting and costing; it may run shared spaces."""

import numpy as np
import pytest

from levers.paired import effect, model, refused_key, tail_means

from abm.levers.common import find_lever

COOP = "policy=community_coop"


def test_community_coop_raises_volunteering_participation_and_services():
    # 52 weeks, means of the last 26; measured on seeds 0-9
    volunteers = effect("volunteers_share", COOP, weeks=52)
    participation = effect("participation_share", COOP, weeks=52)
    served = effect("needs_met_services_share", COOP, weeks=52)
    assert (volunteers > 0).all() and volunteers.mean() > 0.04
    # its assemblies and volunteering are new occasions; residents' own activities go on either way
    assert participation.mean() > 0 and (participation > 0).sum() >= 7, participation
    assert served.mean() > 0.02
    assert (tail_means("community_coop_alive", COOP, weeks=52) == 1.0).all()
    assert np.isnan(tail_means("community_coop_alive", "policy=baseline", weeks=52)).all()


def test_community_coop_cost_is_counted():
    cost = tail_means("cost_year_community_coop", COOP, weeks=52)
    assert (cost > 5000.0).all()  # fixed cost plus the cost of its service hours
    assert np.allclose(tail_means("cost_year_total", COOP, weeks=52), cost)


def _run(*overrides, weeks=30, seed=0):
    m = model(COOP, *overrides, seed=seed)
    for _ in range(weeks):
        m.step()
    return m, m.levers[0]


def test_it_fails_when_the_money_runs_out_and_then_stops():
    m, coop = _run("policy.community_coop.grant_year=0", "policy.community_coop.initial_capital=500",
                   "policy.community_coop.fixed_cost_year=20000", weeks=30)
    assert not coop.alive and coop.failure_cause == "money"
    assert coop.failed_week < 30
    services = coop.acts["services"]
    m.step()
    assert coop.acts["services"] == services and coop.yearly_cost() == 0.0
    df = m.datacollector.get_model_vars_dataframe()
    alive = df["community_coop_alive"].to_numpy()
    assert alive[0] == 1.0 and alive[-1] == 0.0
    assert df["cost_year_community_coop"].to_numpy()[-1] == 0.0


def test_it_fails_when_volunteers_run_out():
    m, coop = _run("policy.community_coop.volunteering=0", weeks=20)
    assert not coop.alive and coop.failure_cause == "volunteers"
    assert coop.failed_week == coop.p.failure_weeks
    assert coop.acts["services"] == 0


def test_it_runs_the_shared_spaces_it_manages_while_alive():
    m, coop = _run("policy.community_coop.manage_spaces=[courtyard]", weeks=0)
    managed = []
    for _ in range(20):
        m.step()
        # managed exactly in the weeks its volunteers had the hours to run it
        assert bool(m.space.managed[0]) == coop.running_spaces
        managed.append(coop.running_spaces)
    assert coop.alive and any(managed)
    coop.fail("money")
    m.step()
    assert not m.space.managed[0]  # the courtyard is unmanaged again (acer_estate: manager none)


def test_a_space_it_manages_has_no_manager_and_no_volunteers_once_it_failed():
    # the shared-services laundry, run by the community cooperative: its visitors volunteer while it runs
    m, _ = _run("policy.shared_services.enabled=true", "policy.shared_services.spaces.1.manager=community_coop",
                "policy.shared_services.spaces.1.volunteer_probability=0.5", "participation.initiative=0", weeks=0)
    coop = find_lever(m, "community_coop")
    laundry = next(s for s in m.space.spaces if s.spec.name == "lavanderia")
    assert laundry.index in coop.spaces
    running, volunteered = [], 0
    for _ in range(12):
        m.step()
        assert bool(m.space.managed[laundry.index]) == coop.running_spaces
        running.append(coop.running_spaces)
        took_task = (m.households.last_volunteer == m.week) & (m.encounters.visited == laundry.index)
        took_task[coop.volunteers] = False  # the cooperative's own volunteers of the week
        volunteered += int(took_task.sum())
    assert any(running) and volunteered > 0
    coop.fail("money")
    users = 0
    for _ in range(8):
        m.step()
        assert not m.space.managed[laundry.index]
        users += int((m.encounters.visited[laundry.eligible] == laundry.index).sum())
        # nobody takes on a task in the laundry any more (the cooperative's own volunteers are gone too)
        assert not (m.households.last_volunteer == m.week).any()
    assert users > 0  # the laundry is still used, unmanaged


@pytest.mark.parametrize("override,key", [
    ("policy.community_coop.manage_spaces=[piazza]", "policy.community_coop.manage_spaces[0]"),
    ("policy.community_coop.founding_members=2", "policy.community_coop.founding_members"),
    ("policy.community_coop.member_fee_year=-10", "policy.community_coop.member_fee_year"),
    ("policy.community_coop.service_categories=[shop]", "policy.community_coop.service_categories[0]"),
])
def test_bad_input_is_refused(override, key):
    assert refused_key(COOP, override) == key


def test_residents_pay_its_fees_and_its_payer_the_rest():
    m, coop = _run(weeks=40)
    assert coop.alive
    by_payer = m.costs_by_payer()
    members_fees = len(coop.members) * coop.p.member_fee_year  # a year of today's members' fees, at least
    assert by_payer["residents"] > 0.5 * members_fees
    assert by_payer["residents"] + by_payer["foundations"] == pytest.approx(coop.yearly_cost())
    assert by_payer["foundations"] > 0  # fees do not cover the fixed cost
    coop.fail("money")
    m.step()
    assert m.costs_by_payer()["residents"] == 0.0 and sum(m.costs_by_payer().values()) == 0.0
