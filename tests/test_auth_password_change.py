"""A password change ends every token issued before it (issue 12 item 4), whichever way the password is changed; verify
answers 401 for any token the API would refuse."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
VERIFY_URL = "/api/v1/auth/token/verify/"
ME_URL = "/api/v1/me/"
NEW_PASSWORD = "a-new-long-passphrase-2026"


def obtain(username: str, password: str = "pass-12345") -> dict[str, str]:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def me(access: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME_URL)


def refresh(token: str) -> Any:
    return APIClient().post(REFRESH_URL, {"refresh": token}, format="json")


def verify(token: str) -> Any:
    return APIClient().post(VERIFY_URL, {"token": token}, format="json")


def assert_401(response: Any) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["type"] == "client_error"
    assert len(response.json()["errors"]) == 1


def assert_tokens_ended(tokens: dict[str, str]) -> None:
    assert_401(me(tokens["access"]))
    assert_401(refresh(tokens["refresh"]))
    assert_401(verify(tokens["access"]))
    assert_401(verify(tokens["refresh"]))


def change_in_the_admin(user: Any) -> None:
    admin = Client()
    admin.force_login(AdminFactory())
    response = admin.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content


def change_with_set_password(user: Any) -> None:
    user.set_password(NEW_PASSWORD)
    user.save()


def change_with_the_command(user: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("getpass.getpass", lambda *args, **kwargs: NEW_PASSWORD)
    call_command("changepassword", user.username, stdout=None)


@pytest.mark.parametrize("change", ["admin", "set_password", "changepassword"])
def test_a_password_change_ends_the_tokens_issued_before_it(change, monkeypatch):
    user = UserFactory(username="alice")
    tokens = obtain("alice")
    user.first_name = "Alicia"
    user.save()  # a save without a password change keeps them
    assert me(tokens["access"]).status_code == 200

    if change == "admin":
        change_in_the_admin(user)
    elif change == "set_password":
        change_with_set_password(user)
    else:
        change_with_the_command(user, monkeypatch)

    assert_tokens_ended(tokens)
    fresh = obtain("alice", NEW_PASSWORD)
    assert me(fresh["access"]).status_code == 200
    assert verify(fresh["access"]).status_code == 200
    assert refresh(fresh["refresh"]).status_code == 200


def test_a_refresh_rotated_before_the_change_is_ended_too():
    user = UserFactory(username="alice")
    rotated = refresh(obtain("alice")["refresh"]).json()

    change_with_set_password(user)

    assert_tokens_ended(rotated)


def test_a_token_without_the_password_claim_is_refused():
    user = UserFactory()
    token = AccessToken.for_user(user)
    del token["hash_password"]

    assert_401(me(str(token)))
    assert_401(verify(str(token)))


def test_verify_refuses_the_tokens_of_a_deactivated_user():
    user = UserFactory(username="leaver")
    tokens = obtain("leaver")
    assert verify(tokens["access"]).status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_401(verify(tokens["access"]))
    assert_401(verify(tokens["refresh"]))


def test_verify_refuses_the_tokens_of_a_deleted_user():
    user = UserFactory(username="gone")
    tokens = obtain("gone")

    user.delete()

    assert_401(verify(tokens["access"]))
    assert_401(verify(tokens["refresh"]))


def test_verify_refuses_a_blacklisted_refresh_token():
    UserFactory(username="alice")
    tokens = obtain("alice")
    assert APIClient().post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json").status_code == 204

    assert_401(verify(tokens["refresh"]))
