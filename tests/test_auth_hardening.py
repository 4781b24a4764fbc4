"""JWT hardening (issue 9): a dedicated signing key, issuer and audience checked, a small leeway, tokens of deactivated
or deleted users refused at once, the blacklist app in use. Completes tests/test_auth.py; the refresh race is in
tests/test_auth_concurrency.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.apps import apps
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from tests.factories import UserFactory
from tests.test_production_settings import manage, production_env

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/me/"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def obtain(username: str) -> dict[str, str]:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": "pass-12345"}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def claims_for(user: Any, **overrides: Any) -> dict[str, Any]:
    """The claims of a valid access token of `user`; overrides replace claims, None removes one."""
    claims = {
        "token_type": "access",
        "user_id": str(user.pk),
        "exp": int(time.time()) + 300,
        "iat": int(time.time()),
        "jti": f"jti-{user.pk}-{time.monotonic_ns()}",
        "iss": settings.SIMPLE_JWT["ISSUER"],
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
        "hash_password": get_md5_hash_password(user.password),
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def signed(claims: dict[str, Any], key: str | None = None) -> str:
    return jwt.encode(claims, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def assert_refused(response: Any) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["type"] == "client_error"


# --- the signing key ------------------------------------------------------------------------------------------------


def test_tokens_are_signed_with_the_dedicated_key_not_the_django_secret():
    assert settings.SIMPLE_JWT["SIGNING_KEY"] == settings.JWT_SIGNING_KEY
    assert settings.JWT_SIGNING_KEY != settings.SECRET_KEY
    assert settings.SIMPLE_JWT["ALGORITHM"] == "HS256"


def test_a_token_signed_with_the_django_secret_key_is_refused():
    user = UserFactory()

    assert bearer(signed(claims_for(user))).get(ME_URL).status_code == 200
    assert_refused(bearer(signed(claims_for(user), key=settings.SECRET_KEY)).get(ME_URL))


def test_production_refuses_to_start_without_a_jwt_signing_key():
    env = production_env()
    del env["JWT_SIGNING_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY" in result.stderr


def test_production_signs_with_the_jwt_signing_key_variable():
    env = production_env(JWT_SIGNING_KEY="dedicated-jwt-key-" + "x" * 40)
    code = (
        "from django.conf import settings; "
        "print(settings.SIMPLE_JWT['SIGNING_KEY'] == 'dedicated-jwt-key-' + 'x' * 40, "
        "settings.SIMPLE_JWT['SIGNING_KEY'] == settings.SECRET_KEY)"
    )

    result = manage("shell", "--no-imports", "-c", code, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


# --- issuer, audience, leeway ---------------------------------------------------------------------------------------


def test_issuer_and_audience_are_configured():
    assert settings.SIMPLE_JWT["ISSUER"]
    assert settings.SIMPLE_JWT["AUDIENCE"]


@pytest.mark.parametrize(
    "overrides",
    [{"iss": "someone-else"}, {"iss": None}, {"aud": "another-api"}, {"aud": None}, {"iss": None, "aud": None}],
    ids=["wrong-issuer", "no-issuer", "wrong-audience", "no-audience", "neither"],
)
def test_a_token_with_a_wrong_or_missing_issuer_or_audience_is_refused(overrides):
    user = UserFactory()

    assert_refused(bearer(signed(claims_for(user, **overrides))).get(ME_URL))


def test_a_refresh_token_for_another_audience_is_refused():
    user = UserFactory()
    claims = claims_for(user, token_type="refresh", aud="another-api", exp=int(time.time()) + 3600)

    assert_refused(APIClient().post(REFRESH_URL, {"refresh": signed(claims)}, format="json"))


def test_the_leeway_is_a_few_seconds():
    assert 0 < settings.SIMPLE_JWT["LEEWAY"] <= 10


def test_a_token_expired_within_the_leeway_is_accepted_and_one_expired_longer_ago_is_refused():
    user = UserFactory()
    now = int(time.time())

    assert bearer(signed(claims_for(user, exp=now - 1))).get(ME_URL).status_code == 200
    assert_refused(bearer(signed(claims_for(user, exp=now - 30))).get(ME_URL))


def test_access_tokens_live_ten_minutes_by_default():
    user = UserFactory()
    token = AccessToken.for_user(user)

    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=10)
    assert token["exp"] - token["iat"] == 600


# --- deactivated and deleted users ------------------------------------------------------------------------------------


def test_a_deactivated_users_refresh_token_is_refused_at_once():
    user = UserFactory(username="leaver")
    tokens = obtain("leaver")
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_refused(APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json"))
    assert_refused(bearer(tokens["access"]).get(ME_URL))


def test_a_deleted_users_access_token_is_refused_at_once():
    user = UserFactory(username="gone")
    tokens = obtain("gone")
    user.delete()

    assert_refused(bearer(tokens["access"]).get(ME_URL))


def test_a_deleted_users_refresh_token_is_refused_at_once():
    user = UserFactory(username="gone")
    tokens = obtain("gone")
    user.delete()

    assert_refused(APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json"))


def test_a_deactivated_user_cannot_obtain_tokens():
    UserFactory(username="leaver", is_active=False)

    response = APIClient().post(TOKEN_URL, {"username": "leaver", "password": "pass-12345"}, format="json")

    assert_refused(response)


# --- the blacklist ----------------------------------------------------------------------------------------------------


def test_the_blacklist_app_is_installed_and_migrated():
    assert apps.is_installed("rest_framework_simplejwt.token_blacklist")
    assert settings.SIMPLE_JWT["ROTATE_REFRESH_TOKENS"] is True
    assert settings.SIMPLE_JWT["BLACKLIST_AFTER_ROTATION"] is True
    assert BlacklistedToken.objects.count() == 0  # the table exists


def test_obtaining_records_the_refresh_token_and_rotation_blacklists_it():
    UserFactory(username="alice")
    tokens = obtain("alice")
    jti = RefreshToken(tokens["refresh"])["jti"]
    assert OutstandingToken.objects.filter(jti=jti).exists()

    rotated = APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")

    assert rotated.status_code == 200
    assert BlacklistedToken.objects.filter(token__jti=jti).exists()
    new_jti = RefreshToken(rotated.json()["refresh"])["jti"]
    assert OutstandingToken.objects.filter(jti=new_jti).exists()
    assert not BlacklistedToken.objects.filter(token__jti=new_jti).exists()


def test_logout_blacklists_and_a_second_logout_is_refused():
    UserFactory(username="alice")
    refresh = obtain("alice")["refresh"]

    assert APIClient().post(LOGOUT_URL, {"refresh": refresh}, format="json").status_code == 204

    assert BlacklistedToken.objects.filter(token__jti=RefreshToken(refresh, verify=False)["jti"]).exists()
    assert_refused(APIClient().post(LOGOUT_URL, {"refresh": refresh}, format="json"))


# --- a signed token whose user id is not an id (issue 12 item 8) -----------------------------------------------------


def signed_with_raw_user_id(user: Any, raw_user_id: str, **overrides: Any) -> str:
    """A correctly signed token whose user_id claim is the JSON text `raw_user_id` (e.g. 1e309, which no Python value
    serialises to)."""
    claims = claims_for(user, user_id="__user_id__", **overrides)
    payload = json.dumps(claims).replace('"__user_id__"', raw_user_id)
    header = jwt.utils.base64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    body = jwt.utils.base64url_encode(payload.encode())
    signature = hmac.new(settings.SIMPLE_JWT["SIGNING_KEY"].encode(), header + b"." + body, hashlib.sha256).digest()
    return (header + b"." + body + b"." + jwt.utils.base64url_encode(signature)).decode()


NOT_A_USER_ID = [
    '"abc"',
    "1e309",
    "-1e309",
    "1.5",
    "[1]",
    '{"id": 1}',
    "true",
    "null",
    "0",
    "-1",
    '""',
    '" 1"',
    '"\\uff11"',  # a fullwidth digit one
    "123456789012345678901234567890",
    '"' + "1" * 5000 + '"',
]


@pytest.mark.parametrize("raw_user_id", NOT_A_USER_ID)
def test_a_signed_token_whose_user_id_is_not_an_id_is_a_401(raw_user_id):
    user = UserFactory()
    access = signed_with_raw_user_id(user, raw_user_id)
    refresh = signed_with_raw_user_id(user, raw_user_id, token_type="refresh", exp=int(time.time()) + 3600)
    # The helper signs well: the user's id, as text or as a number, is accepted.
    assert bearer(signed_with_raw_user_id(user, f'"{user.pk}"')).get(ME_URL).status_code == 200
    assert bearer(signed_with_raw_user_id(user, str(user.pk))).get(ME_URL).status_code == 200

    assert_refused(bearer(access).get(ME_URL))
    assert_refused(APIClient().post(REFRESH_URL, {"refresh": refresh}, format="json"))
    assert_refused(APIClient().post("/api/v1/auth/token/verify/", {"token": access}, format="json"))
