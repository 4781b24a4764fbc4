"""Response headers (docs/security.md "Response headers"): a CSP without inline script, no caching of API responses
(ticket data, tokens), and a Permissions-Policy on every response."""

import pytest

from tests.factories import UserFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


@pytest.mark.parametrize("path", ["/api/docs/", "/admin/login/", "/api/v1/tickets/"])
def test_the_csp_allows_scripts_from_our_own_origin_only(client, path):
    response = client.get(path)

    assert directives(response)["script-src"] == ["'self'"]


def test_api_responses_with_ticket_data_are_not_stored(client_for):
    requester = UserFactory()
    ticket = TicketFactory(created_by=requester)
    client = client_for(requester)

    for path in ("/api/v1/tickets/", f"/api/v1/tickets/{ticket.pk}/", f"/api/v1/tickets/{ticket.pk}/timeline/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], path


def test_api_refusals_and_token_responses_are_not_stored(api_client):
    UserFactory(username="bob")

    refused = api_client.get("/api/v1/tickets/")
    token = api_client.post("/api/v1/auth/token/", {"username": "bob", "password": "pass-12345"})

    assert refused.status_code == 401
    assert "no-store" in refused["Cache-Control"]
    assert token.status_code == 200
    assert "no-store" in token["Cache-Control"]


def test_jwt_authenticated_api_responses_are_not_stored(api_client):
    UserFactory(username="carol")
    access = api_client.post("/api/v1/auth/token/", {"username": "carol", "password": "pass-12345"}).json()["access"]

    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/healthz", "/admin/login/", "/api/docs/", "/api/v1/tickets/", "/no-such-page/"])
def test_every_response_carries_the_permissions_policy(client, path):
    response = client.get(path)

    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
