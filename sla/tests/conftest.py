"""Shared setup of the service-level tests: a clock the tests move (django.utils.timezone.now, as every service reads
it), and the people of a help desk."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from tests.factories import UserFactory

BERLIN = ZoneInfo("Europe/Berlin")


class Clock:
    """The time every `timezone.now()` answers; `at(...)` sets it (Berlin wall time), `advance(...)` moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 17, 50, tzinfo=BERLIN)  # a Friday

    def at(self, *args: int) -> datetime:
        self.now = datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]
        return self.now

    def advance(self, **kwargs: Any) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    frozen = Clock()
    with mock.patch("django.utils.timezone.now", side_effect=lambda: frozen.now):
        yield frozen


class Desk:
    """alice asks, carol is an agent, the admin configures service levels."""

    def __init__(self, client_for: Any) -> None:
        self.alice = UserFactory(username="alice")
        self.carol = UserFactory(username="carol", perms=["tickets.work_on_ticket"])
        self.admin = UserFactory(
            username="sla_admin",
            is_staff=True,
            perms=[
                f"sla.{action}_{model}"
                for action in ("add", "change", "delete", "view")
                for model in ("businesscalendar", "slapolicy")
            ],
        )
        self.client_for = client_for

    def api(self, user: Any) -> Any:
        return self.client_for(user)

    def file(self, **body: Any) -> dict[str, Any]:
        """alice files a ticket and submits it; returns the ticket as the API answers the submit."""
        client = self.api(self.alice)
        created = client.post("/api/v1/tickets/", {"title": "Printer on fire", **body}, format="json")
        assert created.status_code == 201, created.json()
        ticket = created.json()
        to = "waiting_approval" if ticket["approval_template"] else "open"
        submitted = client.post(f"/api/v1/tickets/{ticket['id']}/transition/", {"status": to}, format="json")
        assert submitted.status_code == 200, submitted.json()
        return submitted.json()

    def ticket(self, ticket_id: int, user: Any = None) -> dict[str, Any]:
        response = self.api(user or self.alice).get(f"/api/v1/tickets/{ticket_id}/")
        assert response.status_code == 200
        return response.json()

    def timeline(self, ticket_id: int, *event_types: str) -> list[dict[str, Any]]:
        response = self.api(self.alice).get(f"/api/v1/tickets/{ticket_id}/timeline/", {"page_size": 100})
        assert response.status_code == 200
        return [entry for entry in response.json()["results"] if entry["event_type"] in event_types]


@pytest.fixture
def desk(client_for: Any) -> Desk:
    return Desk(client_for)
