"""Bad input at the parser: oversized, deeply nested, NUL-bearing or malformed bodies get a 4xx and change nothing."""

import json

import pytest
from django.test import override_settings

from tests.factories import UserFactory
from tickets.models import Label

pytestmark = pytest.mark.django_db


@pytest.fixture
def label_writer(client_for):
    return client_for(UserFactory(perms=["tickets.add_label"]))


def post_raw(client, body: str, content_type: str = "application/json"):
    return client.generic("POST", "/api/v1/labels/", body, content_type=content_type)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_oversized_json_body_is_413(label_writer):
    response = post_raw(label_writer, json.dumps({"name": "big", "description": "x" * 5000}))
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "payload_too_large"
    assert not Label.objects.exists()


def test_deeply_nested_json_is_400(label_writer):
    nested: dict = {}
    for _ in range(50):
        nested = {"a": nested}
    response = post_raw(label_writer, json.dumps({"name": "deep", "extra": nested}))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_nul_character_in_string_is_400(label_writer):
    response = post_raw(label_writer, json.dumps({"name": "nul\u0000name"}))
    assert response.status_code == 400
    assert not Label.objects.exists()


def test_unsupported_content_type_is_415(label_writer):
    response = post_raw(label_writer, "name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"


def test_json_array_body_is_400(label_writer):
    response = post_raw(label_writer, "[1, 2]")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_over_long_name_is_400(label_writer):
    response = post_raw(label_writer, json.dumps({"name": "x" * 1000}))
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "name"
