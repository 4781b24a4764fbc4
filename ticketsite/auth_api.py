"""JWT endpoints (SPEC §10): obtain, refresh (rotating, race-safe), verify, logout. Throttled."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView


class LockedTokenRefreshSerializer(TokenRefreshSerializer):
    """Rotation under a row lock: two concurrent refreshes of one token cannot both succeed."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        with transaction.atomic():
            try:
                payload = RefreshToken(attrs["refresh"], verify=True).payload
            except TokenError as exc:
                raise InvalidToken(str(exc)) from exc
            # simplejwt looks the user up with .get() and would fail with a 500 for a deleted user.
            user_id = payload.get(jwt_settings.USER_ID_CLAIM)
            user = get_user_model().objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
            if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
                raise AuthenticationFailed("No active account found for the given token.", "no_active_account")
            # Serialises rotations of the same token; the second one then finds it blacklisted.
            list(OutstandingToken.objects.select_for_update().filter(jti=payload.get("jti")))
            return super().validate(attrs)


class ThrottledAuthMixin:
    throttle_classes: Any = [ScopedRateThrottle]
    throttle_scope = "auth"


class TokenObtainView(ThrottledAuthMixin, TokenObtainPairView):
    pass


class TokenRefreshThrottledView(ThrottledAuthMixin, TokenRefreshView):
    pass


class TokenVerifyThrottledView(ThrottledAuthMixin, TokenVerifyView):
    pass


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


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
