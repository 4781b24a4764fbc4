"""The OpenAPI schema documents every ticket, template, timeline and attachment endpoint of SPEC §10/§12: paths and
methods, request bodies, SPEC fields, enums, the refusals each endpoint answers, and no generator warnings."""

import json

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tickets.models import EventType, TicketStatus

pytestmark = pytest.mark.django_db

# SPEC §10: the tickets app's resources and sub-resources, with the methods the product offers.
ENDPOINTS = {
    "/api/v1/tickets/": {"get", "post"},
    "/api/v1/tickets/{id}/": {"get", "patch", "delete"},
    "/api/v1/tickets/{id}/transition/": {"post"},
    "/api/v1/tickets/bulk/": {"post"},
    "/api/v1/tickets/{id}/timeline/": {"get"},
    "/api/v1/tickets/{id}/comments/": {"get", "post"},
    "/api/v1/tickets/{id}/comments/{note_id}/": {"patch", "delete"},
    "/api/v1/tickets/{id}/comments/{note_id}/redact/": {"post"},
    "/api/v1/tickets/{ticket_id}/attachments/": {"get", "post"},
    "/api/v1/attachments/{id}/": {"get", "delete"},
    "/api/v1/attachments/{id}/download/": {"get"},
    "/api/v1/ticket-templates/": {"get", "post"},
    "/api/v1/ticket-templates/{id}/": {"get", "patch", "delete"},
    "/api/v1/ticket-templates/{template_id}/attachments/": {"get", "post"},
    "/api/v1/categories/": {"get", "post"},
    "/api/v1/categories/{id}/": {"get", "patch", "delete"},
    "/api/v1/labels/": {"get", "post"},
    "/api/v1/labels/{id}/": {"get", "patch", "delete"},
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(openapi_document):
    return json.loads(openapi_document)


def operation(schema, route, method):
    return schema["paths"][route][method]


def component(schema, ref_holder):
    ref = ref_holder["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def body_schema(schema, route, method, media="application/json"):
    return component(schema, operation(schema, route, method)["requestBody"]["content"][media]["schema"])


def response_schema(schema, route, method, code):
    return component(schema, operation(schema, route, method)["responses"][code]["content"]["application/json"]["schema"])


def test_every_endpoint_and_method_is_documented_and_nothing_else(schema):
    documented = {
        route: {method for method in operations if method in HTTP_METHODS}
        for route, operations in schema["paths"].items()
        if route in ENDPOINTS
    }

    assert documented == ENDPOINTS


def test_the_tickets_app_generates_its_schema_without_warnings_and_it_is_valid():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("tickets.urls"))])

    generated = generator.get_schema(request=None, public=True)

    assert (dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache)) == ({}, {})
    validate_schema(generated)
    assert set(generated["paths"]) == {route for route in ENDPOINTS}


def test_ticket_shape_and_writable_fields(schema):
    ticket = response_schema(schema, "/api/v1/tickets/{id}/", "get", "200")
    create = body_schema(schema, "/api/v1/tickets/", "post")
    update = body_schema(schema, "/api/v1/tickets/{id}/", "patch")
    spec_fields = {
        "id", "key", "title", "description", "status", "priority", "visibility", "template", "approval_template",
        "custom_fields", "assignee", "due_at", "categories", "labels", "created_by", "created_at", "updated_by",
        "updated_at", "resolved_at", "closed_at", "allowed_transitions",
    }  # fmt: skip
    writable_on_create = {
        "title", "description", "priority", "visibility", "template", "approval_template", "custom_fields", "assignee",
        "due_at", "categories", "labels",
    }  # fmt: skip

    assert spec_fields <= set(ticket["properties"])
    assert set(create["properties"]) == writable_on_create
    assert set(update["properties"]) == writable_on_create - {"template"}  # status only through transition
    transitions = ticket["properties"]["allowed_transitions"]
    assert transitions["type"] == "array"
    assert component(schema, transitions["items"])["enum"] == TicketStatus.values


def test_list_filters_search_ordering_and_pagination_are_documented(schema):
    list_op = operation(schema, "/api/v1/tickets/", "get")
    parameters = {parameter["name"] for parameter in list_op["parameters"]}
    page = component(schema, list_op["responses"]["200"]["content"]["application/json"]["schema"])

    assert parameters >= {
        "status", "priority", "visibility", "assignee", "creator", "category", "label", "template", "created_after",
        "created_before", "updated_after", "updated_before", "mine", "search", "ordering", "page", "page_size",
    }  # fmt: skip
    assert set(page["properties"]) >= {"count", "next", "previous", "results"}


def test_transition_documents_its_body_and_both_refusals(schema):
    route = "/api/v1/tickets/{id}/transition/"
    body = body_schema(schema, route, "post")
    responses = operation(schema, route, "post")["responses"]

    assert body["required"] == ["status"]
    assert set(body["properties"]) == {"status", "comment"}
    assert component(schema, body["properties"]["status"])["enum"] == TicketStatus.values
    assert {"200", "400", "403", "404", "409"} <= set(responses)


@pytest.mark.parametrize(("route", "method"), [("/api/v1/tickets/{id}/", "patch"), ("/api/v1/tickets/{id}/", "delete")])
def test_ticket_writes_document_their_refusals(schema, route, method):
    assert {"403", "404", "409"} <= set(operation(schema, route, method)["responses"])


def test_timeline_entries_and_comments(schema):
    page = response_schema(schema, "/api/v1/tickets/{id}/timeline/", "get", "200")
    entry = component(schema, page["properties"]["results"]["items"])
    comment_body = body_schema(schema, "/api/v1/tickets/{id}/comments/", "post")
    event_type = entry["properties"]["event_type"]

    assert {"id", "system", "event_type", "event_details", "note", "created_by", "created_at"} <= set(entry["properties"])
    assert event_type["nullable"] is True  # comments have none
    enums = [component(schema, option) for option in event_type["oneOf"]]
    assert EventType.values in [option.get("enum") for option in enums]
    assert set(comment_body["properties"]) == {"note"}
    assert "201" in operation(schema, "/api/v1/tickets/{id}/comments/", "post")["responses"]
    assert {"403", "404", "409"} <= set(operation(schema, "/api/v1/tickets/{id}/comments/{note_id}/", "patch")["responses"])


def test_comment_redaction_documents_its_body_result_and_refusals(schema):
    route = "/api/v1/tickets/{id}/comments/{note_id}/redact/"
    body = body_schema(schema, route, "post")
    entry = response_schema(schema, route, "post", "200")

    assert set(body["properties"]) == {"reason"}
    assert body.get("required", []) == []
    assert {"redacted_by", "redacted_at", "note"} <= set(entry["properties"])
    assert {"200", "400", "403", "404", "409"} <= set(operation(schema, route, "post")["responses"])


UPLOADS = ["/api/v1/tickets/{ticket_id}/attachments/", "/api/v1/ticket-templates/{template_id}/attachments/"]


@pytest.mark.parametrize("route", UPLOADS)
def test_uploads_are_multipart_with_their_limits(schema, route):
    body = body_schema(schema, route, "post", media="multipart/form-data")
    responses = operation(schema, route, "post")["responses"]
    attachment = response_schema(schema, route, "post", "201")

    assert list(operation(schema, route, "post")["requestBody"]["content"]) == ["multipart/form-data"]
    assert body["properties"]["file"] == {**body["properties"]["file"], "type": "string", "format": "binary"}
    assert "file" in body["required"]
    assert {"201", "400", "403", "404", "413", "415"} <= set(responses)
    assert {
        "id", "ticket", "note", "template", "file_name", "size", "content_type", "sha256", "created_by", "created_at",
        "download_url",
    } <= set(attachment["properties"])  # fmt: skip


def test_download_is_documented_as_bytes(schema):
    ok = operation(schema, "/api/v1/attachments/{id}/download/", "get")["responses"]["200"]

    assert ok["content"] == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


def test_template_shape(schema):
    template = response_schema(schema, "/api/v1/ticket-templates/{id}/", "get", "200")

    assert {
        "id", "name", "description", "default_priority", "default_visibility", "categories", "labels",
        "approval_template", "custom_fields_schema",
    } <= set(template["properties"])  # fmt: skip
