"""The delegations API is scoped to the caller: their own (given or received) only, everything for admins holding the
matching model permission; no self-delegation by any route; a delegation is never transitive."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import Delegation
from approvals.tests.factories import DelegationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/delegations/"


def window() -> dict[str, str]:
    now = timezone.now()
    return {"starts_at": now.isoformat(), "ends_at": (now + timedelta(days=2)).isoformat()}


def test_someone_elses_delegation_does_not_exist_for_a_stranger(client_for):
    delegation = DelegationFactory(reason="Parental leave")
    stranger = client_for(UserFactory())
    url = f"{URL}{delegation.pk}/"

    responses = [
        stranger.get(url),
        stranger.patch(url, {"ends_at": timezone.now().isoformat()}, format="json"),
        stranger.delete(url),
    ]

    assert [response.status_code for response in responses] == [404, 404, 404]
    assert all(response.json()["errors"][0]["code"] == "not_found" for response in responses)
    assert stranger.get(URL).json()["count"] == 0
    assert "Parental leave" not in stranger.get(URL).content.decode()
    delegation.refresh_from_db()
    assert not delegation.is_deleted and delegation.ends_at > timezone.now()


def test_the_delegate_reads_but_neither_changes_nor_deletes(client_for):
    delegation = DelegationFactory()
    deputy = client_for(delegation.delegate)
    url = f"{URL}{delegation.pk}/"

    assert deputy.get(url).status_code == 200
    assert deputy.patch(url, {"reason": "mine now"}, format="json").status_code == 403
    assert deputy.delete(url).status_code == 403
    delegation.refresh_from_db()
    assert (delegation.reason, delegation.is_deleted) == ("Holiday", False)


def test_admin_permissions_are_separate_for_reading_changing_and_deleting(client_for):
    delegation = DelegationFactory()
    url = f"{URL}{delegation.pk}/"
    viewer = client_for(UserFactory(perms=["approvals.view_delegation"]))
    editor = client_for(UserFactory(perms=["approvals.view_delegation", "approvals.change_delegation"]))
    remover = client_for(UserFactory(perms=["approvals.view_delegation", "approvals.delete_delegation"]))
    blind_editor = client_for(UserFactory(perms=["approvals.change_delegation"]))

    assert viewer.get(url).status_code == 200
    assert viewer.patch(url, {"reason": "x"}, format="json").status_code == 403
    assert viewer.delete(url).status_code == 403
    assert blind_editor.patch(url, {"reason": "x"}, format="json").status_code == 404  # cannot see it: it is not there
    response = editor.patch(url, {"reason": "Extended by HR"}, format="json")
    assert response.status_code == 200 and response.json()["reason"] == "Extended by HR"
    assert remover.delete(url).status_code == 204
    assert Delegation.all_objects.get(pk=delegation.pk).is_deleted


def test_filters_stay_inside_the_callers_scope(client_for):
    boss, deputy = UserFactory(), UserFactory()
    mine = DelegationFactory(delegator=boss, delegate=deputy)
    DelegationFactory(delegate=deputy)  # somebody else lends to the same deputy: the boss does not see that one
    DelegationFactory()

    def ids(query: str) -> list[int]:
        return [row["id"] for row in client_for(boss).get(f"{URL}{query}").json()["results"]]

    assert ids("") == [mine.pk]
    assert ids(f"?delegate={deputy.pk}") == [mine.pk]
    assert ids("?active=true") == [mine.pk]
    assert ids("?active=false") == []


def test_nobody_delegates_to_themselves_not_even_through_an_admin(client_for):
    boss = UserFactory()
    admin = UserFactory(perms=["approvals.add_delegation"])

    response = client_for(admin).post(URL, {"delegator": boss.pk, "delegate": boss.pk, **window()}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "self_delegation"
    assert not Delegation.objects.exists()


def test_admin_may_delegate_for_someone_else_and_the_audit_names_the_admin(client_for):
    boss, deputy = UserFactory(), UserFactory()
    admin = UserFactory(perms=["approvals.add_delegation"])

    response = client_for(admin).post(URL, {"delegator": boss.pk, "delegate": deputy.pk, **window()}, format="json")

    assert response.status_code == 201
    delegation = Delegation.objects.get()
    assert (delegation.delegator, delegation.delegate, delegation.created_by) == (boss, deputy, admin)


def test_inactive_or_unknown_delegates_are_refused(client_for):
    boss = UserFactory()
    client = client_for(boss)

    inactive = client.post(URL, {"delegate": UserFactory(is_active=False).pk, **window()}, format="json")
    unknown = client.post(URL, {"delegate": 99999999, **window()}, format="json")

    assert (inactive.status_code, inactive.json()["errors"][0]["attr"]) == (400, "delegate")
    assert (unknown.status_code, unknown.json()["errors"][0]["attr"]) == (400, "delegate")
    assert not Delegation.objects.exists()


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {}, format="json").status_code == 401
