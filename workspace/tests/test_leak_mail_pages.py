"""Leak hunt of the pages mail links open and of the e-mail preferences: nobody holding another person's approval link,
a link made out to themselves for a ticket they cannot see (any more), or no valid link, reads anything of the hidden
ticket, and nothing is decided.

The routes take a signed token, not a world id, so each test builds its tokens (HUNTED names the routes for
test_route_coverage.py; `hunt` serves the preferences page, which takes no token)."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client

from approvals.models import ApprovalProcessStepApprover as Slot
from notifications.models import NotificationEvent
from notifications.tokens import approval_token, unsubscribe_token
from tests.clients import signed_in_client
from tests.test_leak_hunt import COLUMNS, TITLE
from workspace.tests.leak import assert_nothing_leaks, hunt

pytestmark = pytest.mark.django_db

HUNTED: dict[str, dict[str, str]] = {
    "notification-preferences": {},
    "mail-approval": {},
    "mail-unsubscribe": {},
}

DECISIONS = [(True, {"comment": ""}), (False, {"comment": "No"})]


def running_user_slot(world) -> Slot:
    """The hidden ticket's open slot of a named user (step 2 runs: a role slot and this one)."""
    return Slot.objects.select_related("user").get(ticket=world.ticket, step__order=2, user__isnull=False)


def approval_url(slot_id: int, user_id: int, *, approve: bool) -> str:
    return f"/mail/approval/{approval_token(slot_id=slot_id, user_id=user_id, approve=approve)}/"


def slots_of(world) -> list[tuple]:
    return list(Slot.all_objects.filter(ticket=world.ticket).order_by("id").values_list("status", "acted_by", "comment"))


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_preferences_page(world, db, method):
    hunt(world, "notification-preferences", HUNTED["notification-preferences"], method=method, data={"comment_added": "on"})


@pytest.mark.parametrize(("approve", "data"), DECISIONS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_persons_approval_link_while_signed_in_client(world, db, method, approve, data):
    slot = running_user_slot(world)
    url = approval_url(slot.pk, slot.user.pk, approve=approve)
    before = slots_of(world)

    for column in COLUMNS:
        response = getattr(signed_in_client(world.people[column]), method)(url, data)

        assert_nothing_leaks(response, column)
        assert response.status_code == 403, column
    assert slots_of(world) == before


@pytest.mark.parametrize(("approve", "data"), DECISIONS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_made_out_to_someone_who_cannot_see_the_ticket(world, db, method, approve, data):
    """Each column holds a link in their own name (as if mailed while they could still decide: the former role
    member, the ended delegate): signed in or not, it decides nothing and names nothing."""
    open_slots = list(Slot.objects.filter(ticket=world.ticket, step__order=2))  # the role's and a user's
    before = slots_of(world)
    assert len(open_slots) == 2

    for column in COLUMNS:
        for slot in open_slots:
            url = approval_url(slot.pk, world.people[column].pk, approve=approve)
            for client in (signed_in_client(world.people[column]), Client()):
                response = getattr(client, method)(url, data)

                assert_nothing_leaks(response, column)
                assert response.status_code == 403, column
    assert slots_of(world) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_and_expired_links(world, db, method):
    slot = running_user_slot(world)
    real = approval_token(slot_id=slot.pk, user_id=slot.user.pk, approve=True)
    _, stamp, signature = real.split(":")
    with mock.patch("django.core.signing.time.time", return_value=time.time() - timedelta(days=400).total_seconds()):
        expired = approval_token(slot_id=slot.pk, user_id=slot.user.pk, approve=True)
    before = slots_of(world)

    for column in COLUMNS:
        own_payload = approval_token(slot_id=slot.pk, user_id=world.people[column].pk, approve=True).split(":")[0]
        attempts = {f"{own_payload}:{stamp}:{signature}": 404, real[:-1]: 404, "garbage": 404, expired: 410}
        for token, status in attempts.items():
            for client in (signed_in_client(world.people[column]), Client()):
                response = getattr(client, method)(f"/mail/approval/{token}/", {"comment": "x"})

                assert_nothing_leaks(response, column)
                assert response.status_code == status, (column, token)
    assert slots_of(world) == before


def test_a_decided_slots_link_names_nothing(world, db):
    decided = Slot.objects.select_related("acted_by").get(ticket=world.ticket, step__order=1)
    url = approval_url(decided.pk, decided.acted_by.pk, approve=True)

    for method in ("get", "post"):
        response = getattr(Client(), method)(url, {"comment": ""})

        assert_nothing_leaks(response, "holder of a used link")
        assert response.status_code == 409


def test_the_control_the_approvers_own_link_shows_the_ticket(world, db):
    slot = running_user_slot(world)
    before = slots_of(world)

    body = Client().get(approval_url(slot.pk, slot.user.pk, approve=True)).content.decode()

    assert TITLE in body
    assert slots_of(world) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_unsubscribe_links(world, db, method):
    for column in COLUMNS:
        person = world.people[column]
        own = unsubscribe_token(user_id=person.pk, event_type=NotificationEvent.COMMENT_ADDED)
        for token, status in {own: 200, own[:-1]: 404, "garbage": 404}.items():
            response = getattr(Client(), method)(f"/mail/unsubscribe/{token}/")

            assert_nothing_leaks(response, column)
            assert response.status_code == status, column
