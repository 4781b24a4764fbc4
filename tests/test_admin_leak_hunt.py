"""Leak hunt in the back office (issue 12, item 1): a limited staff member finds no restricted ticket they may not see.

The persona is staff with every add/change/delete/view permission of every app, but neither `tickets.view_all_tickets`
nor superuser. Restricted tickets they may not see carry HIDDEN in their key and title, and so do the rows hanging off
them (comment, attachment file name, approval process and slots, grant, access request, notification). A restricted
ticket granted to the persona carries SHOWN the same way: the control, so that the hunt can fail.

The walk is derived from the admin site, so a new admin model or admin URL is hunted without being listed here: every
registered model's URL patterns (changelist with search, "deleted" filter, facets and raw-id popup parameters; add form
prefilled with hidden ids; change, history, delete and custom object pages for every row), the autocomplete view for
every relation of every model, the view-on-site shortcut for every row, and the site and app indexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test import Client, override_settings
from django.urls import URLPattern

from approvals.models import ApprovalProcess
from approvals.tests.factories import template_with
from mailgate.models import InboundMessage
from mailgate.tests.factories import InboundMessageFactory
from notifications.models import Notification
from notifications.tests.factories import NotificationFactory
from permissions import services as permission_services
from permissions.models import AccessRequest, TicketViewPermission
from tests.factories import RoleFactory, UserFactory
from tickets.models import Attachment, Ticket, TicketNote, TicketStatus, TicketVisibility
from tickets.services import attachments as attachment_services
from tickets.services import tickets as ticket_services
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

HIDDEN = "ADMHIDE-7e41c9"
SHOWN = "ADMSHOW-2b8d05"
# The search term is a proper prefix: it finds the marked rows, while its echo in the search box never holds a marker.
HIDDEN_SEARCH, SHOWN_SEARCH = HIDDEN[:-2], SHOWN[:-2]

# Models whose rows name a ticket; the world plants one row of each on every marked ticket.
TICKET_ROWS = (Ticket, TicketNote, Attachment, ApprovalProcess, TicketViewPermission, AccessRequest, Notification)
# Models whose rows name a ticket and whose admin only supervisors open (superusers, holders of view_all_tickets): the
# persona is refused even the rows of the ticket it may see. Planted and hunted like the others.
SUPERVISOR_ONLY_ROWS = (InboundMessage,)

# Routes of the admin site itself (not of a model admin) that show no data, each with the reason.
EXEMPT_SITE_ROUTES = {
    "login": "a login form",
    "logout": "ends the session",
    "password_change": "the staff member's own password form",
    "password_change_done": "a confirmation text",
    "jsi18n": "the admin's JavaScript translations",
}


@dataclass
class World:
    staff: Any
    hidden: dict[type[models.Model], Any]  # one hidden row per model of TICKET_ROWS
    shown: dict[type[models.Model], Any]


def plant(marker: str, suffix: str, *, creator: Any, role: Any, flow: Any) -> dict[type[models.Model], Any]:
    """A restricted ticket marked in key and title, submitted for approval, with a row of every TICKET_ROWS model; the
    role holds one of its approval slots and a grant on it too, so that the role's delete page has rows to name."""
    ticket = TicketFactory(
        key=f"{marker}-{suffix}",
        title=f"Title {marker}",
        description=f"Description {marker}",
        visibility=TicketVisibility.RESTRICTED,
        status=TicketStatus.DRAFT,
        created_by=creator,
        approval_template=flow,
    )
    ticket_services.ticket_transition(
        ticket=ticket, actor=creator, to_status=TicketStatus.WAITING_APPROVAL, comment=f"Submitted {marker}"
    )
    upload = SimpleUploadedFile(f"{marker}.txt", f"Contents {marker}\n".encode(), content_type="text/plain")
    permission_services.grant_create(ticket=ticket, actor=creator, role=role)
    return {
        Ticket: ticket,
        TicketNote: ticket_services.comment_create(ticket=ticket, actor=creator, note=f"Comment {marker}"),
        Attachment: attachment_services.attachment_create(actor=creator, upload=upload, ticket=ticket),
        ApprovalProcess: ApprovalProcess.objects.get(ticket=ticket),
        TicketViewPermission: permission_services.grant_create(ticket=ticket, actor=creator, user=UserFactory()),
        AccessRequest: permission_services.access_request_create(
            ticket=ticket, requester=UserFactory(), reason=f"Reason {marker}"
        ),
        Notification: NotificationFactory(ticket=ticket, actor=creator, message=f"Message {marker}"),
        InboundMessage: InboundMessageFactory(ticket=ticket, user=creator),  # its subject names the key and title
    }


def limited_staff() -> Any:
    perms = Permission.objects.filter(codename__regex=r"^(add|change|delete|view)_").exclude(codename="view_all_tickets")
    return UserFactory(
        is_staff=True, perms=[f"{perm.content_type.app_label}.{perm.codename}" for perm in perms.select_related("content_type")]
    )


def build_world() -> World:
    creator, approver, role = UserFactory(), UserFactory(), RoleFactory()
    UserFactory(roles=[role])  # someone fills the role's slot, so the ticket can be submitted
    flow = template_with(("all", [approver, role]))
    staff = limited_staff()
    hidden = plant(HIDDEN, "A", creator=creator, role=role, flow=flow)
    # Two more hidden tickets: a draft naming the approval template (its delete page lists such tickets) and a deleted
    # one (the admin lists deleted rows on demand).
    TicketFactory(key=f"{HIDDEN}-B", title=f"Draft {HIDDEN}", visibility=TicketVisibility.RESTRICTED, approval_template=flow)
    deleted = TicketFactory(key=f"{HIDDEN}-C", title=f"Deleted {HIDDEN}", visibility=TicketVisibility.RESTRICTED)
    ticket_services.ticket_delete(ticket=deleted, actor=deleted.created_by)
    shown = plant(SHOWN, "A", creator=creator, role=role, flow=flow)
    permission_services.grant_create(ticket=shown[Ticket], actor=creator, user=staff)
    return World(staff=staff, hidden=hidden, shown=shown)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction rolled back at the end; each test runs in a savepoint on top."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def staff(world, db) -> Client:
    client = Client()
    client.force_login(world.staff)
    return client


# --- what the admin site offers ----------------------------------------------------------------------------------------


def label(model: type[models.Model]) -> str:
    return model._meta.label


ADMIN_MODELS = sorted(admin.site._registry, key=label)


def admin_url(model: type[models.Model], route: str = "") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{route}"


def model_routes(model: type[models.Model]) -> list[str]:
    """The URL patterns of the model's admin (changelist, add, change, history, delete and any custom page)."""
    return [str(pattern.pattern) for pattern in admin.site._registry[model].get_urls()]


def every_row(model: type[models.Model]) -> list[int]:
    manager = getattr(model, "all_objects", model._default_manager)
    return list(manager.order_by("pk").values_list("pk", flat=True))


def relations(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.get_fields() if field.is_relation and field.concrete]


def prefill(model: type[models.Model], rows: dict[type[models.Model], Any]) -> dict[str, int]:
    """Add-form GET parameters naming a planted row in every relation that can point at one."""
    return {field.name: rows[field.related_model].pk for field in relations(model) if field.related_model in rows}


def autocomplete_urls(model: type[models.Model], term: str) -> list[str]:
    """The autocomplete view for every relation of `model` (the view itself decides which are allowed)."""
    meta = model._meta
    return [
        "/admin/autocomplete/?"
        + urlencode({"app_label": meta.app_label, "model_name": meta.model_name, "field_name": field.name, "term": term})
        for field in relations(model)
    ]


def changelist_queries(search: str) -> list[dict[str, str]]:
    return [
        {},
        {"deleted": "all"},
        {"deleted": "yes"},
        {"q": search},
        {"q": search, "deleted": "all"},
        {"_facets": "1", "deleted": "all"},
        {"_to_field": "id", "_popup": "1"},  # the raw-id lookup popup
        {"_to_field": "id", "_popup": "1", "q": search},
    ]


def pages_of(model: type[models.Model], world: World) -> list[str]:
    """Every admin page of `model`: list routes with their parameters, object routes for every row of the table."""
    pages = []
    for route in model_routes(model):
        if "<" in route:
            pages += [admin_url(model, re.sub(r"<[^>]+>", str(pk), route)) for pk in every_row(model)]
        elif route == "":
            pages += [admin_url(model) + "?" + urlencode(query) for query in changelist_queries(HIDDEN_SEARCH)]
        elif route == "add/":
            pages += [admin_url(model, route), admin_url(model, route) + "?" + urlencode(prefill(model, world.hidden))]
        else:
            pages.append(admin_url(model, route))
    content_type = ContentType.objects.get_for_model(model).pk
    pages += [f"/admin/r/{content_type}/{pk}/" for pk in every_row(model)]  # the view-on-site shortcut
    pages += ["/admin/", f"/admin/{model._meta.app_label}/"]  # the site index and the app index
    return pages + autocomplete_urls(model, HIDDEN_SEARCH) + autocomplete_urls(model, "")


def text_of(response: Any) -> str:
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return "\n".join(f"{name}: {value}" for name, value in response.items()) + "\n\n" + body.decode(errors="replace")


def around(text: str, marker: str) -> str:
    at = text.find(marker)
    return text[max(at - 300, 0) : at + 100]


# --- the hunt ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=label)
def test_no_admin_page_shows_a_ticket_the_staff_member_may_not_see(model, world, staff):
    pages = pages_of(model, world)
    assert any("/change/" in page for page in pages) or not every_row(model), pages  # the walk reached the rows

    for page in pages:
        response = staff.get(page, follow=True)

        text = text_of(response)
        assert response.status_code < 500, (page, text)
        assert HIDDEN not in text, (page, around(text, HIDDEN))


@pytest.mark.parametrize("model", TICKET_ROWS, ids=label)
def test_the_same_pages_show_the_ticket_the_staff_member_may_see(model, world, staff):
    """The control: the walk's pages do name a visible ticket, so the hidden marker's absence means something."""
    shown = world.shown[model]
    pages = [
        admin_url(model) + "?" + urlencode({"q": SHOWN_SEARCH}),
        admin_url(model, f"{shown.pk}/change/"),
    ]
    if prefill(model, world.shown) and staff.get(admin_url(model, "add/")).status_code == 200:
        pages.append(admin_url(model, "add/") + "?" + urlencode(prefill(model, world.shown)))
    pages += [url for url in autocomplete_urls(model, SHOWN_SEARCH) if "field_name=ticket&" in url]

    for page in pages:
        response = staff.get(page)

        assert response.status_code == 200, page
        assert SHOWN in text_of(response), page
    assert SHOWN not in text_of(staff.get(admin_url(model, f"{world.hidden[model].pk}/change/"), follow=True))


def test_the_grant_form_and_its_ticket_lookups_name_only_visible_tickets(world, staff):
    hidden, shown = world.hidden[Ticket], world.shown[Ticket]
    lookup = {"app_label": "permissions", "model_name": "ticketviewpermission", "field_name": "ticket", "term": "Title"}

    refused = staff.get(admin_url(TicketViewPermission, "add/"), {"ticket": hidden.pk})
    allowed = staff.get(admin_url(TicketViewPermission, "add/"), {"ticket": shown.pk})
    popup = staff.get(admin_url(Ticket), {"_to_field": "id", "_popup": "1", "q": "Title"})
    found = staff.get("/admin/autocomplete/", lookup)

    assert refused.status_code == allowed.status_code == 200
    assert HIDDEN not in refused.text
    assert refused.context["adminform"].form.initial["ticket_key"] == ""
    assert f'value="{shown.key}"' in allowed.text
    assert [row.pk for row in popup.context["cl"].result_list] == [shown.pk]
    assert [row["id"] for row in found.json()["results"]] == [str(shown.pk)]


def test_every_admin_route_is_walked_or_exempt_with_a_reason():
    """Model admins' routes are walked by construction (pages_of); the site's own routes must be walked or exempt."""
    walked = {"index", "app_list", "autocomplete", "view_on_site"}
    site_routes = {entry.name for entry in admin.site.get_urls() if isinstance(entry, URLPattern) and entry.name}

    assert site_routes == walked | set(EXEMPT_SITE_ROUTES)
    assert all(reason.strip() for reason in EXEMPT_SITE_ROUTES.values())


def test_every_admin_model_that_names_a_ticket_has_planted_rows():
    """A new admin model with a ticket relation must get rows in plant(), or its pages would be hunted empty."""
    naming = {
        label(model)
        for model in ADMIN_MODELS
        if model is Ticket or any(field.related_model is Ticket for field in relations(model))
    }

    assert naming == {label(model) for model in TICKET_ROWS + SUPERVISOR_ONLY_ROWS}


@pytest.mark.parametrize("model", SUPERVISOR_ONLY_ROWS, ids=label)
def test_supervisor_only_admins_refuse_the_persona_and_show_a_supervisor_every_row(model, world, staff):
    view = f"{model._meta.app_label}.view_{model._meta.model_name}"
    supervisor = Client()
    supervisor.force_login(UserFactory(is_staff=True, perms=[view, "tickets.view_all_tickets"]))
    pages = [admin_url(model), admin_url(model, f"{world.shown[model].pk}/change/")]

    for page in pages:
        assert staff.get(page).status_code == 403, page
        response = supervisor.get(page)
        assert response.status_code == 200, page
        assert SHOWN in text_of(response), page
    assert HIDDEN in text_of(supervisor.get(admin_url(model, f"{world.hidden[model].pk}/change/")))


def test_the_grant_form_refuses_a_hidden_key_as_it_refuses_a_missing_one(world, staff):
    """Posting a hidden ticket's key (guessed or known) learns nothing: the same error as a key that does not exist."""
    hidden = world.hidden[Ticket]
    grants = TicketViewPermission.all_objects.count()

    answers = {
        key: staff.post(admin_url(TicketViewPermission, "add/"), {"ticket_key": key, "username": world.staff.username})
        for key in (hidden.key, "NOPE-1")
    }

    errors = {key: response.context["adminform"].form.errors.as_data() for key, response in answers.items()}
    assert {key: [str(error.message) for error in found["ticket_key"]] for key, found in errors.items()} == {
        key: [f"No ticket you can see has the key {key}."] for key in answers
    }
    assert all(list(found) == ["ticket_key"] for found in errors.values())
    assert hidden.title not in answers[hidden.key].text
    assert TicketViewPermission.all_objects.count() == grants
