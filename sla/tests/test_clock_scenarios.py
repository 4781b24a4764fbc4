"""Service-level clocks through the API (SPEC §15): due times in business hours, pauses, responses, resolution and
reopening, re-targeting on a priority change, and the warnings and breaches `sla_tick` records once each."""

from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalProcessStepApprover
from approvals.tests.factories import template_with
from notifications.models import NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from sla.services.clocks import sla_tick
from sla.tests.conftest import BERLIN
from sla.tests.factories import BusinessCalendarFactory, SlaPolicyFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def tick() -> str:
    out = StringIO()
    call_command("sla_tick", stdout=out)
    return out.getvalue()


@pytest.fixture
def calendar():
    """Monday to Friday, 09:00-18:00, Berlin."""
    return BusinessCalendarFactory(is_default=True)


def test_a_ticket_filed_friday_1750_with_a_one_hour_target_is_due_monday_0950(desk, clock, calendar):
    policy = SlaPolicyFactory(calendar=calendar, first_response_minutes=60, resolution_minutes=60)
    clock.at(2026, 12, 4, 17, 50)  # Friday

    ticket = desk.file()

    assert ticket["sla_policy"] == policy.pk
    assert ticket["sla_status"] == "ok"
    assert moment(ticket["first_response_due_at"]) == at(2026, 12, 7, 9, 50)  # Monday
    assert moment(ticket["resolution_due_at"]) == at(2026, 12, 7, 9, 50)
    assert ticket["sla_remaining_minutes"] == 60
    [applied] = desk.timeline(ticket["id"], "sla_policy_change")
    assert applied["event_details"]["policy_name"] == policy.name
    assert applied["created_by"] == desk.alice.pk


def test_a_draft_has_no_service_level_yet(desk, clock, calendar):
    SlaPolicyFactory(calendar=calendar)

    created = desk.api(desk.alice).post("/api/v1/tickets/", {"title": "Later"}, format="json").json()

    assert created["sla_policy"] is None
    assert created["sla_status"] is None
    assert created["resolution_due_at"] is None


def test_the_clock_pauses_while_waiting_for_approval_and_runs_once_approved(desk, clock, calendar, client_for):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=60)
    approver = UserFactory()
    flow = template_with(("all", [approver]))
    clock.at(2026, 12, 7, 10, 0)

    ticket = desk.file(approval_template=flow.pk)

    assert ticket["status"] == "waiting_approval"
    assert ticket["sla_status"] == "paused"
    assert ticket["resolution_due_at"] is None
    assert ticket["sla_remaining_minutes"] == 60
    clock.at(2026, 12, 7, 15, 0)  # five business hours later: none of them counted
    slot = ApprovalProcessStepApprover.objects.get(ticket_id=ticket["id"])
    approved = client_for(approver).post(f"/api/v1/approvals/{slot.pk}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.json()
    opened = desk.ticket(ticket["id"])
    assert opened["status"] == "open"
    assert opened["sla_status"] == "ok"
    assert moment(opened["resolution_due_at"]) == at(2026, 12, 7, 16, 0)


def test_warning_and_breach_are_recorded_once_each_however_often_the_tick_runs(desk, clock, calendar):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=60, warning_percent=80)
    for event_type in (NotificationEvent.SLA_WARNING, NotificationEvent.SLA_BREACHED):
        NotificationRuleFactory(event_type=event_type, notify_creator=True)
    clock.at(2026, 12, 7, 10, 0)
    ticket = desk.file()

    clock.at(2026, 12, 7, 10, 47)
    tick()
    assert desk.timeline(ticket["id"], "sla_warning", "sla_breached") == []
    clock.at(2026, 12, 7, 10, 48)  # 80 % of 60 minutes
    tick()
    tick()
    [warning] = desk.timeline(ticket["id"], "sla_warning")
    assert warning["event_details"]["target"] == "resolution"
    assert warning["created_by"] is None  # the system
    assert desk.ticket(ticket["id"])["sla_status"] == "warning"
    clock.at(2026, 12, 7, 11, 0)
    tick()
    clock.at(2026, 12, 7, 12, 0)
    tick()

    assert len(desk.timeline(ticket["id"], "sla_warning")) == 1
    [breach] = desk.timeline(ticket["id"], "sla_breached")
    assert moment(breach["event_details"]["due_at"]) == at(2026, 12, 7, 11, 0)
    assert desk.ticket(ticket["id"])["sla_status"] == "breached"
    inbox = desk.api(desk.alice).get("/api/v1/notifications/").json()["results"]
    assert sorted(item["event_type"] for item in inbox) == ["sla_breached", "sla_warning"]


def test_the_tick_does_not_count_the_night(desk, clock, calendar):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=60)
    clock.at(2026, 12, 7, 17, 30)
    ticket = desk.file()

    clock.at(2026, 12, 8, 9, 17)  # Tuesday: 30 minutes on Monday, 17 today; the warning wants 48
    tick()
    assert desk.timeline(ticket["id"], "sla_warning", "sla_breached") == []
    clock.at(2026, 12, 8, 9, 18)
    tick()
    assert [entry["event_details"]["target"] for entry in desk.timeline(ticket["id"], "sla_warning")] == ["resolution"]
    clock.at(2026, 12, 8, 9, 29)
    tick()
    assert desk.timeline(ticket["id"], "sla_breached") == []
    clock.at(2026, 12, 8, 9, 30)
    tick()
    assert len(desk.timeline(ticket["id"], "sla_breached")) == 1


def test_a_priority_change_retargets_on_the_minutes_used(desk, clock, calendar):
    urgent = SlaPolicyFactory(calendar=calendar, order=1, priorities=["urgent"], resolution_minutes=30)
    standard = SlaPolicyFactory(calendar=calendar, order=2, resolution_minutes=240)
    clock.at(2026, 12, 7, 10, 0)
    ticket = desk.file(priority="medium")
    assert ticket["sla_policy"] == standard.pk
    assert moment(ticket["resolution_due_at"]) == at(2026, 12, 7, 14, 0)

    clock.at(2026, 12, 7, 10, 10)
    changed = desk.api(desk.carol).patch(f"/api/v1/tickets/{ticket['id']}/", {"priority": "urgent"}, format="json")

    assert changed.status_code == 200, changed.json()
    assert changed.json()["sla_policy"] == urgent.pk
    assert moment(changed.json()["resolution_due_at"]) == at(2026, 12, 7, 10, 30)  # 10 of 30 minutes used
    assert changed.json()["sla_remaining_minutes"] == 20
    retarget = desk.timeline(ticket["id"], "sla_policy_change")[-1]
    assert retarget["created_by"] == desk.carol.pk
    assert (retarget["event_details"]["old_policy_name"], retarget["event_details"]["policy_name"]) == (
        standard.name,
        urgent.name,
    )


def test_only_an_agent_or_the_assignee_gives_the_first_response(desk, clock, calendar):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=60, resolution_minutes=240)
    clock.at(2026, 12, 7, 10, 0)
    ticket = desk.file()

    clock.at(2026, 12, 7, 10, 5)
    desk.api(desk.alice).post(f"/api/v1/tickets/{ticket['id']}/comments/", {"note": "Any news?"}, format="json")
    assert desk.ticket(ticket["id"])["first_responded_at"] is None
    clock.at(2026, 12, 7, 10, 20)
    desk.api(desk.carol).post(f"/api/v1/tickets/{ticket['id']}/comments/", {"note": "On it."}, format="json")
    answered = desk.ticket(ticket["id"])
    clock.at(2026, 12, 7, 11, 30)
    tick()

    assert moment(answered["first_responded_at"]) == at(2026, 12, 7, 10, 20)
    assert moment(answered["first_response_due_at"]) == at(2026, 12, 7, 11, 0)
    assert [e["event_details"]["target"] for e in desk.timeline(ticket["id"], "sla_breached", "sla_warning")] == []


def test_resolving_meets_the_target_and_a_reopen_runs_what_remains(desk, clock, calendar):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=60, resolution_minutes=240)
    clock.at(2026, 12, 7, 10, 0)
    ticket = desk.file()
    path = f"/api/v1/tickets/{ticket['id']}/transition/"
    clock.at(2026, 12, 7, 10, 30)
    desk.api(desk.carol).post(path, {"status": "in_progress"}, format="json")
    clock.at(2026, 12, 7, 11, 0)

    resolved = desk.api(desk.carol).post(path, {"status": "resolved"}, format="json").json()
    assert resolved["sla_status"] == "met"
    assert resolved["sla_remaining_minutes"] == 180
    assert moment(resolved["first_responded_at"]) == at(2026, 12, 7, 10, 30)
    clock.at(2026, 12, 7, 12, 0)
    reopened = desk.api(desk.alice).post(path, {"status": "in_progress"}, format="json").json()

    assert reopened["sla_status"] == "ok"
    assert moment(reopened["resolution_due_at"]) == at(2026, 12, 7, 15, 0)


def test_a_late_resolution_before_any_tick_is_a_breach_recorded_once(desk, clock, calendar):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=60)
    clock.at(2026, 12, 7, 10, 0)
    ticket = desk.file()
    path = f"/api/v1/tickets/{ticket['id']}/transition/"
    desk.api(desk.carol).post(path, {"status": "in_progress"}, format="json")
    clock.at(2026, 12, 7, 11, 30)

    resolved = desk.api(desk.carol).post(path, {"status": "resolved"}, format="json").json()
    tick()

    assert resolved["sla_status"] == "breached"
    assert resolved["sla_remaining_minutes"] == -30
    assert len(desk.timeline(ticket["id"], "sla_breached")) == 1


def test_public_holidays_of_the_calendar_country_are_not_business_time(desk, clock):
    created = desk.api(desk.admin).post(
        "/api/v1/business-calendars/",
        {
            "name": "Munich office",
            "time_zone": "Europe/Berlin",
            "holiday_country": "DE",
            "holiday_subdivision": "BY",
            "hours": [{"weekday": day, "start": "09:00", "end": "18:00"} for day in range(5)],
            "days": [{"date": "2026-12-31", "name": "Year-end closing"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    SlaPolicyFactory(calendar_id=created.json()["id"], first_response_minutes=None, resolution_minutes=60)
    clock.at(2026, 12, 24, 17, 30)  # Thursday; Friday 25th is Christmas Day, the 26th a Saturday

    ticket = desk.file()

    assert moment(ticket["resolution_due_at"]) == at(2026, 12, 28, 9, 30)


def test_the_tick_runs_a_fixed_number_of_queries_whatever_the_number_of_open_tickets(desk, clock, calendar):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=60)
    clock.at(2026, 12, 7, 10, 0)
    desk.file()
    desk.file()

    def file_later(n: int) -> None:
        clock.at(2026, 12, 7, 10, 30)  # their warning comes at 11:18
        for _ in range(n):
            desk.file()

    def measure() -> tuple[int, int]:
        clock.at(2026, 12, 7, 10, 50)  # the first two are past their warning (10:48)
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            looked_at = sla_tick()
            transaction.set_rollback(True)  # the same two are due again at the next measure
        return len(queries), looked_at

    file_later(3)
    small, looked_at = measure()
    file_later(3)
    large, _ = measure()

    assert looked_at == 2
    assert small == large


def test_a_rejected_ticket_is_paused_and_so_is_its_revision(desk, clock, calendar, client_for):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=60)
    approver = UserFactory()
    clock.at(2026, 12, 7, 10, 0)
    ticket = desk.file(approval_template=template_with(("all", [approver])).pk)
    slot = ApprovalProcessStepApprover.objects.get(ticket_id=ticket["id"])

    clock.at(2026, 12, 7, 11, 0)
    client_for(approver).post(f"/api/v1/approvals/{slot.pk}/reject/", {"comment": "No budget"}, format="json")
    rejected = desk.ticket(ticket["id"])
    revised = desk.api(desk.alice).post(f"/api/v1/tickets/{ticket['id']}/transition/", {"status": "draft"}, format="json")

    assert (rejected["status"], rejected["sla_status"], rejected["sla_remaining_minutes"]) == ("rejected", "paused", 60)
    assert (revised.json()["status"], revised.json()["sla_status"]) == ("draft", "paused")


def test_the_assignee_answering_meets_the_first_response_without_being_an_agent(desk, clock, calendar):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=60, resolution_minutes=240)
    helper = UserFactory()
    clock.at(2026, 12, 7, 10, 0)
    ticket = desk.file(assignee=helper.pk)

    clock.at(2026, 12, 7, 10, 15)
    desk.api(helper).post(f"/api/v1/tickets/{ticket['id']}/comments/", {"note": "Looking."}, format="json")

    assert moment(desk.ticket(ticket["id"])["first_responded_at"]) == at(2026, 12, 7, 10, 15)


def test_the_tick_works_through_every_due_ticket_a_batch_at_a_time(desk, clock, calendar):
    SlaPolicyFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=60)
    clock.at(2026, 12, 7, 10, 0)
    tickets = [desk.file() for _ in range(3)]
    clock.at(2026, 12, 7, 10, 50)
    out = StringIO()

    call_command("sla_tick", "--batch-size", "1", stdout=out)

    assert "Looked at 3 ticket clock(s)" in out.getvalue()
    assert [len(desk.timeline(ticket["id"], "sla_warning")) for ticket in tickets] == [1, 1, 1]


def test_a_round_the_clock_calendar_counts_nights_and_weekends(desk, clock):
    created = desk.api(desk.admin).post(
        "/api/v1/business-calendars/",
        {
            "name": "24/7",
            "time_zone": "Europe/Berlin",
            "hours": [{"weekday": d, "start": "00:00", "end": "00:00"} for d in range(7)],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    SlaPolicyFactory(calendar_id=created.json()["id"], first_response_minutes=None, resolution_minutes=60)
    clock.at(2026, 12, 5, 23, 30)  # Saturday night

    ticket = desk.file()

    assert moment(ticket["resolution_due_at"]) == at(2026, 12, 6, 0, 30)


def test_an_edit_of_the_policy_retargets_the_tickets_under_it_at_the_next_tick(desk, clock, calendar):
    policy = SlaPolicyFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=240)
    clock.at(2026, 12, 7, 10, 0)
    ticket = desk.file()
    untouched = desk.file()
    desk.api(desk.carol).post(f"/api/v1/tickets/{untouched['id']}/transition/", {"status": "in_progress"}, format="json")
    desk.api(desk.carol).post(f"/api/v1/tickets/{untouched['id']}/transition/", {"status": "resolved"}, format="json")

    clock.at(2026, 12, 7, 10, 10)
    edited = desk.api(desk.admin).patch(f"/api/v1/sla-policies/{policy.pk}/", {"resolution_minutes": 60}, format="json")
    assert edited.status_code == 200, edited.json()
    clock.at(2026, 12, 7, 10, 11)
    tick()

    assert moment(desk.ticket(ticket["id"])["resolution_due_at"]) == at(2026, 12, 7, 11, 0)
    assert desk.ticket(untouched["id"])["sla_status"] == "met"
    desk.api(desk.admin).patch(f"/api/v1/sla-policies/{policy.pk}/", {"pause_statuses": ["open"]}, format="json")
    clock.at(2026, 12, 7, 10, 12)
    tick()
    paused = desk.ticket(ticket["id"])
    assert (paused["sla_status"], paused["resolution_due_at"], paused["sla_remaining_minutes"]) == ("paused", None, 48)


def test_an_edit_of_the_calendar_moves_the_due_times_at_the_next_tick(desk, clock, calendar):
    SlaPolicyFactory(calendar=None, first_response_minutes=None, resolution_minutes=60)  # counts in the default
    clock.at(2026, 12, 7, 17, 30)
    ticket = desk.file()
    assert moment(ticket["resolution_due_at"]) == at(2026, 12, 8, 9, 30)

    late_shift = [{"weekday": day, "start": "09:00", "end": "20:00"} for day in range(5)]
    desk.api(desk.admin).patch(f"/api/v1/business-calendars/{calendar.pk}/", {"hours": late_shift}, format="json")
    tick()

    assert moment(desk.ticket(ticket["id"])["resolution_due_at"]) == at(2026, 12, 7, 18, 30)
