"""One access request from the first click to the end of the access it bought, through the HTTP API only:
ask, ask again (409), decide without the right (403 for a viewer, 404 for the rest, the requester included), approve,
decide again (409), see the ticket, lose it on revocation, ask again, be denied; every step on the timeline, in order,
and no ticket data shown to the requester while they cannot see it."""

import pytest
from django.contrib.auth.models import User

from permissions.tests.factories import GrantFactory
from tests.factories import UserFactory
from tickets.models import EventType
from tickets.tests.factories import RestrictedTicketFactory

pytestmark = pytest.mark.django_db

MARKER = "E2E-ACCESS-MARKER-4f0a"


def test_an_access_request_end_to_end(client_for):
    ticket = RestrictedTicketFactory(title=f"Title {MARKER}", description=f"Body {MARKER}", assignee=UserFactory())
    requester = UserFactory()
    asker = client_for(requester)
    creator, assignee = client_for(ticket.created_by), client_for(ticket.assignee)
    viewer = client_for(GrantFactory(ticket=ticket).user)
    stranger = client_for(UserFactory())
    manager_blind = client_for(UserFactory(perms=["permissions.manage_ticket_permissions"]))
    detail = f"/api/v1/tickets/{ticket.pk}/"
    ask_url = f"/api/v1/tickets/{ticket.pk}/access-requests/"

    # 1. The requester cannot see the ticket, and asks.
    assert asker.get(detail).status_code == 404
    asked = asker.post(ask_url, {"reason": "I handle this customer"}, format="json")
    assert asked.status_code == 201
    request_id = asked.json()["id"]
    approve_url, deny_url = f"/api/v1/access-requests/{request_id}/approve/", f"/api/v1/access-requests/{request_id}/deny/"

    # 2. A duplicate while the first is pending.
    duplicate = asker.post(ask_url, {"reason": "Please?"}, format="json")
    assert (duplicate.status_code, duplicate.json()["errors"][0]["code"]) == (409, "request_pending")

    # 3. Deciding without the right: a viewer who does not manage is refused; everyone blind is told nothing exists.
    assert viewer.post(approve_url, {}, format="json").status_code == 403
    assert viewer.post(deny_url, {"comment": "no"}, format="json").status_code == 403
    for blind in (asker, stranger, manager_blind):
        for response in (blind.post(approve_url, {}, format="json"), blind.post(deny_url, {"comment": "no"}, format="json")):
            assert response.status_code == 404
            assert MARKER not in response.content.decode()

    # 4. The assignee sees it among the ticket's pending requests; the creator approves.
    pending = assignee.get(f"{ask_url}?status=pending").json()["results"]
    assert [row["id"] for row in pending] == [request_id]
    approved = creator.post(approve_url, {"comment": "Welcome aboard"}, format="json")
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", ticket.created_by.pk)

    # 5. Deciding again, by anyone who may decide, is a conflict and changes nothing.
    for response in (
        assignee.post(deny_url, {"comment": "too late"}, format="json"),
        creator.post(approve_url, {}, format="json"),
    ):
        assert (response.status_code, response.json()["errors"][0]["code"]) == (409, "already_decided")

    # 6. The requester sees the ticket now, and its timeline tells the story in order.
    assert asker.get(detail).status_code == 200
    timeline = asker.get(f"{detail}timeline/?page_size=100").json()["results"]
    story = [entry["event_type"] for entry in timeline if entry["system"]]
    assert story[-3:] == [EventType.ACCESS_REQUESTED, EventType.PERMISSION_GRANTED, EventType.ACCESS_GRANTED]
    grants = creator.get(f"{detail}permissions/").json()["results"]
    [grant] = [row for row in grants if row["user"] == requester.pk]
    assert grant["created_by"] == ticket.created_by.pk
    assert asker.post(ask_url, {"reason": "again"}, format="json").json()["errors"][0]["code"] == "already_visible"

    # 7. The grant is revoked: the ticket is gone for the requester at once.
    assert creator.delete(f"{detail}permissions/{grant['id']}/").status_code == 204
    assert asker.get(detail).status_code == 404
    assert MARKER not in asker.get("/api/v1/tickets/").content.decode()

    # 8. They ask again and are denied, with a reason they can read; still nothing of the ticket.
    again = asker.post(ask_url, {"reason": "I still handle this customer"}, format="json")
    assert again.status_code == 201
    denied = assignee.post(f"/api/v1/access-requests/{again.json()['id']}/deny/", {"comment": "Need-to-know"}, format="json")
    assert denied.status_code == 200
    own = asker.get("/api/v1/access-requests/").json()["results"]
    assert {(row["id"], row["status"]) for row in own} == {(request_id, "approved"), (again.json()["id"], "denied")}
    assert {row["decision_comment"] for row in own} == {"Welcome aboard", "Need-to-know"}
    assert MARKER not in asker.get("/api/v1/access-requests/").content.decode()
    assert asker.get(detail).status_code == 404

    timeline = creator.get(f"{detail}timeline/?page_size=100").json()["results"]
    story = [entry["event_type"] for entry in timeline if entry["system"]]
    assert story[-6:] == [
        EventType.ACCESS_REQUESTED,
        EventType.PERMISSION_GRANTED,
        EventType.ACCESS_GRANTED,
        EventType.PERMISSION_REVOKED,
        EventType.ACCESS_REQUESTED,
        EventType.ACCESS_DENIED,
    ]
    actors = {entry["event_type"]: entry["created_by"] for entry in timeline if entry["system"]}
    assert actors[EventType.ACCESS_DENIED] == ticket.assignee.pk
    assert actors[EventType.PERMISSION_REVOKED] == ticket.created_by.pk


def test_approving_a_request_of_a_deactivated_requester_is_a_conflict_and_denying_still_works(client_for):
    ticket = RestrictedTicketFactory()
    asked = client_for(UserFactory()).post(
        f"/api/v1/tickets/{ticket.pk}/access-requests/", {"reason": "Need it"}, format="json"
    )
    request_id = asked.json()["id"]
    requester = User.objects.get(pk=asked.json()["requester"])
    requester.is_active = False
    requester.save(update_fields=["is_active"])
    creator = client_for(ticket.created_by)

    approved = creator.post(f"/api/v1/access-requests/{request_id}/approve/", {}, format="json")

    assert approved.status_code == 409
    assert approved.json()["errors"][0] == {
        "code": "requester_inactive",
        "detail": "The requester's account is inactive: deny the request instead.",
        "attr": None,
    }
    assert not ticket.view_permissions.exists()
    assert not ticket.notes.filter(event_type__in=[EventType.ACCESS_GRANTED, EventType.PERMISSION_GRANTED]).exists()
    denied = creator.post(f"/api/v1/access-requests/{request_id}/deny/", {"comment": "Left the company"}, format="json")
    assert (denied.status_code, denied.json()["status"]) == (200, "denied")
