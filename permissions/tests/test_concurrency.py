"""Races on PostgreSQL, with real threads (each its own connection) released by one barrier: exactly one outcome."""

import pytest
from rest_framework.test import APIClient

from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from permissions.tests.factories import AccessRequestFactory
from tests.concurrency import at_once
from tests.factories import UserFactory
from tickets.models import EventType, TicketNote
from tickets.tests.factories import RestrictedTicketFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_two_managers_deciding_the_same_request_at_once_give_one_decision():
    ticket = RestrictedTicketFactory(assignee=UserFactory())
    access_request = AccessRequestFactory(ticket=ticket)
    url = f"/api/v1/access-requests/{access_request.pk}"
    creator, assignee = as_user(ticket.created_by), as_user(ticket.assignee)

    codes = at_once(
        lambda: creator.post(f"{url}/approve/", {}, format="json"),
        lambda: assignee.post(f"{url}/deny/", {"comment": "no"}, format="json"),
    )

    assert sorted(codes) == [200, 409]
    access_request.refresh_from_db()
    decided = TicketNote.objects.filter(ticket=ticket, event_type__in=[EventType.ACCESS_GRANTED, EventType.ACCESS_DENIED])
    assert decided.count() == 1
    granted = TicketViewPermission.objects.filter(ticket=ticket, user=access_request.requester).count()
    assert granted == (1 if access_request.status == AccessRequestStatus.APPROVED else 0)


def test_the_same_user_asking_twice_at_once_gives_one_pending_request():
    ticket = RestrictedTicketFactory()
    requester = as_user(UserFactory())
    url = f"/api/v1/tickets/{ticket.pk}/access-requests/"

    codes = at_once(*[lambda: requester.post(url, {"reason": "please"}, format="json") for _ in range(3)])

    assert sorted(codes) == [201, 409, 409]
    assert AccessRequest.objects.filter(ticket=ticket).count() == 1
    assert TicketNote.objects.filter(ticket=ticket, event_type=EventType.ACCESS_REQUESTED).count() == 1


def test_the_same_grant_made_twice_at_once_gives_one_grant():
    ticket = RestrictedTicketFactory(assignee=UserFactory())
    grantee = UserFactory()
    url = f"/api/v1/tickets/{ticket.pk}/permissions/"

    codes = at_once(
        lambda: as_user(ticket.created_by).post(url, {"user": grantee.pk}, format="json"),
        lambda: as_user(ticket.assignee).post(url, {"user": grantee.pk}, format="json"),
    )

    assert sorted(codes) == [201, 409]
    assert TicketViewPermission.objects.filter(ticket=ticket, user=grantee).count() == 1
    assert TicketNote.objects.filter(ticket=ticket, event_type=EventType.PERMISSION_GRANTED).count() == 1
