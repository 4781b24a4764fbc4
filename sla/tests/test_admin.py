"""The back office of service levels: calendars with their hours and dates on one page, one default calendar, the
same checks as the API; policies with their conditions."""

import pytest
from django.test import Client

from sla.models import BusinessCalendar, SlaPolicy
from sla.tests.factories import BusinessCalendarFactory, SlaPolicyFactory
from tests.factories import AdminFactory
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

CALENDARS, POLICIES = "/admin/sla/businesscalendar/", "/admin/sla/slapolicy/"


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(AdminFactory())
    return client


def calendar_form(**fields):
    data = {
        "name": "Night shift",
        "time_zone": "Europe/Berlin",
        "holiday_country": "DE",
        "holiday_subdivision": "",
        "is_default": "on",
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-0-weekday": "0",
        "hours-0-start": "22:00",
        "hours-0-end": "06:00",
        "days-TOTAL_FORMS": "1",
        "days-INITIAL_FORMS": "0",
        "days-0-date": "2026-12-31",
        "days-0-name": "Closing",
    }
    return {**data, **fields}


def test_pages_render(admin_client):
    calendar = BusinessCalendarFactory()
    policy = SlaPolicyFactory(calendar=calendar, categories=[CategoryFactory()])

    for url in [CALENDARS, f"{CALENDARS}{calendar.pk}/change/", POLICIES, f"{POLICIES}{policy.pk}/change/", f"{POLICIES}add/"]:
        assert admin_client.get(url).status_code == 200, url


def test_a_calendar_added_as_default_takes_the_flag_from_the_previous_one(admin_client):
    previous = BusinessCalendarFactory(is_default=True)

    response = admin_client.post(f"{CALENDARS}add/", calendar_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    added = BusinessCalendar.objects.get(name="Night shift")
    assert added.is_default
    assert [(hours.weekday, f"{hours.start:%H:%M}", f"{hours.end:%H:%M}") for hours in added.hours.all()] == [
        (0, "22:00", "06:00")
    ]
    assert [day.name for day in added.days.all()] == ["Closing"]
    previous.refresh_from_db()
    assert not previous.is_default


def test_the_admin_refuses_an_unknown_zone_or_country_as_the_api_does(admin_client):
    response = admin_client.post(f"{CALENDARS}add/", calendar_form(time_zone="Nowhere/Land", holiday_country="XX"))

    assert response.status_code == 200
    assert "time_zone" in response.context["adminform"].form.errors
    assert not BusinessCalendar.objects.exists()


def test_a_policy_is_added_with_its_conditions(admin_client):
    category = CategoryFactory()

    response = admin_client.post(
        f"{POLICIES}add/",
        {
            "name": "Urgent",
            "order": "1",
            "is_active": "on",
            "priorities": ["urgent"],
            "categories": [category.pk],
            "resolution_minutes": "30",
            "warning_percent": "80",
            "pause_statuses": ["waiting_approval"],
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    policy = SlaPolicy.objects.get(name="Urgent")
    assert (policy.priorities, policy.pause_statuses) == (["urgent"], ["waiting_approval"])
    assert list(policy.categories.all()) == [category]
