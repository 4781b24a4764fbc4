"""Templates' JSON Schemas are evaluated safely (no fetching, no crash) and custom fields' `format`s are all checked."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from jsonschema import Draft4Validator, Draft6Validator, Draft7Validator, Draft201909Validator, Draft202012Validator

from tests.factories import AdminFactory, UserFactory
from tickets.models import Ticket, TicketTemplate
from tickets.services.templates import format_checker
from tickets.tests.factories import TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/ticket-templates/"
TICKETS = "/api/v1/tickets/"
ADMIN_TEMPLATES = "/admin/tickets/tickettemplate/"
SECRET = "internal-only-secret"


class RecordingHandler(BaseHTTPRequestHandler):
    """Answers every GET with a JSON Schema naming a secret, and records the path: the tests expect no request."""

    def do_GET(self):
        self.server.received.append(self.path)
        body = json.dumps({"type": "string", "const": SECRET}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def internal_server():
    """A real HTTP server on 127.0.0.1 (an ephemeral port), standing for a service the attacker wants reached."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def server_url(internal_server):
    host, port = internal_server.server_address
    return f"http://{host}:{port}"


@pytest.fixture
def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/schema.json"


@pytest.fixture
def template_admin():
    return UserFactory(perms=["tickets.add_tickettemplate", "tickets.change_tickettemplate"])


def with_field(field_schema, **extra):
    return {"type": "object", "properties": {"v": field_schema}, **extra}


def remote_schemas(url):
    """Every way a schema could name another document: jsonschema would fetch each of these without the fix."""
    return {
        "ref-at-root": {"type": "object", "$ref": f"{url}/root.json"},
        "ref-in-a-property": with_field({"$ref": f"{url}/field.json"}),
        "ref-relative-to-a-remote-id": {"$id": f"{url}/base/", **with_field({"$ref": "field.json"})},
        "dynamic-ref": with_field({"$dynamicRef": f"{url}/field.json#meta"}),
        "recursive-ref": {"$schema": "https://json-schema.org/draft/2019-09/schema", **with_field({"$recursiveRef": url})},
        "ref-in-allOf": {"type": "object", "allOf": [{"$ref": f"{url}/a.json"}]},
        "ref-in-defs": {"type": "object", "$defs": {"x": {"$ref": f"{url}/x.json"}}},
    }


REMOTE_KINDS = list(remote_schemas("http://x"))


def codes(response):
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


# --- server-side request forgery: refused when the template is saved ----------------------------------------------


@pytest.mark.parametrize("kind", REMOTE_KINDS)
def test_a_template_naming_a_remote_schema_is_refused_and_nothing_is_fetched(
    kind, template_admin, client_for, internal_server, server_url
):
    schema = remote_schemas(server_url)[kind]

    response = client_for(template_admin).post(TEMPLATES, {"name": "Probe", "custom_fields_schema": schema})

    assert response.status_code == 400, response.json()
    assert codes(response) == [("custom_fields_schema", "remote_ref_not_allowed")]
    assert not TicketTemplate.objects.exists()
    assert internal_server.received == []


def test_updating_a_template_to_a_remote_schema_is_refused(template_admin, client_for, internal_server, server_url):
    template = TicketTemplateFactory(custom_fields_schema=with_field({"type": "string"}))

    response = client_for(template_admin).patch(
        f"{TEMPLATES}{template.pk}/", {"custom_fields_schema": with_field({"$ref": f"{server_url}/x.json"})}
    )

    assert response.status_code == 400
    assert codes(response) == [("custom_fields_schema", "remote_ref_not_allowed")]
    template.refresh_from_db()
    assert template.custom_fields_schema == with_field({"type": "string"})
    assert internal_server.received == []


@pytest.mark.parametrize("ref", ["file:///etc/passwd", "CLOSED"], ids=["file", "closed-port"])
def test_file_and_closed_port_references_are_a_400(ref, template_admin, client_for, closed_port_url):
    ref = closed_port_url if ref == "CLOSED" else ref

    response = client_for(template_admin).post(TEMPLATES, {"name": "Probe", "custom_fields_schema": with_field({"$ref": ref})})

    assert response.status_code == 400
    assert codes(response) == [("custom_fields_schema", "remote_ref_not_allowed")]


@pytest.mark.parametrize(
    ("schema", "code"),
    [
        ({"$schema": "http://SERVER/dialect"}, "unknown_dialect"),
        ({"$schema": 5}, "unknown_dialect"),
        ({"$schema": ["https://json-schema.org/draft/2020-12/schema"]}, "unknown_dialect"),
        ({"$schema": "http://json-schema.org/draft-03/schema#"}, "unknown_dialect"),
        (with_field({"$schema": "http://SERVER/dialect", "type": "string"}), "unknown_dialect"),
        (with_field({"$ref": "#/$defs/missing"}), "unresolvable_ref"),
        (with_field({"$ref": "#/required"}, required=["v"]), "unresolvable_ref"),
        (with_field({"$dynamicRef": "#nowhere"}), "unresolvable_ref"),
        ({"type": "object", "properties": {"a": True, "v": {"$ref": "#/properties/a/items"}}}, "unresolvable_ref"),
        ({"type": "object", "$ref": "#"}, "ref_cycle"),
        (with_field({"$ref": "#/properties/v"}), "ref_cycle"),
        (
            {
                "type": "object",
                "$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"not": {"$ref": "#/$defs/a"}}},
                "$ref": "#/$defs/a",
            },
            "ref_cycle",
        ),
    ],
    ids=[
        "unknown-dialect",
        "dialect-a-number",
        "dialect-a-list",
        "draft-3",
        "unknown-dialect-inside",
        "missing-definition",
        "ref-to-a-non-schema",
        "missing-dynamic-anchor",
        "pointer-through-a-boolean",
        "root-refers-to-itself",
        "property-refers-to-itself",
        "cycle-through-allOf-and-not",
    ],
)
def test_a_schema_that_cannot_be_evaluated_is_refused_when_saved(
    schema, code, template_admin, client_for, internal_server, server_url
):
    schema = json.loads(json.dumps(schema).replace("http://SERVER", server_url))

    response = client_for(template_admin).post(TEMPLATES, {"name": "Probe", "custom_fields_schema": schema})

    assert response.status_code == 400, response.json()
    assert codes(response) == [("custom_fields_schema", code)]
    assert not TicketTemplate.objects.exists()
    assert internal_server.received == []


def test_local_references_still_work(template_admin, client_for, server_url):
    # References inside the schema, a remote-looking `$id` (a name, never fetched) and recursion that descends.
    schema = {
        "$id": f"{server_url}/templates/laptop.json",
        "type": "object",
        "$defs": {
            "cost_centre": {"type": "string", "pattern": "^CC-[0-9]{4}$"},
            "part": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "parts": {"type": "array", "items": {"$ref": "#/$defs/part"}}},
            },
        },
        "properties": {"cost_centre": {"$ref": "#/$defs/cost_centre"}, "kit": {"$ref": "#/$defs/part"}},
        "required": ["cost_centre"],
    }
    saved = client_for(template_admin).post(TEMPLATES, {"name": "Laptop", "custom_fields_schema": schema})
    template = saved.json()["id"]
    client = client_for(UserFactory())
    kit = {"name": "laptop", "parts": [{"name": "charger", "parts": [{"name": "cable"}]}]}

    accepted = client.post(
        TICKETS, {"title": "A", "template": template, "custom_fields": {"cost_centre": "CC-1234", "kit": kit}}
    )
    refused = client.post(
        TICKETS,
        {"title": "B", "template": template, "custom_fields": {"cost_centre": "1234", "kit": {"parts": [{"name": 5}]}}},
    )

    assert saved.status_code == 201
    assert accepted.status_code == 201, accepted.json()
    assert refused.status_code == 400
    assert sorted(codes(refused)) == [
        ("custom_fields.cost_centre", "pattern"),
        ("custom_fields.kit.parts.0.name", "type"),
    ]


# --- server-side request forgery: a schema stored before the rule ----------------------------------------------------


@pytest.mark.parametrize("ref", ["SERVER", "file:///etc/passwd", "CLOSED"], ids=["http", "file", "closed-port"])
def test_a_stored_remote_schema_refuses_tickets_without_fetching(ref, client_for, internal_server, server_url, closed_port_url):
    ref = {"SERVER": f"{server_url}/field.json", "CLOSED": closed_port_url}.get(ref, ref)
    template = TicketTemplateFactory(custom_fields_schema=with_field({"$ref": ref}))
    creator = UserFactory()

    response = client_for(creator).post(TICKETS, {"title": "A", "template": template.pk, "custom_fields": {"v": "x"}})

    assert response.status_code == 400
    assert codes(response) == [("custom_fields", "remote_ref_not_allowed")]
    assert SECRET not in response.content.decode()
    assert not Ticket.objects.exists()
    assert internal_server.received == []


def test_a_stored_remote_schema_refuses_custom_field_edits_without_fetching(client_for, internal_server, server_url):
    template = TicketTemplateFactory(custom_fields_schema=with_field({"$ref": f"{server_url}/field.json"}))
    creator = UserFactory()
    ticket = TicketFactory(created_by=creator, template=template, custom_fields={})

    response = client_for(creator).patch(f"{TICKETS}{ticket.pk}/", {"custom_fields": {"v": "x"}})

    assert response.status_code == 400
    assert codes(response) == [("custom_fields", "remote_ref_not_allowed")]
    ticket.refresh_from_db()
    assert ticket.custom_fields == {}
    assert internal_server.received == []


@pytest.mark.parametrize(
    ("schema", "code"),
    [
        (with_field({"$ref": "#/$defs/missing"}), "unresolvable_ref"),
        ({"type": "object", "$ref": "#"}, "ref_cycle"),
        ({"$schema": 5}, "unknown_dialect"),
    ],
    ids=["missing-definition", "ref-cycle", "dialect-a-number"],
)
def test_a_stored_schema_that_cannot_be_evaluated_is_a_400_not_a_crash(schema, code, client_for):
    template = TicketTemplateFactory(custom_fields_schema=schema)

    response = client_for(UserFactory()).post(TICKETS, {"title": "A", "template": template.pk, "custom_fields": {"v": "x"}})

    assert response.status_code == 400
    assert codes(response) == [("custom_fields", code)]
    assert not Ticket.objects.exists()


# --- the admin's template form goes through the same check ---------------------------------------------------------


def admin_form(**overrides):
    return {
        "name": "Probe",
        "description": "",
        "default_title": "",
        "default_description": "",
        "default_priority": "medium",
        "default_visibility": "internal",
        "custom_fields_schema": "{}",
        **overrides,
    }


def test_the_admin_refuses_a_remote_schema_and_fetches_nothing(internal_server, server_url):
    client = Client()
    client.force_login(AdminFactory())
    schema = json.dumps(with_field({"$ref": f"{server_url}/field.json"}))
    template = TicketTemplateFactory(name="Existing")

    added = client.post(f"{ADMIN_TEMPLATES}add/", admin_form(custom_fields_schema=schema))
    changed = client.post(f"{ADMIN_TEMPLATES}{template.pk}/change/", admin_form(name="Existing", custom_fields_schema=schema))

    for response in (added, changed):
        assert response.status_code == 200
        assert "points outside the schema" in str(response.context["adminform"].form.errors["custom_fields_schema"])
    assert list(TicketTemplate.objects.values_list("name", "custom_fields_schema")) == [("Existing", {})]
    assert internal_server.received == []


# --- formats ---------------------------------------------------------------------------------------------------------

# The formats each draft defines (its specification's list), by the validator class used for a schema of that draft.
DRAFT_FORMATS = {
    Draft4Validator: {"date-time", "email", "hostname", "ipv4", "ipv6", "uri"},
    Draft6Validator: {"date-time", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference", "uri-template", "json-pointer"},
    Draft7Validator: {
        "date-time", "date", "time", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6", "uri",
        "uri-reference", "iri", "iri-reference", "uri-template", "json-pointer", "relative-json-pointer", "regex",
    },
}  # fmt: skip
DRAFT_FORMATS[Draft201909Validator] = DRAFT_FORMATS[Draft7Validator] | {"duration", "uuid"}
DRAFT_FORMATS[Draft202012Validator] = DRAFT_FORMATS[Draft201909Validator]

# format -> (a value it accepts, a value it refuses)
FORMAT_VALUES = {
    "date": ("2026-12-03", "next tuesday"),
    "date-time": ("2026-12-03T10:00:00+02:00", "next tuesday"),
    "time": ("10:00:00+02:00", "25:00:00Z"),
    "duration": ("P3DT4H", "3 days"),
    "email": ("a@example.com", "not-an-email"),
    "idn-email": ("用户@例子.广告", "not-an-email"),
    "hostname": ("mail.example.com", "-bad-.example.com"),
    "idn-hostname": ("例子.广告", "-bad-.例子"),
    "ipv4": ("192.0.2.1", "256.1.1.1"),
    "ipv6": ("2001:db8::1", "2001:db8:::1"),
    "uri": ("https://example.com/a?b=c", "next tuesday"),
    "uri-reference": ("../a/b?c#d", "http://[bad"),
    "iri": ("https://例子.广告/路径", "not an iri"),
    "iri-reference": ("../路径", "http://[bad"),
    "uuid": ("123e4567-e89b-12d3-a456-426614174000", "123e4567"),
    "uri-template": ("https://example.com/{id}", "https://example.com/{id"),
    "json-pointer": ("/a/b", "a/b"),
    "relative-json-pointer": ("1/a", "/a"),
    "regex": ("^[a-z]+$", "[unclosed"),
}


@pytest.mark.parametrize("validator_class", list(DRAFT_FORMATS), ids=lambda cls: cls.__name__)
def test_every_format_of_the_draft_has_a_checker(validator_class):
    # jsonschema installs a checker only when its optional dependency is there (rfc3339-validator, webcolors, ...).
    missing = DRAFT_FORMATS[validator_class] - set(format_checker(validator_class).checkers)

    assert not missing, f"no checker for {sorted(missing)}: see requirements/base.txt"


def test_the_table_covers_every_format_of_the_default_draft():
    assert set(FORMAT_VALUES) == DRAFT_FORMATS[Draft202012Validator]


@pytest.fixture
def format_templates():
    return {
        fmt: TicketTemplateFactory(custom_fields_schema=with_field({"type": "string", "format": fmt})) for fmt in FORMAT_VALUES
    }


@pytest.mark.parametrize("fmt", list(FORMAT_VALUES))
def test_a_format_accepts_a_good_value_and_refuses_a_bad_one(fmt, format_templates, client_for):
    good, bad = FORMAT_VALUES[fmt]
    client = client_for(UserFactory())
    template = format_templates[fmt].pk

    accepted = client.post(TICKETS, {"title": "A", "template": template, "custom_fields": {"v": good}})
    refused = client.post(TICKETS, {"title": "B", "template": template, "custom_fields": {"v": bad}})

    assert accepted.status_code == 201, accepted.json()
    assert refused.status_code == 400
    assert codes(refused) == [("custom_fields.v", "format")]
    assert list(Ticket.objects.values_list("custom_fields", flat=True)) == [{"v": good}]


def test_a_draft_7_template_checks_its_own_formats(client_for):
    # The dialect's checker is used: draft 7 defines `time` (with an offset); `duration` is only an annotation there.
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"at": {"type": "string", "format": "time"}, "took": {"type": "string", "format": "duration"}},
    }
    template = TicketTemplateFactory(custom_fields_schema=schema).pk
    client = client_for(UserFactory())

    accepted = client.post(
        TICKETS, {"title": "A", "template": template, "custom_fields": {"at": "10:00:00+02:00", "took": "?"}}
    )
    refused = client.post(TICKETS, {"title": "B", "template": template, "custom_fields": {"at": "25:00:00Z"}})

    assert accepted.status_code == 201, accepted.json()
    assert codes(refused) == [("custom_fields.at", "format")]


def test_an_unknown_format_is_an_annotation(template_admin, client_for):
    schema = with_field({"type": "string", "format": "employee-number"})

    saved = client_for(template_admin).post(TEMPLATES, {"name": "HR", "custom_fields_schema": schema})
    ticket = client_for(UserFactory()).post(
        TICKETS, {"title": "A", "template": saved.json()["id"], "custom_fields": {"v": "anything"}}
    )

    assert saved.status_code == 201
    assert ticket.status_code == 201
