"""Access requests end to end: ask, list, approve (a grant), deny (a comment); the refusals; the timeline."""

import pytest

from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import UserFactory
from tickets.models import EventType, TicketNote
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

MARKER = "ZZ-SECRET-ACCESS-9d2f"


def ticket_url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/access-requests/"


def decide_url(access_request, verb: str) -> str:
    return f"/api/v1/access-requests/{access_request.pk}/{verb}/"


@pytest.fixture
def ticket():
    return RestrictedTicketFactory(title=f"Title {MARKER}", description=f"Body {MARKER}", assignee=UserFactory())


def event_types(ticket) -> list[str]:
    return list(TicketNote.objects.filter(ticket=ticket, system=True).order_by("id").values_list("event_type", flat=True))


def test_full_flow_request_then_approve(client_for, ticket):
    requester = UserFactory()
    asker = client_for(requester)

    created = asker.post(ticket_url(ticket), {"reason": "I am the customer's account manager"}, format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "pending" and body["ticket"] == ticket.pk and body["requester"] == requester.pk
    assert body["decided_by"] is None and body["decision_comment"] == ""
    assert MARKER not in created.content.decode()
    assert event_types(ticket) == [EventType.ACCESS_REQUESTED]
    requested = TicketNote.objects.get(ticket=ticket, event_type=EventType.ACCESS_REQUESTED)
    assert requested.created_by == requester
    assert requested.event_details == {
        "access_request": body["id"],
        "requester": requester.pk,
        "reason": "I am the customer's account manager",
    }

    # The requester sees their own request (no ticket data), the creator sees it on the ticket and in their inbox.
    own = asker.get("/api/v1/access-requests/")
    assert [r["id"] for r in own.json()["results"]] == [body["id"]]
    assert MARKER not in own.content.decode()
    assert asker.get(f"/api/v1/access-requests/{body['id']}/").status_code == 200
    creator = client_for(ticket.created_by)
    assert [r["id"] for r in creator.get(ticket_url(ticket)).json()["results"]] == [body["id"]]
    assert [r["id"] for r in creator.get("/api/v1/access-requests/?status=pending").json()["results"]] == [body["id"]]

    access_request = AccessRequest.objects.get(pk=body["id"])
    approved = creator.post(decide_url(access_request, "approve"), {"comment": "Welcome"}, format="json")

    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == ticket.created_by.pk
    assert approved.json()["decision_comment"] == "Welcome"
    grant = TicketViewPermission.objects.get(ticket=ticket, user=requester)
    assert grant.created_by == ticket.created_by
    assert event_types(ticket) == [EventType.ACCESS_REQUESTED, EventType.PERMISSION_GRANTED, EventType.ACCESS_GRANTED]
    access_granted = TicketNote.objects.get(ticket=ticket, event_type=EventType.ACCESS_GRANTED)
    assert access_granted.created_by == ticket.created_by
    assert access_granted.event_details == {
        "access_request": access_request.pk,
        "requester": requester.pk,
        "comment": "Welcome",
        "grant": grant.pk,
    }
    # Now they can see the ticket's grants; asking again is refused because they already see it.
    assert asker.get(f"/api/v1/tickets/{ticket.pk}/permissions/").status_code == 200
    again = asker.post(ticket_url(ticket), {"reason": "again"}, format="json")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "already_visible"


def test_deny_records_the_comment_and_grants_nothing(client_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket)

    response = client_for(ticket.assignee).post(decide_url(access_request, "deny"), {"comment": "Need-to-know only"})

    assert response.status_code == 200
    assert response.json()["status"] == "denied" and response.json()["decision_comment"] == "Need-to-know only"
    assert not TicketViewPermission.objects.exists()
    [denied] = TicketNote.objects.filter(ticket=ticket, event_type=EventType.ACCESS_DENIED)
    assert denied.created_by == ticket.assignee
    assert denied.event_details["comment"] == "Need-to-know only" and denied.event_details["grant"] is None
    # The requester sees the outcome of their request, still nothing of the ticket.
    own = client_for(access_request.requester).get(f"/api/v1/access-requests/{access_request.pk}/")
    assert own.json()["status"] == "denied" and MARKER not in own.content.decode()
    # Once decided, a new request may be made.
    retry = client_for(access_request.requester).post(ticket_url(ticket), {"reason": "Please reconsider"}, format="json")
    assert retry.status_code == 201


@pytest.mark.parametrize("body", [{}, {"comment": "   "}])
def test_deny_needs_a_comment(client_for, ticket, body):
    access_request = AccessRequestFactory(ticket=ticket)
    response = client_for(ticket.created_by).post(decide_url(access_request, "deny"), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "comment"
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.PENDING


def test_second_pending_request_is_409(client_for, ticket):
    requester = UserFactory()
    client = client_for(requester)
    assert client.post(ticket_url(ticket), {"reason": "one"}, format="json").status_code == 201
    second = client.post(ticket_url(ticket), {"reason": "two"}, format="json")
    assert second.status_code == 409
    assert second.json()["errors"][0]["code"] == "request_pending"
    assert AccessRequest.objects.filter(ticket=ticket, requester=requester).count() == 1


@pytest.mark.parametrize("who", ["creator", "unrelated_on_internal"])
def test_request_by_someone_who_already_sees_the_ticket_is_409(client_for, ticket, who):
    internal = TicketFactory()
    target, user = {"creator": (ticket, ticket.created_by), "unrelated_on_internal": (internal, UserFactory())}[who]
    response = client_for(user).post(ticket_url(target), {"reason": "x"}, format="json")
    assert response.status_code == 409
    assert not AccessRequest.objects.exists()


def test_request_on_missing_or_deleted_ticket_is_404(client_for, ticket):
    client = client_for(UserFactory())
    ticket.soft_delete(actor=None)
    assert client.post(ticket_url(ticket), {"reason": "x"}, format="json").status_code == 404
    assert client.post("/api/v1/tickets/999999/access-requests/", {"reason": "x"}, format="json").status_code == 404
    assert client.post("/api/v1/tickets/nope/access-requests/", {"reason": "x"}, format="json").status_code == 404


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_request_needs_a_reason(client_for, ticket, body):
    response = client_for(UserFactory()).post(ticket_url(ticket), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "reason"


def test_request_refuses_read_only_fields(client_for, ticket):
    requester = UserFactory()
    payload = {"reason": "x", "status": "approved", "requester": ticket.created_by.pk, "decided_by": requester.pk}
    response = client_for(requester).post(ticket_url(ticket), payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "read_only"
    assert not AccessRequest.objects.exists()


def test_anonymous_is_401(api_client, ticket):
    assert api_client.post(ticket_url(ticket), {"reason": "x"}, format="json").status_code == 401
    assert api_client.get("/api/v1/access-requests/").status_code == 401


def test_deciding_twice_is_409(client_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket)
    creator = client_for(ticket.created_by)
    assert creator.post(decide_url(access_request, "approve"), {}, format="json").status_code == 200
    for verb, body in [("approve", {}), ("deny", {"comment": "changed my mind"})]:
        response = creator.post(decide_url(access_request, verb), body, format="json")
        assert response.status_code == 409
        assert response.json()["errors"][0]["code"] == "already_decided"
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.APPROVED
    assert TicketViewPermission.objects.filter(ticket=ticket).count() == 1
    assert TicketNote.objects.filter(ticket=ticket, event_type=EventType.ACCESS_GRANTED).count() == 1


def test_deciding_without_right(client_for, ticket):
    """A viewer who does not manage grants: 403. Someone who cannot see the ticket (the requester too): 404."""
    access_request = AccessRequestFactory(ticket=ticket)
    viewer = GrantFactory(ticket=ticket).user
    manager_blind = UserFactory(perms=["permissions.manage_ticket_permissions"])
    for verb, body in [("approve", {}), ("deny", {"comment": "no"})]:
        assert client_for(viewer).post(decide_url(access_request, verb), body, format="json").status_code == 403
        for blind in [UserFactory(), manager_blind, access_request.requester]:
            response = client_for(blind).post(decide_url(access_request, verb), body, format="json")
            assert response.status_code == 404
            assert MARKER not in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.PENDING
    # A viewer who does not manage grants does not see the ticket's requests either.
    assert client_for(viewer).get(ticket_url(ticket)).status_code == 403
    assert client_for(UserFactory()).get(ticket_url(ticket)).status_code == 404


def test_permission_manager_who_sees_the_ticket_decides(client_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket)
    manager = UserFactory(perms=["permissions.manage_ticket_permissions", "tickets.view_all_tickets"])
    inbox = client_for(manager).get("/api/v1/access-requests/")
    assert [r["id"] for r in inbox.json()["results"]] == [access_request.pk]
    response = client_for(manager).post(decide_url(access_request, "approve"), {}, format="json")
    assert response.status_code == 200


def test_approve_when_a_grant_already_exists_reuses_it(client_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket)
    grant = GrantFactory(ticket=ticket, user=access_request.requester)
    response = client_for(ticket.created_by).post(decide_url(access_request, "approve"), {}, format="json")
    assert response.status_code == 200
    assert TicketViewPermission.objects.get(ticket=ticket) == grant
    assert not TicketNote.objects.filter(ticket=ticket, event_type=EventType.PERMISSION_GRANTED).exists()
    event = TicketNote.objects.get(ticket=ticket, event_type=EventType.ACCESS_GRANTED)
    assert event.event_details["grant"] == grant.pk


def test_inbox_lists_own_and_decidable_only(client_for, ticket):
    mine = AccessRequestFactory(ticket=ticket)
    others_on_ticket = AccessRequestFactory(ticket=ticket)
    elsewhere = AccessRequestFactory()
    deleted_ticket = RestrictedTicketFactory(created_by=ticket.created_by)
    on_deleted = AccessRequestFactory(ticket=deleted_ticket)
    deleted_ticket.soft_delete(actor=None)

    def ids(user, query=""):
        return {r["id"] for r in client_for(user).get(f"/api/v1/access-requests/{query}").json()["results"]}

    assert ids(mine.requester) == {mine.pk}
    assert ids(ticket.created_by) == {mine.pk, others_on_ticket.pk}
    assert ids(ticket.assignee) == {mine.pk, others_on_ticket.pk}
    assert ids(UserFactory()) == set()
    assert ids(GrantFactory(ticket=ticket).user) == set()
    assert on_deleted.pk not in ids(on_deleted.requester)
    assert ids(elsewhere.ticket.created_by) == {elsewhere.pk}
    assert ids(ticket.created_by, f"?ticket={elsewhere.ticket_id}") == set()
    assert ids(ticket.created_by, "?status=approved") == set()
    # Someone else's request is not readable by id.
    response = client_for(mine.requester).get(f"/api/v1/access-requests/{others_on_ticket.pk}/")
    assert response.status_code == 404


def test_bad_status_filter_is_400(client_for):
    assert client_for(UserFactory()).get("/api/v1/access-requests/?status=bogus").status_code == 400


@pytest.mark.parametrize("rows", [3, 6])
def test_inbox_query_count_is_constant(client_for, django_assert_num_queries, ticket, rows):
    AccessRequestFactory.create_batch(rows, ticket=ticket)
    for other in RestrictedTicketFactory.create_batch(rows, created_by=ticket.created_by):
        AccessRequestFactory(ticket=other)
    client = client_for(ticket.created_by)
    # auth perms (one statement), count, page
    with django_assert_num_queries(3):
        response = client.get("/api/v1/access-requests/")
    assert response.json()["count"] == 2 * rows
