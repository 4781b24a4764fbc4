"""Brute force (issue 12 item 2): a login lockout per username and per client address (django-axes), shared by the token
endpoint and the admin login and kept in the database (so every web process sees it); the client address from
`NUM_PROXIES`, never from a header the client controls; the token throttle counted in the shared database cache;
lockouts visible and resettable in the admin."""

from __future__ import annotations

from typing import Any

import pytest
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import AdminFactory, UserFactory
from tests.test_production_settings import manage, production_env

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
VERIFY_URL = "/api/v1/auth/token/verify/"
ADMIN_LOGIN_URL = "/admin/login/"
LIMIT = 3
PASSWORD = "pass-12345"


@pytest.fixture(autouse=True)
def lockout_limit(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def behind_one_proxy(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def token_login(username: str, password: str, **meta: str) -> Any:
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json", **meta)


def admin_login(client: Client, username: str, password: str) -> Any:
    return client.post(ADMIN_LOGIN_URL, {"username": username, "password": password, "next": "/admin/"})


def assert_locked_out(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "locked_out", "detail": response.json()["errors"][0]["detail"], "attr": None}],
    }
    assert "Too many failed logins" in response.json()["errors"][0]["detail"]
    assert response["Retry-After"] == str(int(django_settings.AXES_COOLOFF_TIME.total_seconds()))


# --- the token endpoint and the admin share one lockout -------------------------------------------------------------


def test_wrong_passwords_then_the_right_one_is_refused_on_the_token_endpoint():
    UserFactory(username="alice")

    statuses = [token_login("alice", f"guess-{n}").status_code for n in range(LIMIT)]

    assert statuses == [401] * (LIMIT - 1) + [429]
    assert_locked_out(token_login("alice", PASSWORD))


def test_wrong_passwords_then_the_right_one_is_refused_on_the_admin_login():
    AdminFactory(username="root")
    client = Client()
    for n in range(LIMIT):
        admin_login(client, "root", f"guess-{n}")

    response = admin_login(client, "root", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still the login page


def test_failures_on_the_token_endpoint_lock_the_admin_login_and_back():
    AdminFactory(username="root")
    UserFactory(username="alice")
    for n in range(LIMIT):
        token_login("root", f"guess-{n}", REMOTE_ADDR=f"10.0.0.{n}")
    admin_login(Client(REMOTE_ADDR="10.0.1.1"), "alice", "guess")
    for n in range(LIMIT - 1):
        token_login("alice", f"guess-{n}", REMOTE_ADDR=f"10.0.2.{n}")

    assert admin_login(Client(REMOTE_ADDR="10.0.3.1"), "root", PASSWORD).status_code == 429
    assert_locked_out(token_login("alice", PASSWORD, REMOTE_ADDR="10.0.3.2"))


# --- per account and per client ----------------------------------------------------------------------------------------


def test_an_account_is_locked_whatever_address_the_guesses_come_from():
    UserFactory(username="alice")
    UserFactory(username="bob")
    for n in range(LIMIT):
        token_login("alice", f"guess-{n}", REMOTE_ADDR=f"192.0.2.{n + 1}")

    assert_locked_out(token_login("alice", PASSWORD, REMOTE_ADDR="192.0.2.200"))
    assert token_login("bob", PASSWORD, REMOTE_ADDR="192.0.2.1").status_code == 200  # one failure there, no lock


def test_a_client_is_locked_whatever_usernames_it_tries_and_forwarded_for_headers_do_not_help():
    """NUM_PROXIES=0 (the default): X-Forwarded-For is anyone's to send, so a new value per try changes nothing."""
    UserFactory(username="alice")
    for n in range(LIMIT):
        token_login(f"nobody-{n}", "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}")

    assert_locked_out(token_login("alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_one_proxy_the_client_is_the_address_the_proxy_forwarded():
    UserFactory(username="alice")
    UserFactory(username="bob")
    # The proxy appends the address it saw; whatever the client put in front is not trusted.
    for n in range(LIMIT):
        token_login(f"nobody-{n}", "guess", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7")

    assert_locked_out(token_login("alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7"))
    assert token_login("bob", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7, 198.51.100.8").status_code == 200
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


# --- shared by every process ------------------------------------------------------------------------------------------


def test_the_lockout_lives_in_the_database_not_in_a_process():
    UserFactory(username="alice")
    for n in range(LIMIT):
        token_login("alice", f"guess-{n}")

    assert AccessAttempt.objects.get(username="alice").failures_since_start == LIMIT  # the state every process reads
    AxesProxyHandler.get_implementation(force=True)  # what another web process starts with: a new handler

    assert_locked_out(token_login("alice", PASSWORD))


def test_the_token_throttle_ignores_forwarded_for_and_counts_in_the_database_cache(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    client = APIClient()

    statuses = [
        client.post(VERIFY_URL, {"token": "x"}, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(4)
    ]

    assert statuses == [401, 401, 401, 429]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {connection.ops.quote_name(django_settings.CACHES['default']['LOCATION'])}")
        keys = [key for (key,) in cursor.fetchall()]
    assert [key for key in keys if "throttle_auth_127.0.0.1" in key], keys


def test_production_defaults_share_the_counters_and_trust_no_forwarded_for():
    code = (
        "from django.conf import settings; "
        "print(settings.CACHES['default']['BACKEND'], settings.REST_FRAMEWORK['NUM_PROXIES'], settings.NUM_PROXIES, "
        "settings.AXES_FAILURE_LIMIT, int(settings.AXES_COOLOFF_TIME.total_seconds()), settings.AXES_HANDLER)"
    )

    result = manage("shell", "--no-imports", "-c", code, env=production_env())

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.db.DatabaseCache",
        "0",
        "0",
        "10",
        "900",
        "axes.handlers.database.AxesDatabaseHandler",
    ]


# --- visible to admins, and resettable --------------------------------------------------------------------------------


def test_admins_see_the_lockout_and_deleting_the_attempt_unlocks():
    UserFactory(username="alice")
    for n in range(LIMIT):
        token_login("alice", f"guess-{n}")
    admin = Client()
    admin.force_login(AdminFactory())

    attempts = admin.get("/admin/axes/accessattempt/")
    failures = admin.get("/admin/axes/accessfailurelog/?username=alice")

    assert attempts.status_code == 200
    assert "alice" in attempts.text and "Locked Out" in attempts.text
    assert failures.status_code == 200
    assert AccessFailureLog.objects.filter(username="alice").count() == LIMIT
    attempt = AccessAttempt.objects.get(username="alice")
    response = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert token_login("alice", PASSWORD).status_code == 200
