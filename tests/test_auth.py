"""JWT auth at the SPEC §10 paths: obtain, refresh rotation, verify, logout; bad tokens refused in the error shape."""

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
VERIFY_URL = "/api/v1/auth/token/verify/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/me/"


def obtain(client: APIClient, username: str) -> dict:
    response = client.post(TOKEN_URL, {"username": username, "password": "pass-12345"})
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_401(response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "client_error"
    # One error, with simplejwt's own code (the schema's 401 enum lists them).
    assert len(body["errors"]) == 1
    assert body["errors"][0]["code"] in {
        "token_not_valid",
        "not_authenticated",
        "authentication_failed",
        "no_active_account",
        "user_inactive",
        "user_not_found",
    }


def test_obtain_and_use_access_token(api_client):
    user = UserFactory(username="alice")
    tokens = obtain(api_client, "alice")
    response = bearer(tokens["access"]).get(ME_URL)
    assert response.status_code == 200
    assert response.json()["id"] == user.id


def test_wrong_password_is_401_in_error_shape(api_client):
    UserFactory(username="alice")
    response = api_client.post(TOKEN_URL, {"username": "alice", "password": "nope"})
    assert_401(response)


def test_expired_token_refused(api_client):
    user = UserFactory()
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - timedelta(hours=1), lifetime=timedelta(minutes=1))
    assert_401(bearer(str(token)).get(ME_URL))


def test_tampered_token_refused(api_client):
    UserFactory(username="alice")
    UserFactory(username="mallory")
    access = obtain(api_client, "alice")["access"]
    header, _payload, signature = access.split(".")
    forged_payload = jwt.utils.base64url_encode(b'{"user_id": "2", "token_type": "access"}').decode()
    assert_401(bearer(f"{header}.{forged_payload}.{signature}").get(ME_URL))


def test_unsigned_token_refused(api_client):
    user = UserFactory()
    claims = {
        "token_type": "access",
        "user_id": str(user.id),
        "exp": 4102444800,
        "jti": "x",
        "iss": settings.SIMPLE_JWT["ISSUER"],
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
    }
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    assert_401(bearer(unsigned).get(ME_URL))


def test_token_signed_with_other_key_refused(api_client):
    user = UserFactory()
    claims = {"token_type": "access", "user_id": str(user.id), "exp": 4102444800, "jti": "y"}
    assert_401(bearer(jwt.encode(claims, "another-key-another-key-another-key", algorithm="HS256")).get(ME_URL))


def test_deactivated_user_token_refused(api_client):
    user = UserFactory(username="alice")
    access = obtain(api_client, "alice")["access"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_401(bearer(access).get(ME_URL))


def test_refresh_rotates_and_old_refresh_is_blacklisted(api_client):
    UserFactory(username="alice")
    tokens = obtain(api_client, "alice")
    first = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]})
    assert first.status_code == 200
    assert first.json()["refresh"] != tokens["refresh"]
    assert bearer(first.json()["access"]).get(ME_URL).status_code == 200
    replay = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]})
    assert_401(replay)


def test_verify(api_client):
    UserFactory(username="alice")
    tokens = obtain(api_client, "alice")
    assert api_client.post(VERIFY_URL, {"token": tokens["access"]}).status_code == 200
    assert_401(api_client.post(VERIFY_URL, {"token": tokens["access"] + "x"}))


def test_logout_blacklists_refresh_token(api_client):
    UserFactory(username="alice")
    tokens = obtain(api_client, "alice")
    assert api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}).status_code == 204
    assert_401(api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}))


def test_logout_with_garbage_token_is_401(api_client):
    assert_401(api_client.post(LOGOUT_URL, {"refresh": "garbage"}))


def test_logout_requires_the_refresh_field(api_client):
    response = api_client.post(LOGOUT_URL, {})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "refresh"


def test_token_carries_issuer_and_audience(api_client):
    UserFactory(username="alice")
    access = obtain(api_client, "alice")["access"]
    claims = jwt.decode(access, options={"verify_signature": False})
    assert claims["iss"] == settings.SIMPLE_JWT["ISSUER"]
    assert claims["aud"] == settings.SIMPLE_JWT["AUDIENCE"]


def test_token_for_other_audience_refused(api_client):
    user = UserFactory()
    claims = {
        "token_type": "access",
        "user_id": str(user.id),
        "exp": 4102444800,
        "jti": "z",
        "iss": settings.SIMPLE_JWT["ISSUER"],
        "aud": "some-other-service",
    }
    token = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    assert_401(bearer(token).get(ME_URL))
