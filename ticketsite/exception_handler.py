"""The global exception handler: every error leaves the API in the one shape of drf-standardized-errors."""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework.exceptions import AuthenticationFailed, ParseError, ValidationError
from rest_framework.serializers import as_serializer_error

from ticketsite.errors import DomainConflict, PayloadTooLarge


class ApiExceptionHandler(ExceptionHandler):
    """drf-standardized-errors' handler, also rendering Django's own ValidationError as a 400."""

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            return ValidationError(as_serializer_error(exc))
        if isinstance(exc, RequestDataTooBig):
            return PayloadTooLarge("The request body is too large.")
        if isinstance(exc, SuspiciousOperation):
            return ParseError("The request could not be processed.")
        if isinstance(exc, IntegrityError):
            # A database constraint caught what the service's checks let through (usually a concurrent duplicate).
            return DomainConflict("The change conflicts with existing data.")
        if isinstance(exc, AuthenticationFailed) and isinstance(exc.detail, dict):
            return flat_authentication_failure(exc)
        return super().convert_known_exceptions(exc)


def flat_authentication_failure(exc: AuthenticationFailed) -> AuthenticationFailed:
    """simplejwt puts a dict in its 401s ({"detail", "code", "messages"}), which would render as one error per key;
    clients get one error with simplejwt's code (`token_not_valid` …) instead."""
    details: dict = exc.detail  # type: ignore[assignment]
    flat = AuthenticationFailed(str(details.get("detail", "")), code=str(details.get("code", "authentication_failed")))
    if hasattr(exc, "auth_header"):
        flat.auth_header = exc.auth_header  # type: ignore[attr-defined]
    return flat
