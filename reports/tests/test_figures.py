"""The reports' figures against the hand-computed ones of the small world (reports/tests/world.py), for someone who
sees the internal tickets (the agent), someone who sees everything (the auditor), and an outsider granted one
restricted ticket. Run on SQLite (Python percentiles) and, marked postgres, on PostgreSQL (percentile_cont)."""

from __future__ import annotations

import pytest

from permissions import services as permission_services
from reports import selectors
from reports.selectors import Bucket, Durations, StepDurations, Week
from reports.tests.world import HOUR, NOVEMBER, at, build_report_world, opened_at, ticket_at
from tickets.models import TicketStatus
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_report_world()


def test_backlog_counts_open_work_the_caller_sees(world):
    report = selectors.backlog(user=world.people["agent"])

    assert report.total == 3
    assert report.by_status == [
        Bucket("waiting_approval", "Waiting for approval", 1),
        Bucket("open", "Open", 1),
        Bucket("in_progress", "In progress", 1),
    ]
    assert report.by_priority == [
        Bucket("urgent", "Urgent", 1),
        Bucket("high", "High", 1),
        Bucket("medium", "Medium", 1),
        Bucket("low", "Low", 0),
    ]
    assert report.by_category == [Bucket(world.software.pk, "Software", 2), Bucket(None, "No category", 1)]


def test_backlog_of_the_auditor_counts_the_restricted_ticket(world):
    report = selectors.backlog(user=world.people["auditor"])

    assert report.total == 4
    assert [bucket.count for bucket in report.by_status] == [1, 2, 1]
    assert report.by_priority[0] == Bucket("urgent", "Urgent", 2)
    assert report.by_category == [
        Bucket(world.software.pk, "Software", 2),
        Bucket(world.hardware.pk, "Hardware", 1),
        Bucket(None, "No category", 1),
    ]


def test_a_grant_brings_the_restricted_ticket_into_the_outsiders_figures(world):
    outsider = world.people["outsider"]
    assert selectors.backlog(user=outsider).total == 3

    permission_services.grant_create(ticket=world.tickets["T9"], actor=world.people["carol"], user=outsider)

    assert selectors.backlog(user=outsider).total == 4


def test_created_and_resolved_per_iso_week(world):
    weeks = selectors.created_and_resolved(user=world.people["agent"], period=NOVEMBER)

    assert weeks == [
        Week(at(2).date(), created=2, resolved=1),
        Week(at(9).date(), created=2, resolved=2),
        Week(at(16).date(), created=2, resolved=0),
        Week(at(23).date(), created=1, resolved=0),
    ]
    assert [week.label for week in weeks] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    auditors = selectors.created_and_resolved(user=world.people["auditor"], period=NOVEMBER)
    assert auditors[-1] == Week(at(23).date(), created=3, resolved=1)


def test_time_to_resolve_median_and_p90_per_category_and_template(world):
    agent = world.people["agent"]

    by_category = selectors.time_to_resolve_by_category(user=agent, period=NOVEMBER)
    by_template = selectors.time_to_resolve_by_template(user=agent, period=NOVEMBER)

    # Hardware: 12 h, 24 h, 48 h; p90 at rank 1.8: 24 + 0.8 x 24 h. Laptop request: 24 h, 48 h.
    assert by_category == [
        Durations(world.hardware.pk, "Hardware", 3, 24 * HOUR, 43.2 * HOUR),
        Durations(world.software.pk, "Software", 1, 12 * HOUR, 12 * HOUR),
    ]
    assert by_template == [
        Durations(world.laptop.pk, "Laptop request", 2, 36 * HOUR, 45.6 * HOUR),
        Durations(None, "No template", 1, 12 * HOUR, 12 * HOUR),
    ]


def test_time_to_resolve_counts_the_restricted_ticket_for_the_auditor(world):
    by_category = selectors.time_to_resolve_by_category(user=world.people["auditor"], period=NOVEMBER)

    # Hardware: 12, 24, 24, 48 h; p90 at rank 2.7: 24 + 0.7 x 24 h.
    assert by_category[0] == Durations(world.hardware.pk, "Hardware", 4, 24 * HOUR, 40.8 * HOUR)


def test_a_period_leaves_out_what_was_resolved_outside_it(world):
    first_week = NOVEMBER.__class__(start=at(2).date(), end=at(8).date())

    assert selectors.time_to_resolve_by_template(user=world.people["agent"], period=first_week) == [
        Durations(world.laptop.pk, "Laptop request", 1, 24 * HOUR, 24 * HOUR)
    ]


def test_approval_cycle_per_template_and_step(world):
    cycle = selectors.approval_cycle(user=world.people["agent"], period=NOVEMBER)

    # Processes: 1 h (approved) and 3 h (rejected); the running ones are not counted.
    assert cycle.by_template == [Durations(world.manager_approval.pk, "Manager approval", 2, 2 * HOUR, 2.8 * HOUR)]
    assert cycle.by_step == [
        StepDurations(world.manager_approval.pk, "Manager", 2, HOUR, HOUR, template_label="Manager approval", order=1),
        StepDurations(world.manager_approval.pk, "Finance", 1, 2 * HOUR, 2 * HOUR, template_label="Manager approval", order=2),
    ]
    auditors = selectors.approval_cycle(user=world.people["auditor"], period=NOVEMBER)
    assert auditors.by_template == [Durations(world.manager_approval.pk, "Manager approval", 3, 3 * HOUR, 4.6 * HOUR)]


def test_approver_workload_counts_pending_slots_of_active_steps_oldest_first(world):
    agents = selectors.approver_workload(user=world.people["agent"])
    auditors = selectors.approver_workload(user=world.people["auditor"])

    assert [(load.label, load.pending, load.oldest_since) for load in agents] == [
        ("Purchasing (role)", 1, at(24, 10)),
        ("approver1", 1, at(24, 10)),
    ]
    assert [(load.label, load.pending, load.oldest_since) for load in auditors] == [
        ("approver1", 2, at(20)),
        ("Purchasing (role)", 1, at(24, 10)),
    ]
    assert agents[0].role_id == world.purchasing.pk and agents[1].user_id == world.people["approver1"].pk


@pytest.mark.parametrize("more", [0, 20])
def test_the_reports_run_a_fixed_number_of_queries(more, world, django_assert_num_queries):
    """The same statements with 20 more resolved tickets in more categories: grouped in the database, never per row."""
    for index in range(more):
        ticket = ticket_at(at(3 + index % 20), resolved=at(25), status=TicketStatus.RESOLVED, categories=[CategoryFactory()])
        opened_at(ticket, at(3 + index % 20, 1))
    agent = world.people["agent"]
    selectors.backlog(user=agent)  # the caller's permissions, looked up once per request, are not the reports' queries

    with django_assert_num_queries(3 + 2 + 1 + 1 + 2 + 1):
        selectors.backlog(user=agent)
        selectors.created_and_resolved(user=agent, period=NOVEMBER)
        selectors.time_to_resolve_by_category(user=agent, period=NOVEMBER)
        selectors.time_to_resolve_by_template(user=agent, period=NOVEMBER)
        selectors.approval_cycle(user=agent, period=NOVEMBER)
        selectors.approver_workload(user=agent)


@pytest.mark.postgres
def test_postgresql_takes_the_percentiles_itself(postgres_only, world, django_assert_num_queries):
    selectors.backlog(user=world.people["auditor"])  # the caller's permissions, looked up once
    with django_assert_num_queries(1) as captured:
        figures = selectors.time_to_resolve_by_template(user=world.people["auditor"], period=NOVEMBER)

    assert "PERCENTILE_CONT(0.5) WITHIN GROUP" in captured.captured_queries[0]["sql"]
    assert figures[0] == Durations(world.laptop.pk, "Laptop request", 3, 24 * HOUR, 43.2 * HOUR)
