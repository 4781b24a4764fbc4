"""JWT endpoints (SPEC §10): obtain (behind the login lockout), refresh (rotating, race-safe), verify, logout.
Throttled. Refresh and verify refuse what the API would refuse (`ticketsite.authentication.token_user`)."""

from typing import Any

from axes.helpers import get_cool_off
from django.db import transaction
from drf_spectacular.contrib.rest_framework_simplejwt import TokenObtainPairSerializerExtension
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import PasswordField, TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView

from ticketsite.api.errors import client_error_response
from ticketsite.api.fields import StrictCharField
from ticketsite.api.serializers import RefuseUnwritableFieldsMixin, StrictInputSerializer
from ticketsite.authentication import token_user


class LoginLockedOut(Throttled):
    default_detail = "Too many failed logins for this account or from this address."
    default_code = "locked_out"


class StrictPasswordField(StrictCharField, PasswordField):
    pass


class LockoutTokenObtainPairSerializer(RefuseUnwritableFieldsMixin, TokenObtainPairSerializer):
    """simplejwt hands the request to `authenticate()`, so django-axes (settings: AXES_*) counts these failures together
    with the admin's, per username and per client address, and refuses a locked-out login even with the right password.
    Axes marks the request; the refusal leaves as a 429 in the error shape instead of a 401."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # simplejwt builds its credential fields here, as DRF's lenient text fields.
        self.fields[self.username_field] = StrictCharField(write_only=True)
        self.fields["password"] = StrictPasswordField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            return super().validate(attrs)
        except AuthenticationFailed:
            request = self.context["request"]
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut(wait=get_cool_off(request).total_seconds()) from None
            raise


class LockoutTokenObtainPairSerializerExtension(TokenObtainPairSerializerExtension):
    """OpenAPI: the body and answer of simplejwt's serializer (drf-spectacular matches classes exactly)."""

    target_class = "ticketsite.auth_api.LockoutTokenObtainPairSerializer"


class LockedTokenRefreshSerializer(RefuseUnwritableFieldsMixin, TokenRefreshSerializer):
    """Rotation under a row lock: two concurrent refreshes of one token cannot both succeed."""

    refresh = StrictCharField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        with transaction.atomic():
            try:
                token = RefreshToken(attrs["refresh"], verify=True)
            except TokenError as exc:
                raise InvalidToken(str(exc)) from exc
            token_user(token)
            # Serialises rotations of the same token; the second one then finds it blacklisted.
            list(OutstandingToken.objects.select_for_update().filter(jti=token.get(jwt_settings.JTI_CLAIM)))
            return super().validate(attrs)


class CheckedTokenVerifySerializer(StrictInputSerializer):
    """A token verifies only if the API would accept it: signature, expiry, issuer, audience, not blacklisted, and a user
    who exists, is active and has not changed the password since."""

    token = StrictCharField(write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        token = UntypedToken(attrs["token"])  # a TokenError becomes a 401 in the view
        if BlacklistedToken.objects.filter(token__jti=token.get(jwt_settings.JTI_CLAIM)).exists():
            raise InvalidToken("Token is blacklisted")
        token_user(token)
        return {}


class ThrottledAuthMixin:
    throttle_classes: Any = [ScopedRateThrottle]
    throttle_scope = "auth"


LockedOutErrorResponseSerializer = client_error_response(
    "LockedOut",
    response_name="LockedOutErrorResponse",
    doc="429: the endpoint's rate (`throttled`) or the login lockout (`locked_out`); `Retry-After` says when to retry.",
    code=serializers.ChoiceField(choices=[("throttled", "throttled"), ("locked_out", "locked_out")]),
)


@extend_schema(responses={200: LockoutTokenObtainPairSerializer, 429: LockedOutErrorResponseSerializer})
class TokenObtainView(ThrottledAuthMixin, TokenObtainPairView):
    serializer_class = LockoutTokenObtainPairSerializer


class TokenRefreshThrottledView(ThrottledAuthMixin, TokenRefreshView):
    serializer_class = LockedTokenRefreshSerializer


class TokenVerifyThrottledView(ThrottledAuthMixin, TokenVerifyView):
    serializer_class = CheckedTokenVerifySerializer


class LogoutInputSerializer(StrictInputSerializer):
    refresh = StrictCharField()


class LogoutView(ThrottledAuthMixin, APIView):
    """Blacklists the given refresh token. Needs no access token: holding the refresh token is the proof."""

    permission_classes = [AllowAny]

    @extend_schema(request=LogoutInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        serializer = LogoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            RefreshToken(serializer.validated_data["refresh"]).blacklist()
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
