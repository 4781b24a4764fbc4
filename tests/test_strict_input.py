"""Strict input everywhere (issue 13): every request body the API documents is read by a serializer that refuses fields
it cannot write, and whose text, integer and id fields take a value only in the type the schema gives it. Proven once
over the whole schema, then through the API on each app's endpoints."""

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Model
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from approvals.models import ApprovalTemplate, Delegation
from notifications.models import NotificationRule
from permissions.models import AccessRequest, TicketViewPermission
from tests.factories import UserFactory
from tickets.models import Category, Ticket
from tickets.tests.factories import CategoryFactory, RestrictedTicketFactory
from ticketsite.api.fields import StrictCharField, StrictIntegerField, StrictPrimaryKeyRelatedField
from ticketsite.api.serializers import RefuseUnwritableFieldsMixin
from ticketsite.schema import ApiAutoSchema

# DRF field classes that coerce a value of another type, and the strict class each must be instead.
STRICT_CLASS_FOR = {
    serializers.CharField: StrictCharField,
    serializers.IntegerField: StrictIntegerField,
    serializers.PrimaryKeyRelatedField: StrictPrimaryKeyRelatedField,
}


def documented_request_serializers(monkeypatch: pytest.MonkeyPatch) -> dict[str, type[serializers.BaseSerializer]]:
    """ "METHOD path" -> the serializer class of its request body, for every write operation of the generated schema."""
    found: dict[str, type[serializers.BaseSerializer]] = {}
    original = ApiAutoSchema.resolve_serializer

    def recording(schema: ApiAutoSchema, serializer: Any, direction: str, *args: Any, **kwargs: Any) -> Any:
        # The first serializer resolved for an operation's request is its body; nested ones follow it.
        if direction == "request" and schema.method in ("POST", "PUT", "PATCH"):
            found.setdefault(f"{schema.method} {schema.path}", serializer if isinstance(serializer, type) else type(serializer))
        return original(schema, serializer, direction, *args, **kwargs)

    monkeypatch.setattr(ApiAutoSchema, "resolve_serializer", recording)
    SchemaGenerator().get_schema(request=None, public=True)
    return found


def lenient_fields(serializer: serializers.BaseSerializer, prefix: str = "") -> list[str]:
    """Writable fields, at any depth, that would read a value of another type (or serializers that drop unknown
    fields)."""
    if isinstance(serializer, serializers.ListSerializer):
        return lenient_fields(serializer.child, f"{prefix}[]")
    found = [] if isinstance(serializer, RefuseUnwritableFieldsMixin) else [f"{prefix or 'body'} drops unknown fields"]
    for name, field in serializer.fields.items():
        path = f"{prefix}{name}"
        if field.read_only:
            continue
        if isinstance(field, serializers.BaseSerializer):
            found += lenient_fields(field, f"{path}.")
            continue
        inner = getattr(field, "child_relation", None) or getattr(field, "child", None) or field
        found += [
            f"{path} is a lenient {type(inner).__name__}"
            for lenient, strict in STRICT_CLASS_FOR.items()
            if isinstance(inner, lenient) and not isinstance(inner, strict)
        ]
    return found


@pytest.mark.django_db
def test_every_documented_request_body_is_read_strictly(monkeypatch):
    bodies = documented_request_serializers(monkeypatch)
    # The walk reaches every app and both kinds of body (JSON and multipart), so it cannot pass by finding nothing.
    assert {
        "POST /api/v1/auth/token/",
        "POST /api/v1/tickets/",
        "POST /api/v1/tickets/{ticket_id}/attachments/",
        "POST /api/v1/categories/",
        "POST /api/v1/approval-templates/",
        "POST /api/v1/delegations/",
        "POST /api/v1/tickets/{ticket_id}/permissions/",
        "POST /api/v1/access-requests/{id}/deny/",
        "PATCH /api/v1/notification-rules/{id}/",
    } <= bodies.keys()

    lenient = {operation: lenient_fields(cls()) for operation, cls in bodies.items()}

    assert {operation: problems for operation, problems in lenient.items() if problems} == {}


# --- through the API -------------------------------------------------------------------------------------------------


def window() -> dict[str, str]:
    now = timezone.now()
    return {"starts_at": now.isoformat(), "ends_at": (now + timedelta(days=3)).isoformat()}


def template_body(approver) -> dict[str, Any]:
    return {"name": "Purchase", "steps": [{"name": "Manager", "order": 1, "approvers": [{"user": approver.pk}]}]}


def delegation(client_for) -> tuple[Any, str, dict[str, Any], type[Model]]:
    return client_for(UserFactory()), "/api/v1/delegations/", {"delegate": UserFactory().pk, **window()}, Delegation


def approval_template(client_for) -> tuple[Any, str, dict[str, Any], type[Model]]:
    editor = UserFactory(perms=["approvals.add_approvaltemplate"])
    return client_for(editor), "/api/v1/approval-templates/", template_body(UserFactory()), ApprovalTemplate


def grant(client_for) -> tuple[Any, str, dict[str, Any], type[Model]]:
    ticket = RestrictedTicketFactory()
    url = f"/api/v1/tickets/{ticket.pk}/permissions/"
    return client_for(ticket.created_by), url, {"user": UserFactory().pk}, TicketViewPermission


def access_request(client_for) -> tuple[Any, str, dict[str, Any], type[Model]]:
    ticket = RestrictedTicketFactory()
    url = f"/api/v1/tickets/{ticket.pk}/access-requests/"
    return client_for(UserFactory()), url, {"reason": "I handle this customer."}, AccessRequest


def notification_rule(client_for) -> tuple[Any, str, dict[str, Any], type[Model]]:
    admin = UserFactory(perms=["notifications.add_notificationrule"])
    return client_for(admin), "/api/v1/notification-rules/", {"name": "R", "event_type": "ticket_created"}, NotificationRule


def category(client_for) -> tuple[Any, str, dict[str, Any], type[Model]]:
    return client_for(UserFactory(perms=["tickets.add_category"])), "/api/v1/categories/", {"name": "Printers"}, Category


ENDPOINTS = [delegation, approval_template, grant, access_request, notification_rule, category]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.__name__)
def test_the_valid_body_of_each_endpoint_is_accepted(endpoint, client_for):
    client, url, body, model = endpoint(client_for)

    response = client.post(url, body)

    assert response.status_code == 201, response.json()
    assert model.objects.filter(pk=response.json()["id"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["colour", "id", "created_by"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.__name__)
def test_an_unknown_or_read_only_field_is_refused_and_nothing_is_written(endpoint, field, client_for):
    client, url, body, model = endpoint(client_for)
    rows = model.objects.count()  # the default notification rules exist from the start

    response = client.post(url, {**body, field: 1})

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == ("non_field_errors", "read_only")
    assert field in error["detail"]
    assert model.objects.count() == rows


@pytest.mark.django_db
def test_an_unknown_field_inside_a_nested_item_is_refused(client_for):
    client, url, body, model = approval_template(client_for)
    body["steps"][0]["approvers"][0]["weight"] = 2

    response = client.post(url, body)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == ("steps.0.approvers.0.non_field_errors", "read_only")
    assert not model.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "attr"),
    [
        (lambda body, pk: {**body, "assignee": pk + 0.5}, "assignee"),
        (lambda body, pk: {**body, "assignee": float(pk)}, "assignee"),
        (lambda body, pk: {**body, "categories": [pk + 0.5]}, "categories"),
    ],
    ids=["fractional-id", "integral-float-id", "fractional-id-in-a-list"],
)
def test_an_id_given_as_a_float_is_refused_not_truncated(change, attr, client_for):
    existing = UserFactory()
    CategoryFactory(pk=existing.pk)  # the row a truncated id would name

    response = client_for(UserFactory()).post("/api/v1/tickets/", change({"title": "Printer"}, existing.pk))

    assert response.status_code == 400
    assert (response.json()["errors"][0]["attr"], response.json()["errors"][0]["code"]) == (attr, "incorrect_type")
    assert not Ticket.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("order", [1.0, "1.0"], ids=["float", "decimal-text"])
def test_an_integer_given_as_a_float_is_refused(order, client_for):
    client, url, body, model = approval_template(client_for)
    body["steps"][0]["order"] = order

    response = client.post(url, body)

    assert response.status_code == 400
    assert (response.json()["errors"][0]["attr"], response.json()["errors"][0]["code"]) == ("steps.0.order", "invalid")
    assert not model.objects.exists()


@pytest.mark.django_db
def test_a_delegate_given_as_a_float_is_refused(client_for):
    client, url, body, model = delegation(client_for)

    response = client.post(url, {**body, "delegate": body["delegate"] + 0.5})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "delegate"
    assert not model.objects.exists()


# A regression guard for the removed global patch of DRF's CharField: these were strict through it, now through the
# strict fields.
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body", "attr"),
    [
        ("/api/v1/tickets/", lambda: {"title": "Printer", "description": 0}, "description"),
        ("/api/v1/delegations/", lambda: {"delegate": UserFactory().pk, **window(), "reason": 0}, "reason"),
        ("/api/v1/notification-rules/", lambda: {"name": 0, "event_type": "ticket_created"}, "name"),
        ("/api/v1/categories/", lambda: {"name": 7}, "name"),
        ("/api/v1/auth/token/", lambda: {"username": 0, "password": "pass-12345"}, "username"),
    ],
    ids=["ticket", "delegation", "notification-rule", "category", "token"],
)
def test_a_number_where_text_belongs_is_refused(url, body, attr, client_for):
    # Named "0": read as text, the number would log this user in.
    caller = UserFactory(username="0", perms=["notifications.add_notificationrule", "tickets.add_category"])

    response = client_for(caller).post(url, body())

    assert response.status_code == 400
    assert (response.json()["errors"][0]["attr"], response.json()["errors"][0]["code"]) == (attr, "invalid")
