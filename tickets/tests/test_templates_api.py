"""Ticket templates over HTTP, their JSON Schema, and tickets' custom fields validated against it."""

import pytest

from tests.factories import UserFactory
from tickets.models import Ticket, TicketNote, TicketStatus, TicketTemplate
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/ticket-templates/"
SCHEMA = {
    "type": "object",
    "properties": {
        "cost_center": {"type": "string", "pattern": "^CC-[0-9]{4}$"},
        "amount": {"type": "number", "minimum": 0},
        "urgency": {"enum": ["normal", "express"]},
        "contact": {"type": "string", "format": "email"},
    },
    "required": ["cost_center", "amount"],
    "additionalProperties": False,
}
VALID = {"cost_center": "CC-1234", "amount": 99.5, "urgency": "express", "contact": "a@example.com"}


@pytest.fixture
def template_admin():
    return UserFactory(perms=["tickets.add_tickettemplate", "tickets.change_tickettemplate", "tickets.delete_tickettemplate"])


@pytest.fixture
def template():
    return TicketTemplateFactory(name="Purchase", custom_fields_schema=SCHEMA)


# --- templates -----------------------------------------------------------------------------------------------------


def test_everyone_reads_templates(template, client_for):
    client = client_for(UserFactory())

    listed = client.get(URL).json()
    one = client.get(f"{URL}{template.pk}/").json()

    assert listed["count"] == 1
    for field in (
        "id",
        "name",
        "description",
        "default_priority",
        "default_visibility",
        "categories",
        "labels",
        "approval_template",
        "custom_fields_schema",
    ):
        assert field in one
    assert one["custom_fields_schema"] == SCHEMA


def test_template_admin_creates_a_template(template_admin, client_for):
    category, label = CategoryFactory(), LabelFactory()
    body = {
        "name": "Access request",
        "default_priority": "high",
        "default_visibility": "restricted",
        "categories": [category.pk],
        "labels": [label.pk],
        "custom_fields_schema": SCHEMA,
    }

    response = client_for(template_admin).post(URL, body)

    assert response.status_code == 201, response.json()
    created = TicketTemplate.objects.get(pk=response.json()["id"])
    assert created.created_by == template_admin
    assert list(created.categories.all()) == [category]
    assert created.custom_fields_schema == SCHEMA


def test_plain_user_cannot_write_templates(template, client_for):
    client = client_for(UserFactory())

    assert client.post(URL, {"name": "Mine"}).status_code == 403
    assert client.patch(f"{URL}{template.pk}/", {"name": "Renamed"}).status_code == 403
    assert client.delete(f"{URL}{template.pk}/").status_code == 403
    template.refresh_from_db()
    assert template.name == "Purchase" and not template.is_deleted


def test_template_admin_updates_and_deletes_softly(template, template_admin, client_for):
    client = client_for(template_admin)

    patched = client.patch(f"{URL}{template.pk}/", {"default_priority": "urgent", "labels": [LabelFactory().pk]})
    deleted = client.delete(f"{URL}{template.pk}/")

    assert patched.status_code == 200
    assert patched.json()["default_priority"] == "urgent"
    assert len(patched.json()["labels"]) == 1
    assert deleted.status_code == 204
    assert TicketTemplate.all_objects.get(pk=template.pk).is_deleted
    assert client.get(f"{URL}{template.pk}/").status_code == 404


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"type": "strnig"}}},
        {"type": "object", "required": "cost_center"},
        {"type": "string"},
    ],
    ids=["unknown-type", "required-not-a-list", "not-an-object"],
)
def test_invalid_json_schema_is_refused(schema, template_admin, client_for):
    response = client_for(template_admin).post(URL, {"name": "Broken", "custom_fields_schema": schema})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "custom_fields_schema"
    assert not TicketTemplate.objects.exists()


def test_duplicate_template_name_is_refused(template, template_admin, client_for):
    response = client_for(template_admin).post(URL, {"name": "purchase"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "name"


# --- custom fields -------------------------------------------------------------------------------------------------


def create_ticket(client, template, custom_fields):
    return client.post("/api/v1/tickets/", {"title": "Buy", "template": template, "custom_fields": custom_fields})


def test_valid_custom_fields(template, client_for):
    response = create_ticket(client_for(UserFactory()), template.pk, VALID)

    assert response.status_code == 201, response.json()
    assert response.json()["custom_fields"] == VALID


@pytest.mark.parametrize(
    ("custom_fields", "attr", "code"),
    [
        ({"amount": 1}, "custom_fields.cost_center", "required"),
        ({"cost_center": "CC-1234", "amount": "lots"}, "custom_fields.amount", "type"),
        ({**VALID, "urgency": "yesterday"}, "custom_fields.urgency", "enum"),
        ({**VALID, "contact": "not-an-email"}, "custom_fields.contact", "format"),
        ({**VALID, "cost_center": "1234"}, "custom_fields.cost_center", "pattern"),
        ({**VALID, "amount": -1}, "custom_fields.amount", "minimum"),
        ({**VALID, "colour": "red"}, "custom_fields", "additionalProperties"),
    ],
    ids=["missing-required", "wrong-type", "wrong-enum", "wrong-format", "wrong-pattern", "below-minimum", "unknown-field"],
)
def test_invalid_custom_fields_name_the_failing_field(custom_fields, attr, code, template, client_for):
    response = create_ticket(client_for(UserFactory()), template.pk, custom_fields)

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert {"attr": attr, "code": code} in [{"attr": e["attr"], "code": e["code"]} for e in body["errors"]]
    assert not Ticket.objects.exists()


def test_every_failing_field_is_reported(template, client_for):
    response = create_ticket(client_for(UserFactory()), template.pk, {"amount": "x", "urgency": "?"})

    attrs = sorted(error["attr"] for error in response.json()["errors"])
    assert attrs == ["custom_fields.amount", "custom_fields.cost_center", "custom_fields.urgency"]


def test_unknown_template_is_refused(client_for):
    response = create_ticket(client_for(UserFactory()), 999999, VALID)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == ("template", "does_not_exist")


def test_deleted_template_is_unknown(template, client_for):
    template.soft_delete(actor=None)

    response = create_ticket(client_for(UserFactory()), template.pk, VALID)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "template"


def test_custom_fields_without_a_template_are_refused(client_for):
    response = client_for(UserFactory()).post("/api/v1/tickets/", {"title": "Buy", "custom_fields": {"a": 1}})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "custom_fields"


def test_custom_fields_must_be_an_object(template, client_for):
    response = create_ticket(client_for(UserFactory()), template.pk, ["CC-1234"])

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "custom_fields"


def test_custom_fields_are_validated_on_update(template, client_for):
    creator = UserFactory()
    ticket = TicketFactory(created_by=creator, template=template, custom_fields=VALID, status=TicketStatus.DRAFT)
    client = client_for(creator)

    refused = client.patch(f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {"amount": 5}})
    accepted = client.patch(f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {**VALID, "amount": 5}})

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["attr"] == "custom_fields.cost_center"
    assert accepted.status_code == 200
    ticket.refresh_from_db()
    assert ticket.custom_fields["amount"] == 5
    change = TicketNote.objects.get(ticket=ticket, system=True)
    assert change.event_details == {"field": "custom_fields", "old": VALID, "new": {**VALID, "amount": 5}}
