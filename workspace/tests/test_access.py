"""Access to restricted tickets in the workspace: the "Who has access" panel, grants, access requests and their
decisions, for the people allowed and the people refused (docs/workspace/access.md)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.template import RequestContext, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from approvals.tests.factories import ApprovalProcessStepFactory, ApprovalSlotFactory
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import EventType, TicketNote, TicketVisibility
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

SECRET = "Secret merger QX7"
MANAGE = "permissions.manage_ticket_permissions"


@pytest.fixture
def creator():
    return UserFactory(username="carol", first_name="Carol", last_name="Creator")


@pytest.fixture
def ticket(creator):
    return RestrictedTicketFactory(key="TCK-70", title=SECRET, created_by=creator, assignee=UserFactory(username="agnes"))


def grants_of(ticket) -> list[tuple[str | None, str | None]]:
    rows = TicketViewPermission.objects.filter(ticket=ticket).order_by("id")
    return [(grant.user and grant.user.username, grant.role and grant.role.name) for grant in rows]


def events(ticket) -> list[str]:
    notes = TicketNote.objects.filter(ticket=ticket, system=True).order_by("id")
    return list(notes.values_list("event_type", flat=True))


def panel(user, ticket) -> str:
    """The tag as the ticket page includes it ({% access_panel ticket %}), for `user`."""
    request = RequestFactory().get(f"/tickets/{ticket.key}/")
    request.user = user
    template = Template("{% load access_panels %}{% access_panel ticket %}")
    return template.render(RequestContext(request, {"ticket": ticket}))


def htmx(client: Client, url: str, data: dict) -> object:
    return client.post(url, data, headers={"HX-Request": "true"})


# --- the panel -------------------------------------------------------------------------------------------------------


def test_the_panel_tells_a_viewer_who_has_access_without_the_managers_tools(ticket):
    grantee, role = UserFactory(first_name="Gina", last_name="Grantee"), RoleFactory(name="Finance")
    GrantFactory(ticket=ticket, user=grantee)
    GrantFactory(ticket=ticket, role=role, user=None)
    GrantFactory(ticket=ticket, user=UserFactory(first_name="Rex", last_name="Revoked"), is_deleted=True)
    approver = UserFactory(first_name="Abe", last_name="Approver")
    step = ApprovalProcessStepFactory(process__ticket=ticket)
    ApprovalSlotFactory(step=step, user=approver)
    ApprovalSlotFactory(step=step, role=RoleFactory(name="Security"))
    AccessRequestFactory(ticket=ticket, reason="Let me read it please")

    html = panel(grantee, ticket)

    assert "Who has access" in html
    assert "Restricted" in html
    assert "Carol Creator" in html
    assert "Gina Grantee" in html and "Members of Finance" in html
    assert "Rex Revoked" not in html  # a revoked grant is gone
    assert "Abe Approver" in html and "members of Security" in html
    # Access requests and the tools are for grant managers only (the API refuses viewers the list: 403).
    assert "Let me read it please" not in html
    assert "Grant access" not in html and "Revoke" not in html


@pytest.mark.parametrize("who", ["creator", "assignee", "manager", "admin"])
def test_the_panel_of_a_grant_manager_offers_grants_revocations_and_the_pending_requests(ticket, who):
    GrantFactory(ticket=ticket)
    AccessRequestFactory(ticket=ticket, reason="Let me read it please")
    decided = AccessRequestFactory(ticket=ticket, reason="An old request", status=AccessRequestStatus.DENIED)
    manager = UserFactory(perms=[MANAGE])
    GrantFactory(ticket=ticket, user=manager)
    user = {"creator": ticket.created_by, "assignee": ticket.assignee, "manager": manager, "admin": AdminFactory()}[who]

    html = panel(user, ticket)

    assert "Grant access" in html and 'name="user"' in html and 'name="role"' in html
    assert html.count(">Revoke</button>") == 2
    assert "Let me read it please" in html and 'value="approve"' in html and 'value="deny"' in html
    assert decided.reason not in html  # pending requests only
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_permission_alone_does_not_make_a_manager_of_a_mere_viewer_of_an_internal_ticket():
    ticket = TicketFactory(visibility=TicketVisibility.INTERNAL)

    assert "Grant access" not in panel(UserFactory(), ticket)
    assert "Grant access" in panel(UserFactory(perms=[MANAGE]), ticket)
    assert "Internal" in panel(UserFactory(), ticket)


def test_the_ticket_page_includes_the_panel(page_for, ticket):
    response = page_for(ticket.created_by).get(f"/tickets/{ticket.key}/")

    assert response.status_code == 200
    assert b'id="access-panel"' in response.content


# --- grants ----------------------------------------------------------------------------------------------------------


def add_url(ticket) -> str:
    return f"/tickets/{ticket.key}/grants/"


@pytest.mark.parametrize("who", ["creator", "assignee", "manager", "admin"])
def test_a_grant_manager_grants_a_user_by_username(page_for, ticket, who):
    UserFactory(username="gina")
    manager = UserFactory(perms=[MANAGE])
    GrantFactory(ticket=ticket, user=manager)
    user = {"creator": ticket.created_by, "assignee": ticket.assignee, "manager": manager, "admin": AdminFactory()}[who]
    client = page_for(user)

    response = client.post(add_url(ticket), {"user": "gina", "role": ""})

    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.key}/"
    assert ("gina", None) in grants_of(ticket)
    assert events(ticket).count(EventType.PERMISSION_GRANTED) == 1
    assert "Access granted to" in str(next(iter(response.wsgi_request._messages)))


def test_a_role_is_granted_by_name_and_htmx_gets_the_panel_back(page_for, ticket):
    RoleFactory(name="Finance")

    response = htmx(page_for(ticket.created_by), add_url(ticket), {"role": "Finance"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card access-panel" id="access-panel"')
    assert "Access granted to the members of Finance." in html and "Members of Finance" in html
    assert grants_of(ticket) == [(None, "Finance")]


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"user": "nobody-here"}, "user", "No one has this username."),
        ({"role": "No such role"}, "role", "No role has this name."),
        ({"user": "gina", "role": "Finance"}, None, "Name exactly one of user or role."),
        ({}, None, "Name exactly one of user or role."),
        ({"user": "sleepy"}, "user", "This user is inactive."),
    ],
)
def test_a_refused_grant_shows_the_error_next_to_its_field_and_changes_nothing(page_for, ticket, data, field, error):
    UserFactory(username="gina")
    UserFactory(username="sleepy", is_active=False)
    RoleFactory(name="Finance")

    response = page_for(ticket.created_by).post(add_url(ticket), data)

    assert response.status_code == 400
    html = response.content.decode()
    if field:
        assert re.search(rf'<p class="error" id="grant_{field}_error">{re.escape(error)}</p>', html)
    else:
        assert re.search(rf'<div class="form-errors" role="alert"><p>{re.escape(error)}</p>', html)
    assert grants_of(ticket) == []
    assert events(ticket) == []


def test_granting_twice_is_a_form_error(page_for, ticket):
    gina = UserFactory(username="gina")
    GrantFactory(ticket=ticket, user=gina)

    response = page_for(ticket.created_by).post(add_url(ticket), {"user": "gina"})

    assert response.status_code == 400
    assert b"This grant already exists." in response.content
    assert grants_of(ticket) == [("gina", None)]


def test_a_refused_grant_through_htmx_is_the_panel_with_the_error(page_for, ticket):
    response = htmx(page_for(ticket.created_by), add_url(ticket), {"user": "nobody-here"})

    assert response.status_code == 200  # htmx swaps 2xx answers only
    assert b'id="grant_user_error">No one has this username.' in response.content
    assert grants_of(ticket) == []


def test_a_viewer_who_does_not_manage_grants_is_refused_before_the_form_is_read(page_for, ticket):
    viewer = UserFactory()
    GrantFactory(ticket=ticket, user=viewer)
    UserFactory(username="gina")

    response = page_for(viewer).post(add_url(ticket), {"user": "gina"})
    unknown = page_for(viewer).post(add_url(ticket), {"user": "nobody-here"})

    assert response.status_code == 403 and unknown.status_code == 403
    assert b"Only the ticket&#x27;s creator, its assignee or a permissions manager" in response.content
    assert grants_of(ticket) == [(viewer.username, None)]
    assert events(ticket) == []


@pytest.mark.parametrize("who", ["unrelated", "manager"])
def test_someone_who_cannot_see_the_ticket_gets_404(page_for, ticket, who):
    UserFactory(username="gina")
    user = UserFactory(perms=[MANAGE] if who == "manager" else [])

    response = page_for(user).post(add_url(ticket), {"user": "gina"})

    assert response.status_code == 404
    assert SECRET.encode() not in response.content
    assert grants_of(ticket) == []


def test_grants_need_the_csrf_token(ticket):
    UserFactory(username="gina")
    client = Client(enforce_csrf_checks=True)
    client.force_login(ticket.created_by)

    response = client.post(add_url(ticket), {"user": "gina"})

    assert response.status_code == 403
    assert grants_of(ticket) == []


def test_adding_a_grant_is_a_post(page_for, ticket):
    assert page_for(ticket.created_by).get(add_url(ticket)).status_code == 405


def revoke_url(ticket, grant) -> str:
    return f"/tickets/{ticket.key}/grants/{grant.pk}/revoke/"


def test_a_grant_manager_revokes_a_grant(page_for, ticket):
    grant = GrantFactory(ticket=ticket, user=UserFactory(first_name="Gina", last_name="Grantee"))

    response = page_for(ticket.assignee).post(revoke_url(ticket, grant))

    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.key}/"
    assert grants_of(ticket) == []
    assert TicketViewPermission.all_objects.get(pk=grant.pk).is_deleted
    assert events(ticket) == [EventType.PERMISSION_REVOKED]


def test_revoking_through_htmx_answers_the_panel(page_for, ticket):
    grant = GrantFactory(ticket=ticket, user=UserFactory(first_name="Gina", last_name="Grantee"))

    response = htmx(page_for(ticket.created_by), revoke_url(ticket, grant), {})

    assert response.status_code == 200
    assert b"The grant to Gina Grantee was revoked." in response.content
    assert grants_of(ticket) == []


def test_a_viewer_who_does_not_manage_grants_cannot_revoke(page_for, ticket):
    grant = GrantFactory(ticket=ticket)

    response = page_for(grant.user).post(revoke_url(ticket, grant))

    assert response.status_code == 403
    assert grants_of(ticket) == [(grant.user.username, None)]
    assert events(ticket) == []


def test_revoking_a_grant_one_cannot_reach_is_404(page_for, ticket):
    grant = GrantFactory(ticket=ticket)
    other = GrantFactory(ticket=RestrictedTicketFactory(created_by=ticket.created_by))
    revoked = GrantFactory(ticket=ticket, is_deleted=True)

    unrelated = page_for(UserFactory(perms=[MANAGE])).post(revoke_url(ticket, grant))
    wrong_ticket = page_for(ticket.created_by).post(revoke_url(ticket, other))
    gone = page_for(ticket.created_by).post(revoke_url(ticket, revoked))

    assert [unrelated.status_code, wrong_ticket.status_code, gone.status_code] == [404, 404, 404]
    assert TicketViewPermission.objects.filter(pk__in=[grant.pk, other.pk]).count() == 2
    assert events(ticket) == []


# --- deciding access requests ----------------------------------------------------------------------------------------


def decide_url(access_request) -> str:
    return f"/access-requests/{access_request.pk}/decide/"


@pytest.mark.parametrize("who", ["creator", "assignee", "manager", "admin"])
def test_a_grant_manager_approves_a_request_and_the_requester_gets_a_grant(page_for, ticket, who):
    access_request = AccessRequestFactory(ticket=ticket)
    manager = UserFactory(perms=[MANAGE])
    GrantFactory(ticket=ticket, user=manager)
    user = {"creator": ticket.created_by, "assignee": ticket.assignee, "manager": manager, "admin": AdminFactory()}[who]

    response = page_for(user).post(
        decide_url(access_request), {"decision": "approve", "comment": "", "next": f"/tickets/{ticket.key}/"}
    )

    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.key}/"
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.APPROVED and access_request.decided_by == user
    assert (access_request.requester.username, None) in grants_of(ticket)
    assert events(ticket) == [EventType.PERMISSION_GRANTED, EventType.ACCESS_GRANTED]


def test_a_denial_needs_a_comment_and_records_it(page_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket)

    response = page_for(ticket.created_by).post(decide_url(access_request), {"decision": "deny", "comment": "Not yours"})

    assert response.status_code == 302 and response["Location"] == "/access-requests/"
    access_request.refresh_from_db()
    assert (access_request.status, access_request.decision_comment) == (AccessRequestStatus.DENIED, "Not yours")
    assert grants_of(ticket) == []
    assert events(ticket) == [EventType.ACCESS_DENIED]


def test_a_denial_without_a_comment_is_refused_with_the_error_next_to_the_comment(page_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket, reason="Let me read it please")

    response = page_for(ticket.created_by).post(decide_url(access_request), {"decision": "deny", "comment": "  "})

    assert response.status_code == 400
    html = response.content.decode()
    comment_id = f"decide_{access_request.pk}_comment"
    assert f'<p class="error" id="{comment_id}_error">Say why the request is denied.</p>' in html
    assert "Let me read it please" in html  # the request again, to decide it
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.PENDING
    assert events(ticket) == []


def test_a_denial_without_a_comment_through_htmx_is_the_panel_with_the_error(page_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket)

    response = htmx(page_for(ticket.created_by), decide_url(access_request), {"decision": "deny"})

    assert response.status_code == 200
    assert f'id="decide_{access_request.pk}_comment_error">Say why the request is denied.'.encode() in response.content
    assert b'id="access-panel"' in response.content
    assert AccessRequest.objects.get(pk=access_request.pk).status == AccessRequestStatus.PENDING


def test_an_approval_through_htmx_answers_the_panel_with_the_new_grant(page_for, ticket):
    requester = UserFactory(first_name="Rita", last_name="Requester")
    access_request = AccessRequestFactory(ticket=ticket, requester=requester)

    response = htmx(page_for(ticket.created_by), decide_url(access_request), {"decision": "approve"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "The request of Rita Requester was approved" in html
    assert "No one is waiting for access." in html
    assert grants_of(ticket) == [(requester.username, None)]


def test_a_viewer_who_does_not_manage_grants_cannot_decide(page_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket, reason="Let me read it please")
    viewer = GrantFactory(ticket=ticket).user

    approve = page_for(viewer).post(decide_url(access_request), {"decision": "approve"})
    deny = page_for(viewer).post(decide_url(access_request), {"decision": "deny"})

    assert approve.status_code == deny.status_code == 403
    assert b"Let me read it please" not in deny.content
    assert AccessRequest.objects.get(pk=access_request.pk).status == AccessRequestStatus.PENDING
    assert grants_of(ticket) == [(viewer.username, None)]


@pytest.mark.parametrize("who", ["requester", "manager", "unrelated"])
def test_deciding_a_request_on_a_ticket_one_cannot_see_is_404(page_for, ticket, who):
    access_request = AccessRequestFactory(ticket=ticket)
    user = {"requester": access_request.requester, "manager": UserFactory(perms=[MANAGE]), "unrelated": UserFactory()}[who]

    response = page_for(user).post(decide_url(access_request), {"decision": "approve"})

    assert response.status_code == 404
    assert SECRET.encode() not in response.content
    assert AccessRequest.objects.get(pk=access_request.pk).status == AccessRequestStatus.PENDING
    assert events(ticket) == []


def test_a_decided_request_cannot_be_decided_again(page_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket, status=AccessRequestStatus.DENIED)

    response = page_for(ticket.created_by).post(decide_url(access_request), {"decision": "approve"})

    assert response.status_code == 409
    assert b"This request was already decided (denied)." in response.content
    assert grants_of(ticket) == []


def test_the_request_of_a_deactivated_account_cannot_be_approved(page_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket, requester=UserFactory(is_active=False))

    response = page_for(ticket.created_by).post(decide_url(access_request), {"decision": "approve"})

    assert response.status_code == 409
    assert b"deny the request instead" in response.content
    assert grants_of(ticket) == []


def test_a_decision_goes_back_only_to_this_site(page_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket)

    response = page_for(ticket.created_by).post(
        decide_url(access_request), {"decision": "approve", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/access-requests/"


def test_deciding_needs_the_csrf_token_and_a_post(page_for, ticket):
    access_request = AccessRequestFactory(ticket=ticket)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ticket.created_by)

    assert client.post(decide_url(access_request), {"decision": "approve"}).status_code == 403
    assert page_for(ticket.created_by).get(decide_url(access_request)).status_code == 405
    assert AccessRequest.objects.get(pk=access_request.pk).status == AccessRequestStatus.PENDING


# --- the Access requests page ----------------------------------------------------------------------------------------


def test_the_page_lists_what_waits_for_the_caller_and_their_own_requests(page_for, ticket, creator):
    waiting = AccessRequestFactory(ticket=ticket, reason="Let me read it please")
    AccessRequestFactory(ticket=ticket, reason="Already answered", status=AccessRequestStatus.APPROVED)
    elsewhere = AccessRequestFactory(reason="Someone else's ticket")
    hidden = RestrictedTicketFactory(key="TCK-99", title="Hidden plans")
    AccessRequestFactory(
        ticket=hidden,
        requester=creator,
        reason="I was told to review it",
        status=AccessRequestStatus.DENIED,
        decided_by=hidden.created_by,
        decision_comment="Ask your manager",
    )

    response = page_for(creator).get("/access-requests/")

    assert response.status_code == 200
    html = response.content.decode()
    assert waiting.reason in html and SECRET in html  # the decider sees the ticket
    assert f'action="/access-requests/{waiting.pk}/decide/"' in html
    assert "Already answered" not in html and elsewhere.reason not in html
    # Their own request: their reason, the answer and its comment; nothing of a ticket they cannot see, not its key.
    assert "I was told to review it" in html and "Ask your manager" in html and "Denied" in html
    assert "A ticket you cannot see" in html
    assert "Hidden plans" not in html and "TCK-99" not in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]


def test_an_approved_request_names_the_ticket_now_seen(page_for):
    requester = UserFactory()
    ticket = RestrictedTicketFactory(key="TCK-98", title="Now visible")
    AccessRequestFactory(ticket=ticket, requester=requester, status=AccessRequestStatus.APPROVED)
    GrantFactory(ticket=ticket, user=requester)

    html = page_for(requester).get("/access-requests/").content.decode()

    assert 'href="/tickets/TCK-98/"' in html and "Now visible" in html and "Approved" in html


def test_a_permissions_manager_decides_only_on_tickets_they_can_see(page_for):
    manager = UserFactory(perms=[MANAGE])
    seen = AccessRequestFactory(ticket=TicketFactory(visibility=TicketVisibility.INTERNAL), reason="Visible one")
    unseen = AccessRequestFactory(reason="Invisible one")

    html = page_for(manager).get("/access-requests/").content.decode()

    assert seen.reason in html and unseen.reason not in html


def test_an_empty_page_says_what_to_do_next(page_for):
    html = page_for(UserFactory()).get("/access-requests/").content.decode()

    assert "Nothing waits for your decision." in html
    assert "You have not asked for access to any ticket." in html


def test_the_page_asks_a_stranger_to_sign_in():
    response = Client().get("/access-requests/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_each_list_pages_on_its_own_and_keeps_the_others_page(page_for, creator):
    for _ in range(27):
        AccessRequestFactory(ticket=RestrictedTicketFactory(created_by=creator))
    AccessRequestFactory(requester=creator, reason="My one request")

    html = page_for(creator).get("/access-requests/?page=2&mine_page=1").content.decode()

    assert html.count('value="approve"') == 2
    assert "Page 2 of 2 · 27 in all" in html
    assert 'href="?page=1&amp;mine_page=1"' in html
    assert "My one request" in html


def test_the_page_runs_the_same_queries_at_n_and_10n_requests(page_for, creator):
    client = page_for(creator)

    def queries(n: int) -> int:
        AccessRequest.objects.all().delete()
        for _ in range(n):
            AccessRequestFactory(ticket=RestrictedTicketFactory(created_by=creator))
            AccessRequestFactory(requester=creator, status=AccessRequestStatus.DENIED, decided_by=UserFactory())
        client.get("/access-requests/")  # the session and the user's permissions are warm, as on every page after the first
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/access-requests/")
        assert response.status_code == 200
        assert response.content.decode().count('value="approve"') == min(n, 25)
        return len(captured)

    assert queries(3) == queries(30)
