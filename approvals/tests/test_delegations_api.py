"""Delegations over HTTP: a user manages their own, admins see all, no self-delegation, ending early is an update."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import Delegation
from approvals.tests.factories import DelegationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/delegations/"


def window(days=3):
    now = timezone.now()
    return {"starts_at": now.isoformat(), "ends_at": (now + timedelta(days=days)).isoformat()}


def test_create_own_delegation(client_for):
    boss, deputy = UserFactory(), UserFactory()

    response = client_for(boss).post(URL, {"delegate": deputy.pk, "reason": "Holiday", **window()}, format="json")

    assert response.status_code == 201
    data = response.json()
    assert (data["delegator"], data["delegate"], data["reason"]) == (boss.pk, deputy.pk, "Holiday")
    assert Delegation.objects.get().created_by == boss


def test_self_delegation_and_bad_windows_are_refused(client_for):
    boss = UserFactory()
    now = timezone.now()

    to_self = client_for(boss).post(URL, {"delegate": boss.pk, **window()}, format="json")
    backwards = client_for(boss).post(
        URL,
        {"delegate": UserFactory().pk, "starts_at": now.isoformat(), "ends_at": (now - timedelta(hours=1)).isoformat()},
        format="json",
    )

    assert (to_self.status_code, to_self.json()["errors"][0]["code"]) == (400, "self_delegation")
    assert (backwards.status_code, backwards.json()["errors"][0]["attr"]) == (400, "ends_at")
    assert not Delegation.objects.exists()


def test_delegating_for_someone_else_needs_the_add_permission(client_for):
    boss, deputy, clerk = UserFactory(), UserFactory(), UserFactory()
    admin = UserFactory(perms=["approvals.add_delegation"])
    payload = {"delegator": boss.pk, "delegate": deputy.pk, **window()}

    assert client_for(clerk).post(URL, payload, format="json").status_code == 403
    assert client_for(admin).post(URL, payload, format="json").status_code == 201


def test_overlapping_windows_are_allowed(client_for):
    boss = UserFactory()
    client = client_for(boss)
    assert client.post(URL, {"delegate": UserFactory().pk, **window(3)}, format="json").status_code == 201
    assert client.post(URL, {"delegate": UserFactory().pk, **window(5)}, format="json").status_code == 201


def test_each_user_sees_delegations_given_or_received_and_admins_see_all(client_for):
    boss, deputy, other = UserFactory(), UserFactory(), UserFactory()
    mine = DelegationFactory(delegator=boss, delegate=deputy)
    theirs = DelegationFactory(delegator=other, delegate=UserFactory())
    auditor = UserFactory(perms=["approvals.view_delegation"])

    def ids(user):
        return sorted(d["id"] for d in client_for(user).get(URL).json()["results"])

    assert ids(boss) == [mine.pk]
    assert ids(deputy) == [mine.pk]
    assert ids(auditor) == sorted([mine.pk, theirs.pk])
    assert client_for(boss).get(f"{URL}{theirs.pk}/").status_code == 404


def test_ending_early_is_an_update_by_the_delegator_only(client_for):
    boss, deputy = UserFactory(), UserFactory()
    delegation = DelegationFactory(delegator=boss, delegate=deputy)
    now = timezone.now().isoformat()

    assert client_for(deputy).patch(f"{URL}{delegation.pk}/", {"ends_at": now}, format="json").status_code == 403
    response = client_for(boss).patch(f"{URL}{delegation.pk}/", {"ends_at": now}, format="json")

    assert response.status_code == 200
    delegation.refresh_from_db()
    assert delegation.ends_at <= timezone.now()
    active = client_for(boss).get(f"{URL}?active=true").json()
    assert active["count"] == 0


def test_delegate_and_delegator_are_not_writable_on_update(client_for):
    boss = UserFactory()
    delegation = DelegationFactory(delegator=boss)
    other = UserFactory()

    client_for(boss).patch(f"{URL}{delegation.pk}/", {"delegate": other.pk, "delegator": other.pk}, format="json")

    delegation.refresh_from_db()
    assert delegation.delegator == boss and delegation.delegate != other


def test_delete_is_soft(client_for):
    delegation = DelegationFactory()

    assert client_for(delegation.delegator).delete(f"{URL}{delegation.pk}/").status_code == 204

    assert Delegation.all_objects.get(pk=delegation.pk).is_deleted
