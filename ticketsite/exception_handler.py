"""The global exception handler: every error leaves the API in the one shape of drf-standardized-errors."""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework.exceptions import ParseError, ValidationError
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
        return super().convert_known_exceptions(exc)
