"""Leak hunt (issue 9): nothing of a restricted ticket reaches anyone who may not see it, on any route.

One restricted ticket carries a unique marker in every part of it: title, description, custom fields, a comment (and
its edit), two attachments (file names and bytes), the timeline (a transition comment, an approval comment), an
access request's reason and another one's decision comment. It has a running approval process, live and revoked
grants, and notifications sent (by the real fan-out) to people who later lost their access.

Then every route of the URL conf is called by people who cannot see the ticket (COLUMNS), with path ids naming the
ticket and its objects, in JSON and in the browsable API's HTML: the marker, the title and the key appear in no body
and no header, no JSON object names the ticket, and every route addressing the ticket answers 404 (asking for access,
201, is the one exception). List routes are called with search, filter and ordering parameters naming the ticket, and
write routes with bodies naming its objects. `tests/test_route_coverage.py` keeps ROUTES complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer

from approvals import services as approval_services
from approvals.models import ApprovalProcess, ApprovalProcessStep, ApprovalProcessStepApprover
from approvals.tests.factories import DelegationFactory, template_with
from notifications.models import Notification, NotificationEvent
from notifications.tests.factories import NotificationFactory, NotificationRuleFactory
from permissions import services as permission_services
from savedviews.tests.factories import SavedViewFactory
from sla.tests.factories import BusinessCalendarFactory, SlaPolicyFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketPriority, TicketStatus, TicketVisibility
from tickets.services import attachments as attachment_services
from tickets.services import tickets as ticket_services
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

MARKER = "QZ9-LEAKHUNT-MARKER-4c7e1d"
# Searching for a proper prefix matches the hidden text, while an echo of the query never contains the full marker.
SEARCH = MARKER[:-3]
TITLE = f"Merger plan {MARKER}"
KEY = "SECRET-4711"
# Words found only in the ticket's comment and in its custom field: full-text search (tickets.search) reads both.
COMMENT_WORD = "Quokkacomment"
FIELD_WORD = "Quokkafield"
NO_SUCH_ID = 9_000_000_000_000  # a valid BIGINT that names nothing

# People who cannot see the ticket, each in a different way.
COLUMNS = [
    "unrelated",
    "revoked_grantee",  # had a user grant, revoked
    "former_grant_role_member",  # was in a role granted on the ticket, left it
    "former_approver_role_member",  # was in the role of an approver slot of the running step, left it
    "ended_delegate",  # was the delegate of an approver, the delegation ended
    "agent",  # tickets.work_on_ticket, not view_all_tickets
    "grant_manager",  # permissions.manage_ticket_permissions does not reveal tickets
    "staff_admin",  # staff with the ticket model permissions, not view_all_tickets
]
# Columns who were told about the ticket (in-app) while they could still see it.
FORMERLY_NOTIFIED = ["revoked_grantee", "former_grant_role_member", "former_approver_role_member", "ended_delegate"]

# Ids that name the restricted ticket or something of it: a route addressing one of them answers 404.
HIDDEN_IDS = frozenset({"ticket", "comment", "attachment", "slot", "grant", "access_request", "notification"})


@dataclass
class World:
    ticket: Any
    people: dict[str, Any]
    ids: dict[str, int]
    public_ticket: Any  # an internal ticket everyone sees, to aim bodies at


def upload(name: str = "notes.txt", data: bytes = b"plain text\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/plain")


def build_world() -> World:
    creator, assignee, approver, second_approver = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    grantee = UserFactory()
    approver_role, granted_role = RoleFactory(), RoleFactory()
    people = {
        "unrelated": UserFactory(),
        "revoked_grantee": UserFactory(),
        "former_grant_role_member": UserFactory(roles=[granted_role]),
        "former_approver_role_member": UserFactory(roles=[approver_role]),
        "ended_delegate": UserFactory(),
        "agent": UserFactory(perms=["tickets.work_on_ticket"]),
        "grant_manager": UserFactory(perms=["permissions.manage_ticket_permissions"]),
        "staff_admin": UserFactory(
            is_staff=True, perms=["tickets.view_ticket", "tickets.change_ticket", "tickets.delete_ticket"]
        ),
    }
    UserFactory(roles=[granted_role])  # the granted role keeps a member, so the grant still means something
    delegation = DelegationFactory(delegator=second_approver, delegate=people["ended_delegate"])
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, users=[people[name] for name in FORMERLY_NOTIFIED])

    category, label = CategoryFactory(), LabelFactory()
    ticket_template = TicketTemplateFactory(
        custom_fields_schema={"type": "object", "properties": {"cost_centre": {"type": "string"}}}
    )
    flow = template_with(("all", [approver]), ("any", [approver_role, second_approver]))
    business_calendar = BusinessCalendarFactory(is_default=True)
    sla_policy = SlaPolicyFactory(calendar=business_calendar)  # the ticket runs a (paused) service-level clock
    ticket = TicketFactory(
        key=KEY,
        title=TITLE,
        description=f"Description {MARKER}",
        visibility=TicketVisibility.RESTRICTED,
        status=TicketStatus.DRAFT,
        priority=TicketPriority.URGENT,
        created_by=creator,
        assignee=assignee,
        template=ticket_template,
        approval_template=flow,
        custom_fields={"cost_centre": f"Custom field {MARKER} {FIELD_WORD}"},
        categories=[category],
        labels=[label],
    )
    revoked = permission_services.grant_create(ticket=ticket, actor=creator, user=people["revoked_grantee"])
    grant = permission_services.grant_create(ticket=ticket, actor=creator, user=grantee)
    permission_services.grant_create(ticket=ticket, actor=creator, role=granted_role)

    # Submit (a status_change event with a comment), then step 1 approved with a comment: step 2 (role + user) runs.
    ticket_services.ticket_transition(
        ticket=ticket, actor=creator, to_status=TicketStatus.WAITING_APPROVAL, comment=f"Submitted {MARKER}"
    )
    first_slot = ApprovalProcessStepApprover.objects.get(ticket=ticket, step__order=1)
    approval_services.approval_decide(slot=first_slot, actor=approver, approve=True, comment=f"Approved {MARKER}")

    comment = ticket_services.comment_create(ticket=ticket, actor=creator, note=f"Comment {MARKER}")
    comment = ticket_services.comment_update(comment=comment, actor=creator, note=f"Comment {MARKER} (edited) {COMMENT_WORD}")
    attachment = attachment_services.attachment_create(
        actor=creator, upload=upload(f"{MARKER}.txt", f"Contents {MARKER}\n".encode()), ticket=ticket
    )
    attachment_services.attachment_create(
        actor=creator, upload=upload(f"Comment-file-{MARKER}.txt", b"more\n"), ticket=ticket, note=comment
    )
    pending = permission_services.access_request_create(ticket=ticket, requester=UserFactory(), reason=f"Reason {MARKER}")
    denied = permission_services.access_request_create(ticket=ticket, requester=UserFactory(), reason="Let me in")
    permission_services.access_request_deny(access_request=denied, actor=creator, comment=f"Denied {MARKER}")

    # Now they lose their access, each in their own way.
    permission_services.grant_revoke(grant=revoked, actor=creator)
    people["former_grant_role_member"].groups.remove(granted_role)
    people["former_approver_role_member"].groups.remove(approver_role)
    approval_services.delegation_update(delegation=delegation, actor=second_approver, data={"ends_at": timezone.now()})

    public_ticket = TicketFactory(visibility=TicketVisibility.INTERNAL, status=TicketStatus.OPEN, title="Printer jam")
    process = ApprovalProcess.objects.get(ticket=ticket)
    ids = {
        "ticket": ticket.pk,
        "comment": comment.pk,
        "attachment": attachment.pk,
        "slot": first_slot.pk,
        "grant": grant.pk,
        "access_request": pending.pk,
        "notification": NotificationFactory(recipient=grantee, ticket=ticket, actor=creator).pk,
        "process": process.pk,
        "step": ApprovalProcessStep.objects.get(process=process, order=2).pk,
        "delegation": delegation.pk,
        "creator": creator.pk,
        "assignee": assignee.pk,
        "approver_role": approver_role.pk,
        "category": category.pk,
        "label": label.pk,
        "ticket_template": ticket_template.pk,
        "approval_template": flow.pk,
        "rule": NotificationRuleFactory().pk,
        "business_calendar": business_calendar.pk,
        "sla_policy": sla_policy.pk,
        # The creator's own view, named for the ticket and filtering on its key: personal, so nobody else's.
        "saved_view": SavedViewFactory(owner=creator, name=f"View {MARKER}", filters={"search": [KEY]}).pk,
        "public_ticket": public_ticket.pk,
        "unrelated": people["unrelated"].pk,
    }
    return World(ticket=ticket, people=people, ids=ids, public_ticket=public_ticket)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction rolled back at the end; each test runs in a savepoint on top."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module", autouse=True)
def schema_built_once():
    """The schema route serves a public document (SERVE_PUBLIC): the same for every caller. It is built once for the
    module, and rendered once per media type, then served to each column, instead of rebuilt per column (seconds each,
    most of this module's time) and rendered as YAML again (a second each, half of the rest)."""
    build, built = SchemaGenerator.get_schema, {}
    render, rendered = OpenApiYamlRenderer.render, {}

    def get_schema(generator: SchemaGenerator, request: Any = None, public: bool = False) -> Any:
        if not public:
            return build(generator, request=request, public=public)
        if generator.api_version not in built:
            built[generator.api_version] = build(generator, request=request, public=public)
        return built[generator.api_version]

    def render_once(renderer: OpenApiYamlRenderer, data: Any, accepted_media_type: Any = None, context: Any = None) -> Any:
        if not any(data is schema for schema in built.values()):
            return render(renderer, data, accepted_media_type, context)
        if (id(data), accepted_media_type) not in rendered:
            rendered[id(data), accepted_media_type] = render(renderer, data, accepted_media_type, context)
        return rendered[id(data), accepted_media_type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SchemaGenerator, "get_schema", get_schema)
        patch.setattr(OpenApiYamlRenderer, "render", render_once)
        yield


# --- the routes ------------------------------------------------------------------------------------------------------

# Route name -> {URL keyword: world id it is filled with}. Every method the URL conf routes is called.
ROUTES: dict[str, dict[str, str]] = {
    "api-root": {},
    "me": {},
    "user-list": {},
    "user-detail": {"pk": "creator"},
    "role-list": {},
    "role-detail": {"pk": "approver_role"},
    "category-list": {},
    "category-detail": {"pk": "category"},
    "label-list": {},
    "label-detail": {"pk": "label"},
    "ticket-list": {},
    "ticket-detail": {"pk": "ticket"},
    "ticket-comments": {"pk": "ticket"},
    "ticket-comment": {"pk": "ticket", "note_id": "comment"},
    "ticket-comment-redact": {"pk": "ticket", "note_id": "comment"},
    "ticket-timeline": {"pk": "ticket"},
    "ticket-transition": {"pk": "ticket"},
    "ticket-bulk": {},
    "ticket-template-list": {},
    "ticket-template-detail": {"pk": "ticket_template"},
    "ticket-attachment-list": {"ticket_id": "ticket"},
    "template-attachment-list": {"template_id": "ticket_template"},
    "attachment-detail": {"pk": "attachment"},
    "attachment-download": {"pk": "attachment"},
    "ticket-approvals": {"ticket_id": "ticket"},
    "approval-template-list": {},
    "approval-template-detail": {"pk": "approval_template"},
    "approval-list": {},
    "approval-detail": {"pk": "slot"},
    "approval-approve": {"pk": "slot"},
    "approval-reject": {"pk": "slot"},
    "delegation-list": {},
    "delegation-detail": {"pk": "delegation"},
    "ticket-permission-list": {"ticket_id": "ticket"},
    "ticket-permission-detail": {"ticket_id": "ticket", "pk": "grant"},
    "ticket-access-request-list": {"ticket_id": "ticket"},
    "access-request-list": {},
    "access-request-detail": {"pk": "access_request"},
    "access-request-approve": {"pk": "access_request"},
    "access-request-deny": {"pk": "access_request"},
    "notification-list": {},
    "notification-read-all": {},
    "notification-unread-count": {},
    "notification-detail": {"pk": "notification"},
    "notification-read": {"pk": "notification"},
    "notification-rule-list": {},
    "notification-rule-detail": {"pk": "rule"},
    "notification-preferences": {},
    "business-calendar-list": {},
    "business-calendar-detail": {"pk": "business_calendar"},
    "sla-policy-list": {},
    "sla-policy-detail": {"pk": "sla_policy"},
    "sla-compliance": {},
    "saved-view-list": {},
    "saved-view-detail": {"pk": "saved_view"},
    "report-backlog": {},
    "report-created-resolved": {},
    "report-time-to-resolve": {},
    "report-approval-cycle": {},
    "report-approver-workload": {},
    "export-tickets": {},
    # An export belongs to its requester alone; the hunt asks for one numbered like the ticket (none such exists).
    "export-detail": {"pk": "ticket"},
    "export-download": {"pk": "ticket"},
    "schema": {},
    "swagger-ui": {},
    "healthz": {},
    "readyz": {},
}

# Request bodies of write routes (a callable gets the world's ids); anything not listed sends {}.
BODIES: dict[tuple[str, str], Any] = {
    ("ticket-list", "post"): {"title": "A ticket of mine"},
    ("ticket-detail", "patch"): {"title": "Renamed", "priority": "low"},
    ("ticket-comments", "post"): {"note": "Anything new?"},
    ("ticket-comment", "patch"): {"note": "Edited"},
    ("ticket-comment-redact", "post"): {"reason": "Pasted a password"},
    ("ticket-transition", "post"): {"status": "draft", "comment": "withdrawn"},
    ("ticket-bulk", "post"): lambda ids: {
        "ids": [ids["ticket"], ids["public_ticket"]],
        "action": "priority",
        "priority": "low",
    },
    ("approval-approve", "post"): {"comment": "ok"},
    ("approval-reject", "post"): {"comment": "no"},
    ("ticket-permission-list", "post"): lambda ids: {"user": ids["unrelated"]},
    ("ticket-access-request-list", "post"): {"reason": "I was sent the link"},
    ("access-request-approve", "post"): {"comment": "ok"},
    ("access-request-deny", "post"): {"comment": "no"},
    ("category-list", "post"): {"name": "New category"},
    ("label-list", "post"): {"name": "new-label", "color": "#000000"},
    ("delegation-list", "post"): lambda ids: {
        "delegate": ids["unrelated"],
        "starts_at": timezone.now().isoformat(),
        "ends_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "reason": "Holiday",
    },
}
# Write routes whose body is multipart: (route, method) -> fields (ids resolved like BODIES).
MULTIPART: dict[tuple[str, str], Any] = {
    ("ticket-attachment-list", "post"): lambda ids: {"file": upload(), "note": ids["comment"]},
    ("template-attachment-list", "post"): lambda ids: {"file": upload()},
}
# The one route where a ticket one cannot see is addressable (SPEC §7): asking for access to it.
ASK_FOR_ACCESS = ("ticket-access-request-list", "post")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    kwargs: frozenset[str]
    methods: tuple[str, ...]


def _methods(callback: Any) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:
        return tuple(sorted(actions))
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:  # a plain function view
        return ("get",)
    return tuple(m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m))


def url_conf_routes(resolver: Any = None, prefix: str = "") -> list[Route]:
    """Every route of the URL conf outside the admin, with the methods it answers."""
    routes: list[Route] = []
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":  # the back office: staff see everything by design (docs/security.md)
                continue
            if entry.namespace == "workspace":  # the web pages: hunted by workspace/tests (test_route_coverage.py)
                continue
            routes.extend(url_conf_routes(entry, pattern))
        elif isinstance(entry, URLPattern):
            kwargs = frozenset(entry.pattern.regex.groupindex)
            routes.append(Route(name=entry.name or "", pattern=pattern, kwargs=kwargs, methods=_methods(entry.callback)))
    return routes


def hunted_calls() -> list[tuple[Route, str]]:
    return [(route, method) for route in url_conf_routes() if route.name in ROUTES for method in route.methods]


def call_id(value: Any) -> str:
    if isinstance(value, Route):
        return value.name + (".fmt" if "format" in value.kwargs else "")
    return str(value)


# --- checks ----------------------------------------------------------------------------------------------------------


def text_of(response: Any) -> str:
    body = (b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content).decode(
        errors="replace"
    )
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return f"{headers}\n\n{body}"


def objects_naming(data: Any, ticket_id: int) -> list[Any]:
    """JSON objects whose `ticket` field is `ticket_id`."""
    if isinstance(data, list):
        return [found for item in data for found in objects_naming(item, ticket_id)]
    if isinstance(data, dict):
        own = [data] if data.get("ticket") == ticket_id else []
        return own + [found for value in data.values() for found in objects_naming(value, ticket_id)]
    return []


def json_of(response: Any) -> Any:
    if "json" not in response.get("Content-Type", "") or getattr(response, "streaming", False):
        return None
    return json.loads(response.content or b"null")


def assert_nothing_leaks(response: Any, world: World, *, asked: str = "") -> None:
    """Neither marker, title nor key (unless the caller typed it) in the headers or body; no object names the ticket."""
    text = text_of(response)
    assert MARKER not in text, text
    assert TITLE not in text, text
    if KEY not in asked:
        assert KEY not in text, text
    assert objects_naming(json_of(response), world.ticket.pk) == [], text


def path_of(route: Route, ids: dict[str, int]) -> str:
    kwargs = {name: ids[ROUTES[route.name][name]] for name in route.kwargs if name != "format"}
    if "format" in route.kwargs:
        kwargs["format"] = "json"
    return reverse(route.name, kwargs=kwargs)


def request(client: Any, route: Route, method: str, ids: dict[str, int], **extra: Any) -> Any:
    path = path_of(route, ids)
    if (route.name, method) in MULTIPART:
        return getattr(client, method)(path, MULTIPART[route.name, method](ids), format="multipart", **extra)
    body = BODIES.get((route.name, method), {})
    body = body(ids) if callable(body) else body
    if method == "get":
        return client.get(path, **extra)
    return getattr(client, method)(path, body, format="json", **extra)


# --- the hunt --------------------------------------------------------------------------------------------------------


def test_the_marker_is_there_for_those_who_may_see_the_ticket(world, db, client_for):
    """The control: every planted marker comes back to the creator, so its absence elsewhere means something."""
    client, ticket = client_for(world.ticket.created_by), world.ticket.pk
    expected = {
        f"/api/v1/tickets/{ticket}/": ["Merger plan", "Description", "Custom field"],
        f"/api/v1/tickets/{ticket}/timeline/?page_size=100": ["Submitted", "Approved", "Comment", "Reason", "Denied"],
        f"/api/v1/tickets/{ticket}/comments/": ["Comment"],
        f"/api/v1/tickets/{ticket}/attachments/": ["", "Comment-file-"],
        f"/api/v1/attachments/{world.ids['attachment']}/download/": ["Contents"],
        f"/api/v1/tickets/{ticket}/approvals/": ["Approved"],
        f"/api/v1/approvals/?ticket={ticket}": ["Approved"],
        f"/api/v1/tickets/{ticket}/access-requests/": ["Reason", "Denied"],
        "/api/v1/access-requests/": ["Reason", "Denied"],
        f"/api/v1/tickets/?search={COMMENT_WORD}": ["Merger plan"],
        f"/api/v1/tickets/?search={FIELD_WORD}": ["Merger plan"],
    }
    for path, prefixes in expected.items():
        response = client.get(path)

        text = text_of(response)
        assert response.status_code == 200, (path, text)
        for prefix in prefixes:
            assert f"{prefix}{MARKER}" in text or f"{prefix} {MARKER}" in text, (path, prefix)
    assert KEY in text_of(client.get(f"/api/v1/tickets/{ticket}/"))


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize(("route", "method"), hunted_calls(), ids=call_id)
def test_no_route_shows_the_ticket_to_those_who_cannot_see_it(route, method, column, world, db, client_for):
    client = client_for(world.people[column])
    addresses_ticket = any(ROUTES[route.name][name] in HIDDEN_IDS for name in route.kwargs if name != "format")

    response = request(client, route, method, world.ids)

    if (route.name, method) == ASK_FOR_ACCESS:
        assert response.status_code == 201, text_of(response)
        assert set(response.json()) >= {"id", "ticket", "reason"}
        assert response.json()["reason"] == "I was sent the link"  # the request only: nothing of the ticket
        text = text_of(response)
        assert MARKER not in text
        assert TITLE not in text
        assert KEY not in text
        return
    if addresses_ticket:
        assert response.status_code == 404, text_of(response)
        assert response.json()["errors"][0]["code"] == "not_found"
    else:
        assert response.status_code < 500, text_of(response)
        assert response.status_code != 401, text_of(response)
    assert_nothing_leaks(response, world)


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("route", sorted({route for route, _ in hunted_calls()}, key=call_id), ids=call_id)
def test_the_browsable_api_and_options_show_nothing_of_the_ticket(route, column, world, db, client_for):
    """Every route rendered as HTML (session users get the browsable API, whose filter and body forms list related
    objects by their names) and asked OPTIONS (its metadata describes the view and the body)."""
    client = client_for(world.people[column])
    html = request(client, route, "get", world.ids, HTTP_ACCEPT="text/html") if "get" in route.methods else None
    options = client.options(path_of(route, world.ids)) if route.pattern.startswith("api/v1/") else None

    for response in [html, options]:
        if response is None:
            continue
        text = text_of(response)
        assert response.status_code < 500, text
        assert MARKER not in text
        assert TITLE not in text
        assert KEY not in text


@pytest.mark.parametrize(
    "route", [route for route in url_conf_routes() if not route.pattern.startswith("api/v1/")], ids=call_id
)
def test_public_routes_answer_options_without_a_server_error(route, api_client):
    """Schema, docs and health checks hold no ticket data and need no login; a 500 is still a bug (docs/security.md)."""
    response = api_client.options(reverse(route.name))

    assert response.status_code < 500, text_of(response)


def ticket_queries(world: World) -> list[dict[str, Any]]:
    ids, created_at = world.ids, world.ticket.created_at
    fields = ["created_at", "updated_at", "due_at", "priority", "status", "title", "key", "id"]
    fields += ["first_response_due_at", "resolution_due_at"]
    return [
        {"search": SEARCH},
        {"search": KEY},
        {"search": "Merger plan"},
        {"search": "cost_centre"},
        {"search": COMMENT_WORD},
        {"search": FIELD_WORD},
        {"search": f'"{COMMENT_WORD}" or {FIELD_WORD} -nothing'},
        {"status": TicketStatus.WAITING_APPROVAL},
        {"priority": TicketPriority.URGENT},
        {"visibility": TicketVisibility.RESTRICTED},
        {"assignee": ids["assignee"]},
        {"creator": ids["creator"]},
        {"category": ids["category"]},
        {"label": ids["label"]},
        {"template": ids["ticket_template"]},
        {"created_after": (created_at - timedelta(seconds=1)).isoformat()},
        {"created_before": (created_at + timedelta(seconds=1)).isoformat()},
        {"updated_after": (created_at - timedelta(seconds=1)).isoformat()},
        {"mine": "false"},
        {"sla_status": "paused"},
        {"resolution_due_before": (created_at + timedelta(days=3650)).isoformat()},
        *({"ordering": f"{sign}{field}"} for field in fields for sign in ("", "-")),
        # Not on the allow-list: ignored, never an oracle.
        {"ordering": "description"},
        {"ordering": "custom_fields"},
        {"ordering": "created_by__password"},
        {"search": SEARCH, "visibility": "restricted", "status": "waiting_approval", "ordering": "-title"},
    ]


@pytest.mark.parametrize("column", COLUMNS)
def test_ticket_list_search_filters_and_ordering_never_find_the_ticket(column, world, db, client_for):
    client = client_for(world.people[column])
    everything = client.get("/api/v1/tickets/?page_size=100").json()
    assert world.ticket.pk not in [row["id"] for row in everything["results"]]
    assert everything["count"] == len(everything["results"]) > 0

    for params in ticket_queries(world):
        query = urlencode({**params, "page_size": 100})
        response = client.get(f"/api/v1/tickets/?{query}")

        assert response.status_code == 200, (params, text_of(response))
        listed = response.json()
        assert world.ticket.pk not in [row["id"] for row in listed["results"]], params
        assert listed["count"] == len(listed["results"]) <= everything["count"], params
        assert_nothing_leaks(response, world, asked=query)
    for term in [SEARCH, KEY, "Merger plan", COMMENT_WORD, FIELD_WORD]:
        assert client.get("/api/v1/tickets/", {"search": term}).json()["count"] == 0, term


def other_list_queries(world: World) -> list[tuple[str, dict[str, Any]]]:
    ids = world.ids
    return [
        ("/api/v1/approvals/", {"mine": "pending"}),
        ("/api/v1/approvals/", {"status": "pending"}),
        ("/api/v1/approvals/", {"status": "approved"}),
        ("/api/v1/approvals/", {"ordering": "-acted_at"}),
        ("/api/v1/approvals/", {"ordering": "comment"}),
        ("/api/v1/approvals/", {"search": SEARCH}),
        ("/api/v1/access-requests/", {"ticket": ids["ticket"]}),
        ("/api/v1/access-requests/", {"status": "pending"}),
        ("/api/v1/access-requests/", {"status": "denied"}),
        ("/api/v1/access-requests/", {"ordering": "-status"}),
        ("/api/v1/access-requests/", {"ordering": "reason"}),
        ("/api/v1/access-requests/", {"search": SEARCH}),
        ("/api/v1/notifications/", {}),
        ("/api/v1/notifications/", {"unread": "true"}),
        ("/api/v1/notifications/", {"unread": "false"}),
        ("/api/v1/notifications/", {"search": SEARCH, "ordering": "ticket__title"}),
        ("/api/v1/delegations/", {"active": "false"}),
        ("/api/v1/delegations/", {"active": "true"}),
        ("/api/v1/users/", {"search": SEARCH}),
        ("/api/v1/roles/", {"search": SEARCH}),
        ("/api/v1/ticket-templates/", {"search": SEARCH}),
        ("/api/v1/approval-templates/", {"search": SEARCH}),
        ("/api/v1/categories/", {"search": SEARCH}),
        ("/api/v1/labels/", {"search": SEARCH}),
    ]


@pytest.mark.parametrize("column", COLUMNS)
def test_other_lists_counts_and_filters_never_show_the_ticket(column, world, db, client_for):
    client = client_for(world.people[column])

    for path, params in other_list_queries(world):
        query = urlencode({**params, "page_size": 100})
        response = client.get(f"{path}?{query}")

        assert response.status_code == 200, (path, params, text_of(response))
        assert_nothing_leaks(response, world, asked=query)
    for path in ["/api/v1/approvals/", "/api/v1/access-requests/"]:
        listed = client.get(path, {"page_size": 100}).json()
        assert listed["count"] == len(listed["results"]) == 0, path


@pytest.mark.parametrize("column", FORMERLY_NOTIFIED)
def test_notifications_sent_before_access_was_lost_show_nothing_of_the_ticket(column, world, db, client_for):
    """The fan-out told them while they could see the ticket; now the inbox keeps the row but names no ticket."""
    client = client_for(world.people[column])
    mine = Notification.objects.filter(recipient=world.people[column], ticket=world.ticket)
    assert mine.exists()

    inbox = client.get("/api/v1/notifications/", {"page_size": 100})

    rows = [row for row in inbox.json()["results"] if row["id"] in set(mine.values_list("id", flat=True))]
    assert len(rows) == mine.count()
    assert all(row["ticket"] is None and row["ticket_key"] is None and row["ticket_title"] is None for row in rows)
    for row in rows:
        detail = client.get(f"/api/v1/notifications/{row['id']}/")
        assert detail.status_code == 200
        assert_nothing_leaks(detail, world)
        assert_nothing_leaks(client.post(f"/api/v1/notifications/{row['id']}/read/"), world)
    assert_nothing_leaks(inbox, world)


# --- ids in bodies and filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", COLUMNS)
def test_ids_of_hidden_objects_in_paths_of_visible_tickets_are_not_found(column, world, db, client_for):
    """A hidden comment or grant addressed through a ticket the caller can see is as missing as a made-up id."""
    client = client_for(world.people[column])
    public, ids = world.public_ticket.pk, world.ids
    calls = [
        ("patch", f"/api/v1/tickets/{public}/comments/{{}}/", {"note": "mine now"}),
        ("delete", f"/api/v1/tickets/{public}/comments/{{}}/", None),
        ("post", f"/api/v1/tickets/{public}/comments/{{}}/redact/", {"reason": "mine now"}),
        ("get", f"/api/v1/tickets/{public}/permissions/{{}}/", None),
        ("delete", f"/api/v1/tickets/{public}/permissions/{{}}/", None),
    ]
    for method, path, body in calls:
        hidden_id = ids["comment"] if "comments" in path else ids["grant"]

        response = getattr(client, method)(path.format(hidden_id), body, format="json")

        assert response.status_code == 404, (method, path, text_of(response))
        assert_nothing_leaks(response, world)
        made_up = getattr(client, method)(path.format(NO_SUCH_ID), body, format="json")
        assert (made_up.status_code, made_up.json()) == (response.status_code, response.json())


@pytest.mark.parametrize("column", COLUMNS)
def test_a_hidden_comment_named_in_an_upload_body_is_not_found(column, world, db, client_for):
    client = client_for(world.people[column])
    url = f"/api/v1/tickets/{world.public_ticket.pk}/attachments/"

    response = client.post(url, {"file": upload(), "note": world.ids["comment"]}, format="multipart")
    made_up = client.post(url, {"file": upload(), "note": NO_SUCH_ID}, format="multipart")

    assert response.status_code == 400, text_of(response)
    assert response.json()["errors"][0]["attr"] == "note"
    assert response.json() == made_up.json()
    assert_nothing_leaks(response, world)


@pytest.mark.parametrize(
    ("path", "id_name"),
    [
        ("/api/v1/approvals/?ticket={}", "ticket"),
        ("/api/v1/approvals/?process={}", "process"),
        ("/api/v1/approvals/?step={}", "step"),
        ("/api/v1/access-requests/?ticket={}", "ticket"),
        ("/api/v1/tickets/{}/", "ticket"),
        ("/api/v1/tickets/{}/access-requests/", "ticket"),
        ("/api/v1/tickets/{}/approvals/", "ticket"),
    ],
)
def test_a_filter_or_path_naming_a_hidden_object_answers_like_a_made_up_id(path, id_name, world, db, client_for):
    """Otherwise the answer tells which ids exist: an oracle for hidden tickets and their approval processes."""
    client = client_for(world.people["unrelated"])

    hidden = client.get(path.format(world.ids[id_name]))
    made_up = client.get(path.format(NO_SUCH_ID))

    assert (hidden.status_code, hidden.json()) == (made_up.status_code, made_up.json())
    assert_nothing_leaks(hidden, world)
