"""Business calendars and SLA policies through the API: read by every signed-in user, written with the model
permissions; validation of zones, holidays, hours and choices; one default calendar; what cannot be deleted."""

import pytest

from sla.models import BusinessCalendar, SlaPolicy
from sla.tests.factories import BusinessCalendarFactory, SlaPolicyFactory
from tests.factories import UserFactory
from tickets.tests.factories import CategoryFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

CALENDARS, POLICIES = "/api/v1/business-calendars/", "/api/v1/sla-policies/"
WEEK = [{"weekday": day, "start": "09:00", "end": "18:00"} for day in range(5)]


def calendar_body(**overrides):
    return {"name": "Head office", "time_zone": "Europe/Berlin", "hours": WEEK, **overrides}


def errors(response):
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


def test_everyone_reads_only_holders_of_the_permissions_write(desk):
    calendar = BusinessCalendarFactory(is_default=True)
    policy = SlaPolicyFactory(calendar=calendar)
    reader = desk.api(UserFactory())

    assert reader.get(CALENDARS).json()["results"][0]["id"] == calendar.pk
    assert reader.get(f"{POLICIES}{policy.pk}/").json()["calendar"] == calendar.pk
    assert reader.post(CALENDARS, calendar_body(), format="json").status_code == 403
    assert reader.patch(f"{POLICIES}{policy.pk}/", {"resolution_minutes": 5}, format="json").status_code == 403
    assert reader.delete(f"{CALENDARS}{calendar.pk}/").status_code == 403
    assert desk.api(None).get(CALENDARS).status_code == 401


def test_a_calendar_is_created_with_its_hours_and_dates_and_the_first_is_the_default(desk):
    body = calendar_body(
        holiday_country="DE",
        holiday_subdivision="BY",
        hours=[*WEEK, {"weekday": 0, "start": "19:00", "end": "21:00"}],
        days=[{"date": "2026-12-31", "name": "Closing"}, {"date": "2026-12-27", "start": "10:00", "end": "14:00"}],
    )

    response = desk.api(desk.admin).post(CALENDARS, body, format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["is_default"] is True
    assert created["created_by"] == desk.admin.pk
    assert created["hours"][:2] == [
        {"weekday": 0, "start": "09:00:00", "end": "18:00:00"},
        {"weekday": 0, "start": "19:00:00", "end": "21:00:00"},
    ]
    assert created["days"] == [
        {"date": "2026-12-27", "name": "", "start": "10:00:00", "end": "14:00:00"},
        {"date": "2026-12-31", "name": "Closing", "start": None, "end": None},
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"time_zone": "Mars/Olympus"}, [("time_zone", "invalid_choice")]),
        ({"holiday_country": "XX"}, [("holiday_country", "invalid_choice")]),
        ({"holiday_country": "DE", "holiday_subdivision": "ZZ"}, [("holiday_subdivision", "invalid_choice")]),
        ({"hours": []}, [("hours.non_field_errors", "empty")]),
        ({"hours": [{"weekday": 7, "start": "09:00", "end": "17:00"}]}, [("hours.0.weekday", "max_value")]),
        ({"days": [{"date": "2026-12-31", "start": "09:00"}]}, [("days", "invalid")]),
    ],
)
def test_a_calendar_that_cannot_work_is_refused(desk, overrides, expected):
    response = desk.api(desk.admin).post(CALENDARS, calendar_body(**overrides), format="json")

    assert response.status_code == 400
    assert errors(response) == expected
    assert not BusinessCalendar.objects.exists()


def test_there_is_always_exactly_one_default_calendar(desk):
    admin = desk.api(desk.admin)
    first = admin.post(CALENDARS, calendar_body(name="First"), format="json").json()
    second = admin.post(CALENDARS, calendar_body(name="Second", is_default=True), format="json").json()

    assert second["is_default"] is True
    assert admin.get(f"{CALENDARS}{first['id']}/").json()["is_default"] is False
    refused = admin.patch(f"{CALENDARS}{second['id']}/", {"is_default": False}, format="json")
    assert errors(refused) == [("is_default", "invalid")]
    deleted = admin.delete(f"{CALENDARS}{second['id']}/")
    assert deleted.status_code == 409
    assert errors(deleted) == [(None, "in_use")]
    assert list(BusinessCalendar.objects.filter(is_default=True).values_list("name", flat=True)) == ["Second"]


def test_a_calendar_a_policy_counts_in_is_not_deleted_and_the_hours_are_replaced_whole(desk):
    calendar = BusinessCalendarFactory()
    SlaPolicyFactory(calendar=calendar)
    admin = desk.api(desk.admin)

    assert admin.delete(f"{CALENDARS}{calendar.pk}/").status_code == 409
    changed = admin.patch(f"{CALENDARS}{calendar.pk}/", {"hours": WEEK[:1]}, format="json")
    assert changed.status_code == 200, changed.json()
    assert [hours["weekday"] for hours in changed.json()["hours"]] == [0]


def test_a_policy_is_created_changed_and_deleted(desk):
    calendar = BusinessCalendarFactory()
    category, template = CategoryFactory(), TicketTemplateFactory()
    admin = desk.api(desk.admin)

    created = admin.post(
        POLICIES,
        {
            "name": "Urgent hardware",
            "order": 1,
            "calendar": calendar.pk,
            "priorities": ["urgent", "high", "urgent"],
            "categories": [category.pk],
            "templates": [template.pk],
            "first_response_minutes": 30,
            "resolution_minutes": 240,
            "warning_percent": 75,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    policy = created.json()
    assert (policy["priorities"], policy["categories"], policy["templates"]) == (
        ["high", "urgent"],
        [category.pk],
        [template.pk],
    )
    assert policy["pause_statuses"] == ["rejected", "waiting_approval"]
    changed = admin.patch(f"{POLICIES}{policy['id']}/", {"pause_statuses": [], "calendar": None}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["pause_statuses"], changed.json()["calendar"]) == ([], None)
    assert admin.delete(f"{POLICIES}{policy['id']}/").status_code == 204
    assert admin.get(POLICIES).json()["count"] == 0
    assert SlaPolicy.all_objects.get(pk=policy["id"]).deleted_by == desk.admin


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"priorities": ["whenever"]}, [("priorities.0", "invalid_choice")]),
        ({"pause_statuses": ["resolved"]}, [("pause_statuses.0", "invalid_choice")]),
        ({"warning_percent": 100}, [("warning_percent", "max_value")]),
        ({"resolution_minutes": 0}, [("resolution_minutes", "min_value")]),
        ({"name": "Taken"}, [("name", "unique")]),
    ],
)
def test_a_policy_with_impossible_values_is_refused(desk, body, expected):
    SlaPolicyFactory(name="Taken")

    response = desk.api(desk.admin).post(POLICIES, {"name": "New", "resolution_minutes": 60, **body}, format="json")

    assert response.status_code == 400
    assert errors(response) == expected
