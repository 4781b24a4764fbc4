"""Bad input at the parser: oversized, deeply nested, NUL-bearing or malformed bodies get a 4xx and change nothing."""

import json

import pytest
from django.test import override_settings

from tests.factories import UserFactory
from tickets.models import Label, TicketVisibility
from tickets.tests.factories import TicketFactory

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


# --- query parameters --------------------------------------------------------------------------------------------


def test_form_encoded_body_is_415_on_json_endpoints(label_writer):
    response = post_raw(label_writer, "name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert not Label.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "updated_before=",
        "mine=maybe",
        "mine=",
        "assignee=1.5",
        "assignee=0",
        f"assignee={2**64}",
        "category=-4.6e143",
        "status=not-a-status",
        "page_size=500",
    ],
)
def test_loose_ticket_list_parameters_are_400(client_for, query):
    response = client_for(UserFactory()).get(f"/api/v1/tickets/?{query}")
    assert response.status_code == 400, query
    body = response.json()
    assert body["type"] == "validation_error"
    assert body["errors"][0]["attr"] == query.split("=")[0]


def test_id_filters_answer_the_same_for_hidden_and_missing_rows(client_for):
    """An id filter is no oracle: a hidden ticket's id and an id that names nothing both give an empty page."""
    hidden = TicketFactory(visibility=TicketVisibility.RESTRICTED)
    client = client_for(UserFactory())
    for path in ["/api/v1/approvals/", "/api/v1/access-requests/"]:
        for ticket_id in [hidden.pk, hidden.pk + 1000]:
            response = client.get(path, {"ticket": ticket_id})
            assert response.status_code == 200, (path, ticket_id)
            assert response.json()["count"] == 0
