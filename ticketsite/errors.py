"""Domain errors: services raise these; the global exception handler renders them in the one error shape."""

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError


class DomainError(APIException):
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "The request is invalid."


# The codes business rules give their 400s (besides DRF's own field codes). The OpenAPI schema documents them on every
# field of every request body; tests/test_error_codes.py fails when a service uses a code missing here.
DOMAIN_VALIDATION_CODES = frozenset(
    {
        "blank",
        "does_not_exist",
        "empty",
        "grant_exists",
        "has_children",
        "inactive",
        "inactive_user",
        "invalid",
        "invalid_choice",
        "invalid_json",
        "invalid_window",
        "max_length",
        "no_eligible_approver",
        "process_running",
        "read_only",
        "ref_cycle",
        "remote_ref_not_allowed",
        "request_pending",
        "required",
        "self_delegation",
        "type",
        "unique",
        "unknown_dialect",
        "unknown_field",
        "unresolvable_ref",
        "user_xor_role",
    }
)


class DomainValidationError(ValidationError):
    """A business rule refused the input (400 validation_error), optionally naming the failing field. The code is one
    of DOMAIN_VALIDATION_CODES."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        detail: Any = {field: [message]} if field else [message]
        super().__init__(detail, code)


class DomainPermissionDenied(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_detail = "You do not have permission to perform this action."


class DomainNotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "Not found."


class DomainConflict(DomainError):
    """The object is not in a state that allows this action (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource is not in a state that allows this action."


class PayloadTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The uploaded content is too large."


class UnsupportedMediaType(DomainError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_media_type"
    default_detail = "This content type is not allowed."
