"""Swagger UI at /api/docs/ works offline under our CSP: its files come from drf-spectacular-sidecar (our static files),
its start-up script is a file, and the schema groups every path under one tag per area. tests/browser/ renders it."""

import json
import re
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(openapi_document) -> dict:
    return json.loads(openapi_document)


def test_the_docs_page_loads_swagger_ui_from_our_static_files_with_no_inline_script(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert sources, html
    for source in sources:
        assert source.startswith(("/static/", "/api/docs/")), source  # nothing from a CDN
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # every script is a file
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f"/static/drf_spectacular_sidecar/swagger-ui-dist/{asset}" in sources
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}")


def test_the_start_up_script_is_served_as_javascript_and_points_at_the_schema(client):
    response = client.get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/schema/"' in response.content.decode()


def test_every_operation_has_one_declared_tag_and_every_tag_is_used(schema):
    declared = [tag["name"] for tag in settings.SPECTACULAR_SETTINGS["TAGS"]]
    assert [tag["name"] for tag in schema["tags"]] == declared
    used = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert len(operation["tags"]) == 1 and operation["tags"][0] in declared, (method, path, operation["tags"])
            used.add(operation["tags"][0])
    assert used == set(declared)


@pytest.mark.parametrize(
    ("path", "tag"),
    [
        ("/api/v1/auth/token/", "auth"),
        ("/api/v1/tickets/{id}/comments/", "tickets"),
        ("/api/v1/tickets/{ticket_id}/attachments/", "attachments"),
        ("/api/v1/ticket-templates/{template_id}/attachments/", "attachments"),
        ("/api/v1/tickets/{ticket_id}/permissions/{id}/", "grants"),
        ("/api/v1/tickets/{ticket_id}/access-requests/", "access requests"),
        ("/api/v1/tickets/{ticket_id}/approvals/", "approvals"),
        ("/api/v1/approval-templates/", "approvals"),
        ("/api/v1/labels/", "classification"),
        ("/api/v1/notification-rules/", "notifications"),
        ("/api/v1/me/notification-preferences/", "notifications"),
        ("/api/v1/me/", "directory"),
    ],
)
def test_a_path_is_tagged_by_the_area_it_names_last(schema, path, tag):
    assert {operation["tags"][0] for operation in schema["paths"][path].values()} == {tag}


def test_the_schema_is_built_once_per_process_and_again_after_a_setting_it_is_built_from_changes(client):
    builds = []
    build = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        builds.append(1)
        return build(self, *args, **kwargs)

    def schema():
        response = client.get("/api/schema/?format=json")
        assert response.status_code == 200
        return response.content

    renamed = {**settings.SPECTACULAR_SETTINGS, "TITLE": "Renamed desk API"}
    with mock.patch.object(SchemaGenerator, "get_schema", counted):
        documents = [schema()]
        built_before = len(builds)  # 0 when this process served it already
        with override_settings(SITE_URL="https://desk.example.com"):  # not a setting the document is built from
            documents.append(schema())
        kept = len(builds) == built_before
        with override_settings(SPECTACULAR_SETTINGS=renamed):
            documents += [schema(), schema()]
        documents.append(schema())

    assert kept
    assert len(builds) - built_before == 2  # once under the changed setting, once after it
    assert len(set(documents)) == 1
    assert json.loads(documents[0])["info"]["title"] == settings.SPECTACULAR_SETTINGS["TITLE"]
