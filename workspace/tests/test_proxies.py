""" "My proxies": the delegations I gave and received with their state, naming a proxy (errors next to the fields),
and ending one now; only the delegator ends a delegation, and nobody sees anyone else's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import Delegation
from approvals.tests.factories import DelegationFactory
from tests.factories import UserFactory
from workspace.tests.test_approvals import named

pytestmark = pytest.mark.django_db

URL = "/proxies/"


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def people():
    return {name: named(name) for name in ("frank", "dave", "olga", "erin")}


def window(days_from: int, days_to: int) -> dict:
    now = timezone.now()
    return {"starts_at": now + timedelta(days=days_from), "ends_at": now + timedelta(days=days_to)}


def end_url(delegation) -> str:
    return f"/proxies/{delegation.pk}/end/"


def test_the_page_lists_what_i_gave_and_received_with_its_state(page_for, people):
    running = DelegationFactory(delegator=people["frank"], delegate=people["dave"], reason="Holiday in Crete")
    upcoming = DelegationFactory(delegator=people["frank"], delegate=people["olga"], **window(3, 5))
    ended = DelegationFactory(delegator=people["frank"], delegate=people["dave"], **window(-5, -3))
    received = DelegationFactory(delegator=people["erin"], delegate=people["frank"])
    others = DelegationFactory(delegator=people["erin"], delegate=people["olga"], reason="Not frank's business")

    body = page_for(people["frank"]).get(URL).content.decode()

    for delegation in (running, upcoming, ended, received):
        assert f'id="delegation-{delegation.pk}"' in body
    assert f'id="delegation-{others.pk}"' not in body
    assert "Not frank&#x27;s business" not in body
    assert "Holiday in Crete" in body
    assert body.count(">In force</span>") == 2
    assert body.count(">Upcoming</span>") == 1
    assert body.count(">Ended</span>") == 1
    assert f'action="{end_url(running)}"' in body
    assert f'action="{end_url(upcoming)}"' in body
    assert f'action="{end_url(ended)}"' not in body
    assert f'action="{end_url(received)}"' not in body  # only the delegator ends it


def test_an_administrator_sees_only_their_own_delegations_here(page_for, people):
    admin = UserFactory(perms=["approvals.view_delegation", "approvals.change_delegation"])
    others = DelegationFactory(delegator=people["erin"], delegate=people["olga"])

    body = page_for(admin).get(URL).content.decode()

    assert f'id="delegation-{others.pk}"' not in body
    assert "You have no delegations" in body
    assert page_for(admin).post(end_url(others)).status_code == 404


def test_a_deactivated_delegators_delegation_is_paused(page_for, people):
    DelegationFactory(delegator=people["erin"], delegate=people["frank"])
    people["erin"].is_active = False
    people["erin"].save(update_fields=["is_active"])

    body = page_for(people["frank"]).get(URL).content.decode()

    assert "Paused: delegator inactive" in body


def test_name_a_proxy(page_for, people):
    starts, ends = timezone.now() + timedelta(days=1), timezone.now() + timedelta(days=8)
    data = {"delegate": "dave", "starts_at": local(starts), "ends_at": local(ends), "reason": "Parental leave"}

    response = page_for(people["frank"]).post(URL, data, follow=True)

    delegation = Delegation.objects.get(delegator=people["frank"])
    assert response.redirect_chain == [(URL, 302)]
    assert "Dave may approve for you" in response.content.decode()
    assert (delegation.delegate, delegation.reason, delegation.created_by) == (
        people["dave"],
        "Parental leave",
        people["frank"],
    )
    assert local(delegation.starts_at) == local(starts)
    assert ">Upcoming</span>" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"delegate": "frank"}, "delegate", "Nobody delegates to themselves."),
        ({"delegate": "nobody-here"}, "delegate", "No active user has this username."),
        ({"ends_at": "past"}, "ends_at", "The window must end after it starts."),
        ({"starts_at": ""}, "starts_at", "This field is required."),
    ],
)
def test_refusals_are_shown_next_to_their_field_and_nothing_is_created(page_for, people, data, field, message):
    now = timezone.now()
    body = {"delegate": "dave", "starts_at": local(now), "ends_at": local(now + timedelta(days=2)), **data}
    if body["ends_at"] == "past":
        body["ends_at"] = local(now - timedelta(days=2))

    response = page_for(people["frank"]).post(URL, body)

    assert response.status_code == 200
    assert f'<p class="error" id="id_{field}_error">{message}</p>' in response.content.decode()
    assert not Delegation.all_objects.exists()


def test_an_inactive_delegate_is_refused(page_for, people):
    people["dave"].is_active = False
    people["dave"].save(update_fields=["is_active"])
    now = timezone.now()

    response = page_for(people["frank"]).post(
        URL, {"delegate": "dave", "starts_at": local(now), "ends_at": local(now + timedelta(days=1))}
    )

    assert "No active user has this username." in response.content.decode()
    assert not Delegation.all_objects.exists()


def test_end_a_running_delegation_now(page_for, people):
    delegation = DelegationFactory(delegator=people["frank"], delegate=people["dave"])

    response = page_for(people["frank"]).post(end_url(delegation), follow=True)

    delegation.refresh_from_db()
    assert response.redirect_chain == [(URL, 302)]
    assert "Dave no longer approves for you." in response.content.decode()
    assert delegation.ends_at <= timezone.now()
    assert not Delegation.objects.in_force().filter(pk=delegation.pk).exists()


def test_withdraw_an_upcoming_delegation(page_for, people):
    delegation = DelegationFactory(delegator=people["frank"], delegate=people["dave"], **window(2, 4))

    response = page_for(people["frank"]).post(end_url(delegation), follow=True)

    assert "The delegation to Dave is withdrawn." in response.content.decode()
    assert Delegation.all_objects.get(pk=delegation.pk).is_deleted


def test_an_ended_delegation_cannot_end_again(page_for, people):
    delegation = DelegationFactory(delegator=people["frank"], delegate=people["dave"], **window(-4, -2))
    before = delegation.ends_at

    response = page_for(people["frank"]).post(end_url(delegation))

    delegation.refresh_from_db()
    assert response.status_code == 409
    assert delegation.ends_at == before


def test_the_delegate_cannot_end_it_and_a_stranger_does_not_find_it(page_for, people):
    delegation = DelegationFactory(delegator=people["frank"], delegate=people["dave"])

    by_delegate = page_for(people["dave"]).post(end_url(delegation))
    by_stranger = page_for(people["olga"]).post(end_url(delegation))

    assert by_delegate.status_code == 403
    assert by_stranger.status_code == 404
    assert Delegation.objects.in_force().filter(pk=delegation.pk).exists()


def test_ending_is_a_post_with_the_csrf_token(page_for, people):
    delegation = DelegationFactory(delegator=people["frank"], delegate=people["dave"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["frank"])

    assert page_for(people["frank"]).get(end_url(delegation)).status_code == 405
    assert client.post(end_url(delegation)).status_code == 403
    assert client.post(URL, {"delegate": "dave"}).status_code == 403
    assert Delegation.objects.in_force().filter(pk=delegation.pk).count() == 1


def test_the_page_runs_the_same_queries_for_n_and_10n_delegations(page_for, people):
    def add(n: int) -> None:
        for index in range(n):
            DelegationFactory(delegator=people["frank"], delegate=people["dave"], **window(index - 3, index - 1))
            DelegationFactory(delegator=people["erin"], delegate=people["frank"])

    page = page_for(people["frank"])
    counts = []
    for n in (1, 9):
        add(n)
        with CaptureQueriesContext(connection) as queries:
            assert page.get(URL).status_code == 200
        counts.append(len(queries))

    assert counts == [6, 6]  # session, user with permissions (may they see every delegation), nav (2), count, page
