"""The form generated from a template's JSON Schema (workspace/schema_form.py): one input per property type, labels,
help and required marks from the schema, values back as JSON; and, through the New request page, the service's
validation messages next to the field they concern."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from django import forms

from tests.factories import UserFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketTemplateFactory
from workspace.schema_form import custom_fields_of, property_order, schema_fields

EVERY_TYPE = {
    "type": "object",
    "properties": {
        "system": {
            "type": "string",
            "title": "System",
            "description": "As named in the catalogue.",
            "minLength": 2,
            "maxLength": 40,
            "pattern": "^[A-Z]",
        },
        "justification": {"type": "string", "maxLength": 2000},
        "notes": {"type": "string", "x-widget": "textarea"},
        "seats": {"type": "integer", "minimum": 1, "maximum": 50},
        "budget": {"type": "number", "minimum": 0},
        "for_new_hire": {"type": "boolean"},
        "accept_terms": {"type": "boolean", "const": True},
        "access_level": {"type": "string", "enum": ["read", "write", "admin"]},
        "tier": {"type": "integer", "enum": [1, 2, 3]},
        "size": {"oneOf": [{"const": "s", "title": "Small"}, {"const": "l", "title": "Large"}]},
        "needed_by": {"type": "string", "format": "date"},
        "starts_at": {"type": "string", "format": "date-time"},
        "contact": {"type": "string", "format": "email"},
        "address": {"type": "object", "properties": {"street": {"type": "string"}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    },
    "required": ["system", "seats", "for_new_hire", "accept_terms"],
}


class Form(forms.Form):
    def __init__(self, schema, *args, values=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(schema_fields(schema, values=values))


def rendered(schema, name, **kwargs) -> str:
    return str(Form(schema, **kwargs)[f"custom_fields.{name}"])


# --- inputs --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("system", ['type="text"', 'minlength="2"', 'maxlength="40"', 'pattern=".*(?:^[A-Z]).*"', "required"]),
        ("justification", ["<textarea", 'maxlength="2000"']),
        ("notes", ["<textarea"]),
        ("seats", ['type="number"', 'step="1"', 'min="1"', 'max="50"', "required"]),
        ("budget", ['type="number"', 'step="any"', 'min="0"']),
        ("for_new_hire", ['type="checkbox"']),
        ("accept_terms", ['type="checkbox"', "required"]),
        (
            "access_level",
            ["<select", '<option value="&quot;write&quot;">write</option>', '<option value="" selected>—</option>'],
        ),
        ("tier", ['<option value="2">2</option>']),
        ("size", ['<option value="&quot;s&quot;">Small</option>']),
        ("needed_by", ['type="date"']),
        ("starts_at", ['type="datetime-local"']),
        ("contact", ['type="email"']),
        ("address", ["<textarea", 'class="json"']),
        ("tags", ["<textarea", 'class="json"']),
        ("either", ["<textarea", 'class="json"']),
    ],
)
def test_each_property_gets_the_input_of_its_type(name, fragments):
    widget = rendered(EVERY_TYPE, name)

    for fragment in fragments:
        assert fragment in widget, widget


def test_the_browser_is_told_required_only_where_an_answer_is_needed():
    assert "required" not in rendered(EVERY_TYPE, "budget")
    # A box always answers (true or false): only one that must be ticked is required.
    assert "required" not in rendered(EVERY_TYPE, "for_new_hire")


def test_labels_come_from_titles_else_names_and_help_from_descriptions():
    form = Form(EVERY_TYPE)

    assert form["custom_fields.system"].label == "System"
    assert form["custom_fields.system"].help_text == "As named in the catalogue."
    assert form["custom_fields.needed_by"].label == "Needed by"
    assert form["custom_fields.address"].help_text == "Written as JSON."


def test_no_schema_rule_is_checked_by_the_form():
    form = Form(EVERY_TYPE, data={"custom_fields.seats": "500", "custom_fields.system": "x"})

    assert form.is_valid(), form.errors
    assert not any(field.required for field in form.fields.values())


def test_properties_in_a_stable_order_named_by_x_order_then_required_then_by_name():
    schema = {
        "type": "object",
        "properties": {name: {"type": "string"} for name in ("zeta", "alpha", "mid", "beta", "gamma")},
        "required": ["mid", "zeta"],
        "x-order": ["gamma"],
    }

    assert property_order(schema) == ["gamma", "mid", "zeta", "alpha", "beta"]


# --- values --------------------------------------------------------------------------------------------------------


def cleaned(schema, data, stored=None):
    form = Form(schema, data=data, values=stored)
    assert form.is_valid(), form.errors
    return custom_fields_of(form, schema, stored=stored)


def test_answers_become_json_values_and_unanswered_ones_are_left_out(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    data = {
        "custom_fields.system": " SAP ",
        "custom_fields.seats": "3",
        "custom_fields.budget": "2.5",
        "custom_fields.access_level": '"write"',
        "custom_fields.tier": "2",
        "custom_fields.needed_by": "2030-05-01",
        "custom_fields.starts_at": "2030-05-01T09:30",
        "custom_fields.contact": "erin@example.com",
        "custom_fields.address": '{"street": "Main St 1"}',
        "custom_fields.tags": '["a", "b"]',
        "custom_fields.accept_terms": "on",
        "custom_fields.justification": "",
    }

    assert cleaned(EVERY_TYPE, data) == {
        "system": "SAP",
        "seats": 3,
        "budget": 2.5,
        "access_level": "write",
        "tier": 2,
        "needed_by": "2030-05-01",
        "starts_at": "2030-05-01T09:30:00+02:00",
        "contact": "erin@example.com",
        "address": {"street": "Main St 1"},
        "tags": ["a", "b"],
        "accept_terms": True,
        "for_new_hire": False,
    }


def test_a_whole_number_stays_whole_in_a_number_field():
    assert cleaned(EVERY_TYPE, {"custom_fields.budget": "5"})["budget"] == 5


def test_untouched_stored_values_are_kept_exactly_and_cleared_ones_removed(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    stored = {"starts_at": "2030-05-01T07:30:15Z", "system": "SAP", "legacy": "kept", "seats": 4}
    # What the browser sends back: the inputs as rendered (the moment in local time), one field cleared.
    form = Form(EVERY_TYPE, values=stored)
    data = {
        "custom_fields.starts_at": form["custom_fields.starts_at"].value().strftime("%Y-%m-%dT%H:%M:%S"),
        "custom_fields.system": "SAP",
        "custom_fields.seats": "",
    }

    assert cleaned(EVERY_TYPE, data, stored) == {"starts_at": "2030-05-01T07:30:15Z", "system": "SAP", "legacy": "kept"}
    assert 'value="2030-05-01T09:30:15"' in rendered(EVERY_TYPE, "starts_at", values=stored)


def test_a_changed_date_time_is_sent_with_its_offset(settings):
    settings.TIME_ZONE = "UTC"
    stored = {"starts_at": "2030-05-01T07:30:00+00:00"}

    result = cleaned(EVERY_TYPE, {"custom_fields.starts_at": "2030-05-02T08:00"}, stored)

    assert datetime.fromisoformat(result["starts_at"]) == datetime(2030, 5, 2, 8, 0, tzinfo=UTC)


def test_defaults_prefill_a_new_request():
    schema = {"type": "object", "properties": {"level": {"type": "string", "enum": ["a", "b"], "default": "b"}}}

    assert 'value="&quot;b&quot;" selected' in rendered(schema, "level")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("seats", "three", "Enter a whole number."),
        ("budget", "lots", "Enter a number."),
        ("needed_by", "2030-13-01", "Enter a valid date."),
        ("starts_at", "tomorrow", "Enter a valid date/time."),
        ("address", "{street", "Enter a valid JSON."),
    ],
)
def test_text_that_is_not_a_value_of_the_type_is_the_forms_error(name, value, message):
    form = Form(EVERY_TYPE, data={f"custom_fields.{name}": value})

    assert form.errors == {f"custom_fields.{name}": [message]}


# --- the service's messages next to their fields, through the New request page ------------------------------------

PAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "model": {"type": "string", "enum": ["13-inch", "16-inch"]},
        "affected_users": {"type": "integer", "minimum": 1, "maximum": 500},
        "contact": {"type": "string", "format": "email"},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "accept_terms": {"type": "boolean", "const": True},
        "address": {"type": "object", "properties": {"street": {"type": "string", "minLength": 3}}},
    },
    "required": ["model", "affected_users"],
}


def errors_of(response, name: str) -> list[str]:
    """The messages shown next to a field (the <p class="error"> tied to its input)."""
    found = re.findall(rf'<p class="error" id="id_{re.escape(name)}_error">(.*?)</p>', response.content.decode())
    return [html.unescape(message) for message in found]


@pytest.fixture
def post_request(page_for):
    def post(data):
        template = TicketTemplateFactory(custom_fields_schema=PAGE_SCHEMA)
        client = page_for(UserFactory())
        return client.post(f"/requests/new/{template.pk}/", {"title": "Laptop", "action": "draft", **data})

    return post


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"custom_fields.affected_users": "3"}, "custom_fields.model", "'model' is a required property"),
        ({"custom_fields.model": '"13-inch"'}, "custom_fields.affected_users", "'affected_users' is a required property"),
        (
            {"custom_fields.model": '"13-inch"', "custom_fields.affected_users": "0"},
            "custom_fields.affected_users",
            "0 is less than the minimum of 1",
        ),
        (
            {"custom_fields.model": '"13-inch"', "custom_fields.affected_users": "501"},
            "custom_fields.affected_users",
            "501 is greater than the maximum of 500",
        ),
        (
            {"custom_fields.model": '"15-inch"', "custom_fields.affected_users": "3"},
            "custom_fields.model",
            "'15-inch' is not one of ['13-inch', '16-inch']",
        ),
        (
            {"custom_fields.model": '"13-inch"', "custom_fields.affected_users": "3", "custom_fields.contact": "erin"},
            "custom_fields.contact",
            "'erin' is not a 'email'",
        ),
        (
            {"custom_fields.model": '"13-inch"', "custom_fields.affected_users": "3", "custom_fields.code": "abcd"},
            "custom_fields.code",
            "'abcd' does not match '^[A-Z]{3}$'",
        ),
        (
            {"custom_fields.model": '"13-inch"', "custom_fields.affected_users": "3"},
            "custom_fields.accept_terms",
            "True was expected",
        ),
        (
            {
                "custom_fields.model": '"13-inch"',
                "custom_fields.affected_users": "3",
                "custom_fields.accept_terms": "on",
                "custom_fields.address": '{"street": "x"}',
            },
            "custom_fields.address",
            "'x' is too short",
        ),
    ],
)
def test_the_services_message_is_shown_next_to_the_field(post_request, data, field, message):
    response = post_request(data)

    assert response.status_code == 200
    assert message in errors_of(response, field)
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_valid_form_creates_the_ticket_with_its_custom_fields(post_request):
    response = post_request(
        {
            "custom_fields.model": '"16-inch"',
            "custom_fields.affected_users": "12",
            "custom_fields.accept_terms": "on",
            "custom_fields.contact": "",
        }
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.custom_fields == {"model": "16-inch", "affected_users": 12, "accept_terms": True}
