"""Signing in (with the login lockout shared with the API), signing out, changing the password, the landing page."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from approvals.tests.factories import template_with
from tests.factories import UserFactory
from tickets.models import TicketStatus
from tickets.services import tickets as ticket_services
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-12345"


def test_the_workspace_asks_a_stranger_to_sign_in():
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_sign_in_with_username_and_password_lands_on_my_requests():
    UserFactory(username="alice")
    client = Client()

    page = client.get("/login/")
    response = client.post("/login/", {"username": "alice", "password": PASSWORD, "next": "/"})

    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    assert response.status_code == 302
    assert client.get("/")["Location"] == "/requests/"


def test_a_wrong_password_shows_the_form_again_with_an_error():
    UserFactory(username="alice")

    response = Client().post("/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in Client().session


def test_failures_at_the_workspace_login_lock_the_api_too(settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="alice")
    client = Client(REMOTE_ADDR="10.9.0.1")

    statuses = [client.post("/login/", {"username": "alice", "password": f"guess-{n}"}).status_code for n in range(3)]
    right = client.post("/login/", {"username": "alice", "password": PASSWORD})
    token = APIClient(REMOTE_ADDR="10.9.0.2").post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )

    assert statuses == [200, 200, 429]
    assert right.status_code == 429
    assert b"Too many failed sign-ins" in right.content
    assert token.status_code == 429


def test_sign_out_is_a_post():
    user = UserFactory()
    client = Client()
    client.force_login(user)

    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/")["Location"].startswith("/login/")


def test_change_password_keeps_the_session_and_ends_the_api_tokens():
    UserFactory(username="alice")
    token = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").json()
    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})

    refused = client.post("/password/", {"old_password": "nope", "new_password1": "x", "new_password2": "x"})
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "a-long-new-phrase-77", "new_password2": "a-long-new-phrase-77"},
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access']}")

    assert refused.status_code == 200
    assert b"Your old password was entered incorrectly" in refused.content
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # still signed in: redirected to a page, not to the login
    assert not client.get("/")["Location"].startswith("/login/")
    assert api.get("/api/v1/me/").status_code == 401


def test_agents_land_on_their_queue_and_approvers_with_work_on_their_approvals():
    agent = UserFactory(perms=["tickets.work_on_ticket"])
    approver, requester = UserFactory(), UserFactory()
    ticket = TicketFactory(created_by=requester, approval_template=template_with(("all", [approver])))
    ticket_services.ticket_transition(ticket=ticket, actor=requester, to_status=TicketStatus.WAITING_APPROVAL)

    def landing(user):
        client = Client()
        client.force_login(user)
        return client.get("/")["Location"]

    assert landing(agent) == "/queues/unassigned/"
    assert landing(approver) == "/approvals/"
    assert landing(requester) == "/requests/"


def test_workspace_pages_are_not_cached_and_carry_the_csp():
    client = Client()
    client.force_login(UserFactory())

    response = client.get("/login/", follow=False)

    assert "no-store" in response["Cache-Control"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]


def test_a_refused_htmx_action_swaps_the_error_into_the_main_area():
    client = Client()
    client.force_login(UserFactory())

    response = client.get("/tickets/NO-SUCH-1/", HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert response["HX-Retarget"] == "#main"
    assert response["HX-Reselect"] == "#main"
