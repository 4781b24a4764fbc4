"""Resource limits (ticketsite/limits.py): every free-text field has a documented length, custom fields a size, the
request body a size, and JSON that would break the server (nested 100,000 deep, numbers beyond a float) is a 400.
Over a limit: 400 in the error shape, nothing stored; at the limit: accepted."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalProcessStepApprover, ApprovalTemplate, Delegation
from approvals.tests.factories import template_with
from permissions.models import AccessRequest
from permissions.tests.factories import AccessRequestFactory
from tests.factories import AdminFactory, UserFactory
from tickets.models import Attachment, Category, Label, Ticket, TicketTemplate
from tickets.tests.factories import CategoryFactory, RestrictedTicketFactory, TicketFactory, TicketTemplateFactory
from ticketsite import limits

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@dataclass
class TextCase:
    """One free-text field: `send(client_for, text)` makes the request; `stored(text)` says whether the text landed."""

    name: str
    attr: str
    limit: int
    send: Callable[[Any, str], Any]
    stored: Callable[[str], bool]


def _ticket_create(client_for, text):
    return client_for(UserFactory()).post(TICKETS, {"title": "Printer", "description": text})


def _ticket_patch(client_for, text):
    ticket = TicketFactory()
    return client_for(ticket.created_by).patch(f"{TICKETS}{ticket.pk}/", {"description": text})


def _template_create(field):
    def send(client_for, text):
        writer = UserFactory(perms=["tickets.add_tickettemplate"])
        return client_for(writer).post("/api/v1/ticket-templates/", {"name": f"Template {len(text)}", field: text})

    return send


def _classification_create(path, model_name):
    def send(client_for, text):
        writer = UserFactory(perms=[f"tickets.add_{model_name}"])
        return client_for(writer).post(path, {"name": f"{model_name} {len(text)}", "description": text})

    return send


def _approval_template_create(client_for, text):
    writer = UserFactory(perms=["approvals.add_approvaltemplate"])
    body = {
        "name": f"Flow {len(text)}",
        "description": text,
        "steps": [{"name": "Boss", "order": 1, "approvers": [{"user": UserFactory().pk}]}],
    }
    return client_for(writer).post("/api/v1/approval-templates/", body, format="json")


def _delegation_create(client_for, text):
    now = timezone.now()
    body = {
        "delegate": UserFactory().pk,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
        "reason": text,
    }
    return client_for(UserFactory()).post("/api/v1/delegations/", body)


def _approval_decision(client_for, text):
    approver = UserFactory(username="the-approver")
    ticket = TicketFactory(approval_template=template_with(("all", [approver])))
    assert (
        client_for(ticket.created_by).post(f"{TICKETS}{ticket.pk}/transition/", {"status": "waiting_approval"}).status_code
        == 200
    )
    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket, user=approver)
    return client_for(approver).post(f"/api/v1/approvals/{slot.pk}/approve/", {"comment": text})


def _access_request(client_for, text):
    ticket = RestrictedTicketFactory()
    return client_for(UserFactory()).post(f"{TICKETS}{ticket.pk}/access-requests/", {"reason": text})


def _access_decision(client_for, text):
    access_request = AccessRequestFactory()
    return client_for(access_request.ticket.created_by).post(
        f"/api/v1/access-requests/{access_request.pk}/approve/", {"comment": text}
    )


def _stored(model: type[models.Model], field: str) -> Callable[[str], bool]:
    return lambda text: model._default_manager.filter(**{field: text}).exists()


TEXT_CASES = [
    TextCase("ticket description (create)", "description", 20_000, _ticket_create, _stored(Ticket, "description")),
    TextCase("ticket description (edit)", "description", 20_000, _ticket_patch, _stored(Ticket, "description")),
    TextCase(
        "template description", "description", 5_000, _template_create("description"), _stored(TicketTemplate, "description")
    ),
    TextCase(
        "template default description",
        "default_description",
        20_000,
        _template_create("default_description"),
        _stored(TicketTemplate, "default_description"),
    ),
    TextCase(
        "category description",
        "description",
        5_000,
        _classification_create("/api/v1/categories/", "category"),
        _stored(Category, "description"),
    ),
    TextCase(
        "label description",
        "description",
        5_000,
        _classification_create("/api/v1/labels/", "label"),
        _stored(Label, "description"),
    ),
    TextCase(
        "approval template description",
        "description",
        5_000,
        _approval_template_create,
        _stored(ApprovalTemplate, "description"),
    ),
    TextCase("delegation reason", "reason", 5_000, _delegation_create, _stored(Delegation, "reason")),
    TextCase("approval comment", "comment", 5_000, _approval_decision, _stored(ApprovalProcessStepApprover, "comment")),
    TextCase("access-request reason", "reason", 5_000, _access_request, _stored(AccessRequest, "reason")),
    TextCase("access-request decision", "comment", 5_000, _access_decision, _stored(AccessRequest, "decision_comment")),
]


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda case: case.name)
def test_text_over_its_limit_is_refused_and_at_its_limit_accepted(client_for, case):
    over = "x" * (case.limit + 1)
    response = case.send(client_for, over)

    assert response.status_code == 400, response.content[:500]
    assert response.json()["type"] == "validation_error"
    assert (response.json()["errors"][0]["code"], response.json()["errors"][0]["attr"]) == ("max_length", case.attr)
    assert not case.stored(over)

    at_limit = "y" * case.limit
    response = case.send(client_for, at_limit)

    assert response.status_code in (200, 201), response.content[:500]
    assert case.stored(at_limit)


def test_limits_are_documented_in_the_schema(openapi_schema):
    schema = openapi_schema["components"]["schemas"]

    assert schema["TicketCreateRequest"]["properties"]["description"]["maxLength"] == limits.TICKET_DESCRIPTION_MAX_LENGTH
    assert schema["CategoryRequest"]["properties"]["description"]["maxLength"] == limits.DESCRIPTION_MAX_LENGTH
    assert schema["DelegationCreateRequest"]["properties"]["reason"]["maxLength"] == limits.REMARK_MAX_LENGTH


def test_every_free_text_column_has_a_limit():
    """A new TextField without an entry here would take text of any size from the admin."""
    unbounded = [
        f"{model._meta.label}.{field.name}"
        for app in ("tickets", "approvals", "permissions", "notifications")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and field.editable
    ]

    assert sorted(unbounded) == sorted(limits.TEXT_FIELD_MAX_LENGTH)


# --- custom fields -------------------------------------------------------------------------------------------------


@pytest.fixture
def notes_template():
    return TicketTemplateFactory(
        custom_fields_schema={"type": "object", "properties": {"notes": {"type": "string"}}},
    )


def custom_fields_of_size(size: int) -> dict[str, str]:
    empty = limits.json_size({"notes": ""})
    return {"notes": "z" * (size - empty)}


def test_custom_fields_over_their_size_are_refused_and_at_their_size_accepted(client_for, notes_template):
    client = client_for(UserFactory())
    over = custom_fields_of_size(limits.CUSTOM_FIELDS_MAX_BYTES + 1)

    response = client.post(TICKETS, {"title": "Big", "template": notes_template.pk, "custom_fields": over}, format="json")

    assert response.status_code == 400
    assert (response.json()["errors"][0]["code"], response.json()["errors"][0]["attr"]) == ("max_length", "custom_fields")
    assert not Ticket.objects.exists()

    at_size = custom_fields_of_size(limits.CUSTOM_FIELDS_MAX_BYTES)
    response = client.post(TICKETS, {"title": "Big", "template": notes_template.pk, "custom_fields": at_size}, format="json")

    assert response.status_code == 201
    assert Ticket.objects.get().custom_fields == at_size


def test_custom_fields_over_their_size_are_refused_on_edit(client_for, notes_template):
    ticket = TicketFactory(template=notes_template, custom_fields={})
    over = custom_fields_of_size(limits.CUSTOM_FIELDS_MAX_BYTES + 1)

    response = client_for(ticket.created_by).patch(f"{TICKETS}{ticket.pk}/", {"custom_fields": over}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "custom_fields"
    ticket.refresh_from_db()
    assert ticket.custom_fields == {}


# --- the admin -----------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(AdminFactory())
    return client


def ticket_form(**overrides):
    data = {
        "title": "From the admin",
        "description": "",
        "custom_fields": "{}",
        "priority": "medium",
        "visibility": "internal",
        "due_at_0": "",
        "due_at_1": "",
        "notes-TOTAL_FORMS": 0,
        "notes-INITIAL_FORMS": 0,
        "notes-MIN_NUM_FORMS": 0,
        "notes-MAX_NUM_FORMS": 1000,
    }
    return data | overrides


def test_admin_refuses_a_ticket_description_over_its_limit(admin_client):
    response = admin_client.post("/admin/tickets/ticket/add/", ticket_form(description="x" * 20_001))

    assert response.status_code == 200  # the form again, with the error
    assert "description" in response.context["adminform"].form.errors
    assert not Ticket.objects.exists()

    response = admin_client.post("/admin/tickets/ticket/add/", ticket_form(description="y" * 20_000))

    assert response.status_code == 302
    assert Ticket.objects.get().description == "y" * 20_000


def test_admin_refuses_custom_fields_over_their_size(admin_client, notes_template):
    over = custom_fields_of_size(limits.CUSTOM_FIELDS_MAX_BYTES + 1)

    response = admin_client.post(
        "/admin/tickets/ticket/add/", ticket_form(template=notes_template.pk, custom_fields=json.dumps(over))
    )

    assert response.status_code == 200
    assert "custom_fields" in response.context["adminform"].form.errors
    assert not Ticket.objects.exists()


def test_admin_refuses_a_category_description_over_its_limit(admin_client):
    category = CategoryFactory(description="Before")

    response = admin_client.post(
        f"/admin/tickets/category/{category.pk}/change/", {"name": category.name, "description": "x" * 5_001}
    )

    assert response.status_code == 200
    assert "description" in response.context["adminform"].form.errors
    category.refresh_from_db()
    assert category.description == "Before"


# --- the body as a whole -------------------------------------------------------------------------------------------


def test_a_json_body_over_256_kib_is_413_while_uploads_are_limited_apart(client_for):
    ticket = TicketFactory()
    client = client_for(ticket.created_by)
    # Under every text limit but the body's: only the body limit can refuse it.
    body = {"title": "Many labels", "labels": [], "padding": " " * (256 * 1024)}

    response = client.generic("POST", TICKETS, json.dumps(body), content_type="application/json")

    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "payload_too_large"
    assert Ticket.objects.count() == 1

    upload = SimpleUploadedFile("big.txt", b"a" * (300 * 1024), content_type="text/plain")
    response = client.post(f"{TICKETS}{ticket.pk}/attachments/", {"file": upload}, format="multipart")

    assert response.status_code == 201, response.content[:500]
    assert Attachment.objects.filter(ticket=ticket).count() == 1


# --- JSON the parser must refuse, not crash on -----------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_json_nested_100000_deep_is_400(client_for, method):
    ticket = TicketFactory(title="Before")
    path = TICKETS if method == "POST" else f"{TICKETS}{ticket.pk}/"
    body = '{"title": "Deep", "custom_fields": ' + nested(100_000) + "}"

    response = client_for(ticket.created_by).generic(method, path, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"
    assert Ticket.objects.get().title == "Before"


@pytest.mark.parametrize(
    "fragment",
    [
        '"assignee": 1e309',
        '"assignee": -1e309',
        '"template": 1e309',
        '"approval_template": 1e309',
        '"categories": [1e309]',
        '"labels": [1e309]',
        '"custom_fields": {"n": 1e309}',
        '"assignee": NaN',
        '"assignee": Infinity',
        '"assignee": -Infinity',
    ],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_numbers_beyond_a_float_are_400(client_for, method, fragment):
    ticket = TicketFactory(title="Before")
    path = TICKETS if method == "POST" else f"{TICKETS}{ticket.pk}/"

    response = client_for(ticket.created_by).generic(
        method, path, '{"title": "After", ' + fragment + "}", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "parse_error"
    assert Ticket.objects.get().title == "Before"
