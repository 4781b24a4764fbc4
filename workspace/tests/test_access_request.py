"""A person without access at a ticket's address: the page reveals nothing of the ticket (the same bytes as for no
ticket at all) and lets them ask for access; asking reveals no more than the API's POST tickets/{id}/access-requests/
(docs/workspace/access.md)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from permissions.models import AccessRequest, AccessRequestStatus
from permissions.tests.factories import AccessRequestFactory
from tests.factories import UserFactory
from tickets.models import EventType, TicketNote, TicketVisibility
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

SECRET = "Secret merger QX7"


@pytest.fixture
def ticket():
    return RestrictedTicketFactory(key="TCK-70", title=SECRET, description=f"About the {SECRET}")


@pytest.fixture
def outsider():
    return UserFactory()


def same_bytes(response) -> str:
    """The page with its per-request values (the CSRF token, the CSP nonce) blanked out."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', html)
    return re.sub(r' nonce="[^"]*"', "", html)


def requests_of(user) -> list[str]:
    return list(AccessRequest.objects.filter(requester=user).order_by("id").values_list("status", flat=True))


def events(ticket) -> list[str]:
    notes = TicketNote.objects.filter(ticket=ticket, system=True).order_by("id")
    return list(notes.values_list("event_type", flat=True))


# --- the page at the address -----------------------------------------------------------------------------------------


def test_a_hidden_ticket_and_no_ticket_give_the_same_page_with_the_request_form(page_for, ticket, outsider):
    deleted = RestrictedTicketFactory(key="TCK-71", is_deleted=True)
    client = page_for(outsider)

    hidden = client.get("/tickets/TCK-70/")
    missing = client.get("/tickets/TCK-404/")
    gone = client.get(f"/tickets/{deleted.key}/")

    assert hidden.status_code == missing.status_code == gone.status_code == 404
    assert same_bytes(hidden) == same_bytes(missing) == same_bytes(gone)
    html = hidden.content.decode()
    assert "Request access" in html and 'name="reason"' in html and 'action="request-access/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert SECRET not in html and "TCK-70" not in html  # not even the key typed in the address
    assert hidden["Cache-Control"].startswith("max-age=0") or "no-store" in hidden["Cache-Control"]


def test_the_page_is_the_same_for_a_permissions_manager_who_cannot_see_the_ticket(page_for, ticket):
    client = page_for(UserFactory(perms=["permissions.manage_ticket_permissions"]))

    assert same_bytes(client.get("/tickets/TCK-70/")) == same_bytes(client.get("/tickets/TCK-404/"))


def test_other_addresses_under_a_hidden_ticket_keep_the_plain_not_found_page(page_for, ticket, outsider):
    response = page_for(outsider).post("/tickets/TCK-70/grants/", {"user": outsider.username})

    assert response.status_code == 404
    assert b"Request access" not in response.content and SECRET.encode() not in response.content


# --- asking ----------------------------------------------------------------------------------------------------------


def ask(client: Client, key: str, reason: str = "My manager sent me the link") -> object:
    return client.post(f"/tickets/{key}/request-access/", {"reason": reason})


def test_asking_makes_a_request_on_the_timeline_and_shows_it_under_access_requests(page_for, ticket, outsider):
    client = page_for(outsider)

    response = ask(client, "TCK-70")

    assert response.status_code == 302 and response["Location"] == "/access-requests/"
    assert requests_of(outsider) == [AccessRequestStatus.PENDING]
    access_request = AccessRequest.objects.get(requester=outsider)
    assert (access_request.ticket, access_request.reason) == (ticket, "My manager sent me the link")
    assert events(ticket) == [EventType.ACCESS_REQUESTED]
    page = client.get(response["Location"]).content.decode()
    assert "Your request for access was sent." in page
    assert "My manager sent me the link" in page and "Pending" in page
    assert SECRET not in page and "TCK-70" not in page


def test_a_second_pending_request_is_refused(page_for, ticket, outsider):
    client = page_for(outsider)
    ask(client, "TCK-70")

    again = ask(client, "TCK-70", "Please, it is urgent")

    assert again.status_code == 409
    assert b"You already have a pending request for this ticket." in again.content
    assert SECRET.encode() not in again.content
    assert requests_of(outsider) == [AccessRequestStatus.PENDING]
    assert events(ticket) == [EventType.ACCESS_REQUESTED]


def test_after_a_denial_one_may_ask_again(page_for, ticket, outsider):
    AccessRequestFactory(ticket=ticket, requester=outsider, status=AccessRequestStatus.DENIED)

    assert ask(page_for(outsider), "TCK-70").status_code == 302
    assert requests_of(outsider) == [AccessRequestStatus.DENIED, AccessRequestStatus.PENDING]


def test_a_blank_reason_is_refused_with_the_error_next_to_the_field(page_for, ticket, outsider):
    response = ask(page_for(outsider), "TCK-70", "   ")

    assert response.status_code == 400
    html = response.content.decode()
    assert '<p class="error" id="id_reason_error">This field is required.</p>' in html
    assert SECRET not in html and "TCK-70" not in html
    assert '<form method="post">' in html  # back to the address it was posted to
    assert requests_of(outsider) == []
    assert events(ticket) == []


def test_asking_about_no_ticket_is_404(page_for, outsider):
    deleted = RestrictedTicketFactory(key="TCK-71", is_deleted=True)

    assert ask(page_for(outsider), "TCK-404").status_code == 404
    assert ask(page_for(outsider), deleted.key).status_code == 404
    assert requests_of(outsider) == []


def test_someone_who_sees_the_ticket_is_told_so(page_for, outsider):
    internal = TicketFactory(key="TCK-72", visibility=TicketVisibility.INTERNAL)

    response = ask(page_for(outsider), internal.key)

    assert response.status_code == 409
    assert b"You can already see this ticket." in response.content
    assert requests_of(outsider) == []


def test_asking_needs_the_csrf_token_a_post_and_a_signed_in_person(ticket, outsider, page_for):
    client = Client(enforce_csrf_checks=True)
    client.force_login(outsider)

    assert ask(client, "TCK-70").status_code == 403
    assert page_for(outsider).get("/tickets/TCK-70/request-access/").status_code == 405
    assert ask(Client(), "TCK-70")["Location"].startswith("/login/")
    assert AccessRequest.objects.count() == 0


# The API's answers (docs/permissions.md) and the workspace's, case by case: the same information about existence.
CASES = {
    "no such ticket": ("missing", "reason", 404, 404),
    "deleted ticket": ("deleted", "reason", 404, 404),
    "hidden ticket": ("hidden", "reason", 201, 302),
    "hidden ticket, blank reason": ("hidden", "", 400, 400),
    "no such ticket, blank reason": ("missing", "", 404, 404),
    "a pending request already": ("pending", "reason", 409, 409),
    "a ticket one sees already": ("internal", "reason", 409, 409),
}


@pytest.mark.parametrize("case", CASES)
def test_asking_answers_like_the_api(page_for, client_for, case):
    target, reason, api_status, page_status = CASES[case]
    api_user, page_user = UserFactory(), UserFactory()
    ticket = {
        "missing": None,
        "deleted": RestrictedTicketFactory(is_deleted=True),
        "hidden": RestrictedTicketFactory(),
        "pending": RestrictedTicketFactory(),
        "internal": TicketFactory(visibility=TicketVisibility.INTERNAL),
    }[target]
    if target == "pending":
        AccessRequestFactory(ticket=ticket, requester=api_user)
        AccessRequestFactory(ticket=ticket, requester=page_user)
    ticket_id, key = (ticket.pk, ticket.key) if ticket else (9_000_000, "TCK-9000000")

    api = client_for(api_user).post(f"/api/v1/tickets/{ticket_id}/access-requests/", {"reason": reason}, format="json")
    page = ask(page_for(page_user), key, reason)

    assert (api.status_code, page.status_code) == (api_status, page_status)
    assert len(requests_of(api_user)) == len(requests_of(page_user))
