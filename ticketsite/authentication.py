"""Who a JWT names, checked one way wherever a token is accepted (API requests, refresh, verify), and the client address
that the throttles and the login lockout count by."""

import ipaddress
import re

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from ticketsite.backends import user_with_permissions

# Ids are positive bigints; anything else in the claim (text, floats, lists, huge numbers) names no user.
USER_ID_PATTERN = re.compile(r"[0-9]{1,19}")
MAX_USER_ID = 2**63 - 1


def token_user_id(token: Token) -> int:
    """The user id a token names, or InvalidToken (401) when the claim is missing or not an id."""
    claim = token.get(jwt_settings.USER_ID_CLAIM)
    if isinstance(claim, str) and USER_ID_PATTERN.fullmatch(claim):
        claim = int(claim)
    if type(claim) is not int or not 0 < claim <= MAX_USER_ID:
        raise InvalidToken("Token contained no recognizable user identification")
    return claim


def token_user(token: Token) -> AbstractBaseUser:
    """The user a signed token stands for, refused (401) when deleted, deactivated, or when the password changed after
    the token was issued: every token carries a digest of the password hash (simplejwt's `CHECK_REVOKE_TOKEN` claim),
    and any password change (admin, `set_password`, `changepassword`) gives the user a new hash. Read with the user's
    permissions (ticketsite.backends), so a request's permission checks run no query of their own."""
    user = user_with_permissions(token_user_id(token))
    if user is None:
        raise AuthenticationFailed("User not found", code="user_not_found")
    if not user.is_active:
        raise AuthenticationFailed("User is inactive", code="user_inactive")
    if token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise InvalidToken("The password has changed since this token was issued")
    return user


class AccountJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication with our user check (`token_user`)."""

    # simplejwt types the user as a TypeVar bound to nothing here; ours is always a model user.
    def get_user(self, validated_token: Token) -> AbstractBaseUser:  # type: ignore[override]
        return token_user(validated_token)


class AccountJWTAuthenticationScheme(SimpleJWTScheme):
    """OpenAPI: the same bearer scheme as simplejwt's class (drf-spectacular matches classes exactly)."""

    target_class = "ticketsite.authentication.AccountJWTAuthentication"


def client_ip(request: HttpRequest | Request) -> str | None:
    """The client's address: REMOTE_ADDR, or with `NUM_PROXIES` = n > 0 the address the n-th proxy from us put into
    X-Forwarded-For (DRF's rule, so throttles and the lockout agree). An unparsable value falls back to REMOTE_ADDR."""
    ident = BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # reads only request.META
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return request.META.get("REMOTE_ADDR")
