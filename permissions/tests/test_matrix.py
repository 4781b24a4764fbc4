"""The authorization matrix (issue 4, "Done means").

Every ticket endpoint and sub-resource is a row of ENDPOINTS; every kind of person is a column of ACTORS; each is tried
against an internal and a restricted ticket. Expected: 401 for anonymous, 404 for anyone who cannot see the ticket
(the one exception, asking for access, is 201), and each row's own answer for those who can. No response refused to
someone (any non-2xx, and anything answered to a non-viewer) may carry the restricted ticket's data: a unique marker
is planted in its title, description, comment and attachment name and must never come back.

Every row must name a routed path: a row whose route was renamed or removed fails (it would otherwise pass as a 404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import Resolver404, resolve

from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketStatus, TicketVisibility
from tickets.tests.factories import AttachmentFactory, CommentFactory, TicketFactory

pytestmark = pytest.mark.django_db

MARKER = "QX7-RESTRICTED-MARKER-5b1e0c"

ACTORS = [
    "anonymous",
    "unrelated",
    "creator",
    "assignee",
    "approver",
    "role_member",
    "delegate",
    "user_grantee",
    "role_grantee",
    "revoked_grantee",
    "view_all",
]
KINDS = [TicketVisibility.INTERNAL, TicketVisibility.RESTRICTED]
MANAGERS = ("creator", "assignee")
# Anything but "not found", "unauthenticated" or a server error: the row's business rules are another issue's tests.
VISIBLE = "visible"


@dataclass
class World:
    """One ticket and one person per column, each related to that ticket as the column says (and to nothing else)."""

    ticket: Any
    marker: str
    actors: dict[str, Any]
    ids: dict[str, int]

    def sees(self, actor: str) -> bool:
        if actor == "anonymous":
            return False
        return self.ticket.visibility == TicketVisibility.INTERNAL or actor not in ("unrelated", "revoked_grantee")

    def seen_by_stranger(self, actor: str) -> bool:
        """Whether a person of another world's column sees this world's ticket."""
        if actor == "anonymous":
            return False
        return self.ticket.visibility == TicketVisibility.INTERNAL or actor == "view_all"


def build_world(kind: str) -> World:
    marker = f"{kind.upper()}-{MARKER}"
    creator, assignee, approver = UserFactory(), UserFactory(), UserFactory()
    ticket = TicketFactory(
        title=f"Title {marker}",
        description=f"Description {marker}",
        visibility=kind,
        status=TicketStatus.OPEN,
        created_by=creator,
        assignee=assignee,
    )
    slot = ApprovalSlotFactory(step__process__ticket=ticket, user=approver)
    slot_role = RoleFactory()
    ApprovalSlotFactory(step=slot.step, user=None, role=slot_role)
    grant_role = RoleFactory()
    revoked = GrantFactory(ticket=ticket)
    revoked.soft_delete(actor=creator)
    actors = {
        "anonymous": None,
        "unrelated": UserFactory(),
        "creator": creator,
        "assignee": assignee,
        "approver": approver,
        "role_member": UserFactory(roles=[slot_role]),
        "delegate": DelegationFactory(delegator=approver).delegate,
        "user_grantee": GrantFactory(ticket=ticket).user,
        "role_grantee": UserFactory(roles=[grant_role]),
        "revoked_grantee": revoked.user,
        "view_all": UserFactory(perms=["tickets.view_all_tickets"]),
    }
    GrantFactory(ticket=ticket, user=None, role=grant_role)
    ids = {
        "ticket": ticket.pk,
        "slot": slot.pk,
        "grant": GrantFactory(ticket=ticket).pk,  # a bystander's grant, the one the revoke row revokes
        "note": CommentFactory(ticket=ticket, note=f"Comment {marker}", created_by=creator).pk,
        "attachment": AttachmentFactory(ticket=ticket, file_name=f"{marker}.txt", created_by=creator).pk,
        "access_request": AccessRequestFactory(ticket=ticket, reason="Please").pk,
        "newcomer": UserFactory().pk,
    }
    return World(ticket=ticket, marker=marker, actors=actors, ids=ids)


def hidden_markers(worlds: dict[str, World], kind: str, actor: str) -> list[str]:
    """The markers of every ticket the person in column `actor` of world `kind` must not see."""
    return [
        world.marker
        for other_kind, world in worlds.items()
        if not (world.sees(actor) if other_kind == kind else world.seen_by_stranger(actor))
    ]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    body: Any = None
    viewers: int | str = 200  # the answer for someone who can see the ticket ...
    per_actor: dict[str, int | str] = field(default_factory=dict)  # ... unless named here
    hidden: int = 404  # the answer for someone who cannot
    multipart: bool = False

    def expected(self, world: World, actor: str) -> int | str:
        if actor == "anonymous":
            return 401
        if not world.sees(actor):
            return self.hidden
        return self.per_actor.get(actor, self.viewers)

    def url(self, ids: dict[str, int]) -> str:
        return "/api/v1/" + self.path.format(**ids)


def only(actors: tuple[str, ...], code: int) -> dict[str, int | str]:
    return dict.fromkeys(actors, code)


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.txt", b"plain text\n", content_type="text/plain")


ENDPOINTS = [
    Endpoint("ticket-detail", "get", "tickets/{ticket}/"),
    Endpoint("ticket-update", "patch", "tickets/{ticket}/", {"priority": "high"}, 403, only(("assignee",), 200)),
    Endpoint("ticket-delete", "delete", "tickets/{ticket}/", None, 403, only(("creator",), 409)),
    Endpoint("ticket-transition", "post", "tickets/{ticket}/transition/", {"status": "in_progress"}, 403, {"assignee": 200}),
    Endpoint("ticket-timeline", "get", "tickets/{ticket}/timeline/"),
    Endpoint("comments-list", "get", "tickets/{ticket}/comments/"),
    Endpoint("comments-create", "post", "tickets/{ticket}/comments/", {"note": "Looking into it"}, 201),
    Endpoint("comment-edit", "patch", "tickets/{ticket}/comments/{note}/", {"note": "edited"}, 403, {"creator": 200}),
    Endpoint("comment-delete", "delete", "tickets/{ticket}/comments/{note}/", None, 403, {"creator": 204}),
    Endpoint("attachments-list", "get", "tickets/{ticket}/attachments/"),
    Endpoint("attachments-upload", "post", "tickets/{ticket}/attachments/", "upload", 201, multipart=True),
    Endpoint("attachment-detail", "get", "attachments/{attachment}/"),
    Endpoint("attachment-download", "get", "attachments/{attachment}/download/"),
    Endpoint("attachment-delete", "delete", "attachments/{attachment}/", None, 403, {"creator": 204}),
    Endpoint("ticket-approvals", "get", "tickets/{ticket}/approvals/"),
    Endpoint("approval-slot", "get", "approvals/{slot}/"),
    Endpoint("approval-slot-approve", "post", "approvals/{slot}/approve/", {"comment": "ok"}, VISIBLE),
    Endpoint("permissions-list", "get", "tickets/{ticket}/permissions/"),
    Endpoint("permissions-create", "post", "tickets/{ticket}/permissions/", {"user": "{newcomer}"}, 403, only(MANAGERS, 201)),
    Endpoint("permission-detail", "get", "tickets/{ticket}/permissions/{grant}/"),
    Endpoint("permission-revoke", "delete", "tickets/{ticket}/permissions/{grant}/", None, 403, only(MANAGERS, 204)),
    Endpoint("access-requests-list", "get", "tickets/{ticket}/access-requests/", None, 403, only(MANAGERS, 200)),
    Endpoint("access-requests-create", "post", "tickets/{ticket}/access-requests/", {"reason": "I need it"}, 409, hidden=201),
    Endpoint("access-request-detail", "get", "access-requests/{access_request}/", None, 404, only(MANAGERS, 200)),
    Endpoint("access-request-approve", "post", "access-requests/{access_request}/approve/", {}, 403, only(MANAGERS, 200)),
    Endpoint(
        "access-request-deny", "post", "access-requests/{access_request}/deny/", {"comment": "no"}, 403, only(MANAGERS, 200)
    ),
]


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    """Both worlds, built once for the module inside a transaction that is rolled back at the end.

    Each test runs in its own savepoint on top (pytest-django's `db`), so what a request changes is undone after it.
    """
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), django_db_blocker.unblock(), transaction.atomic():
        yield {kind: build_world(kind) for kind in KINDS}
        transaction.set_rollback(True)


def client_as(actor: Any, api_client: Any, client_for: Any) -> Any:
    return api_client if actor is None else client_for(actor)


def body_of(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def call(client: Any, endpoint: Endpoint, world: World) -> Any:
    url = endpoint.url(world.ids)
    if endpoint.multipart:
        return getattr(client, endpoint.method)(url, {"file": upload()}, format="multipart")
    body = endpoint.body
    if isinstance(body, dict):
        body = {key: (world.ids[value[1:-1]] if value in ("{newcomer}",) else value) for key, value in body.items()}
    return getattr(client, endpoint.method)(url, body, format="json")


def is_routed(path: str) -> bool:
    try:
        resolve(path.format_map({"ticket": 1, "slot": 1, "grant": 1, "note": 1, "attachment": 1, "access_request": 1}))
    except Resolver404:
        return False
    return True


def require_route(path: str) -> None:
    if not is_routed(path):
        pytest.fail(f"{path} is not routed: fix the row or the URL conf")


def test_every_row_names_a_routed_path():
    """A row whose route was renamed or removed fails here (never skipped, never passing as an expected 404)."""
    unrouted = [f"{e.method.upper()} {e.path}" for e in ENDPOINTS if not is_routed("/api/v1/" + e.path)]

    assert unrouted == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_authorization_matrix(endpoint, actor, kind, worlds, db, api_client, client_for):
    require_route("/api/v1/" + endpoint.path)
    world = worlds[kind]
    expected = endpoint.expected(world, actor)

    response = call(client_as(world.actors[actor], api_client, client_for), endpoint, world)

    text = body_of(response)
    if expected == VISIBLE:
        assert response.status_code not in (401, 404) and response.status_code < 500, text
    else:
        assert response.status_code == expected, text
    for marker in hidden_markers(worlds, kind, actor):
        assert marker not in text
    if response.status_code >= 400:
        assert world.marker not in text
        assert response.json()["errors"], text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("actor", ACTORS)
def test_lists_counts_and_search(actor, kind, worlds, db, api_client, client_for):
    """The ticket list, its count, search, filters and the slot list show a ticket exactly to those who see it."""
    world = worlds[kind]
    client = client_as(world.actors[actor], api_client, client_for)
    if actor == "anonymous":
        assert client.get("/api/v1/tickets/").status_code == 401
        return
    visible = {
        other.ticket.pk
        for other_kind, other in worlds.items()
        if (other.sees(actor) if other_kind == kind else other.seen_by_stranger(actor))
    }
    hidden = hidden_markers(worlds, kind, actor)

    listed = client.get("/api/v1/tickets/?page_size=100")
    assert {row["id"] for row in listed.json()["results"]} == visible
    assert listed.json()["count"] == len(visible)
    for query in ["ordering=title", "ordering=-priority", "status=open", "priority=medium"]:
        response = client.get(f"/api/v1/tickets/?{query}")
        assert response.status_code == 200, (query, response.content)
        assert response.json()["count"] == len(visible), query
        assert not any(marker in body_of(response) for marker in hidden), query
    for other in worlds.values():
        for query in [f"search={other.marker}", f"visibility={other.ticket.visibility}", f"search={other.ticket.key}"]:
            response = client.get(f"/api/v1/tickets/?{query}")
            assert response.json()["count"] == (1 if other.ticket.pk in visible else 0), query
    slots = client.get("/api/v1/approvals/?page_size=100")
    assert {row["ticket"] for row in slots.json()["results"]} == visible
    for path in ["/api/v1/approvals/", "/api/v1/access-requests/", "/api/v1/notifications/", "/api/v1/delegations/"]:
        text = body_of(client.get(path))
        assert not any(marker in text for marker in hidden), path
