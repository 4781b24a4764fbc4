"""OpenAPI generation: drf-standardized-errors' AutoSchema, told about the errors our own infrastructure raises."""

import re
from typing import Any

from django.db import models
from drf_spectacular.plumbing import is_list_serializer
from drf_standardized_errors.openapi import AutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from drf_standardized_errors.openapi_utils import InputDataField, get_django_filter_backends, get_filter_forms
from drf_standardized_errors.settings import package_settings
from rest_framework import serializers
from rest_framework.settings import api_settings

from ticketsite.errors import DOMAIN_VALIDATION_CODES
from ticketsite.pagination import StandardPagination

LIST_ERROR_CODES = {"required", "null", "not_a_list", "empty"}

# URL segment -> the OpenAPI tag (SPECTACULAR_SETTINGS["TAGS"]) of the paths it names. A path takes the tag of its last
# segment found here, so /tickets/{id}/attachments/ is "attachments" and /tickets/{id}/comments/ is "tickets".
TAG_BY_SEGMENT = {
    "auth": "auth",
    "tickets": "tickets",
    "ticket-templates": "templates",
    "categories": "classification",
    "labels": "classification",
    "attachments": "attachments",
    "approvals": "approvals",
    "approval-templates": "approvals",
    "delegations": "delegations",
    "permissions": "grants",
    "access-requests": "access requests",
    "notifications": "notifications",
    "notification-rules": "notifications",
    "me": "directory",
    "users": "directory",
    "roles": "directory",
    "business-calendars": "service levels",
    "sla-policies": "service levels",
    "sla": "service levels",
    "views": "saved views",
    "reports": "reports",
    "exports": "reports",
}


class ApiAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        segments = [segment for segment in self.path.split("/") if segment and not segment.startswith("{")]
        tags = [TAG_BY_SEGMENT[segment] for segment in reversed(segments) if segment in TAG_BY_SEGMENT]
        return tags[:1] or super().get_tags()

    def _determine_fields_with_error_codes(self) -> list[InputDataField]:
        fields = super()._determine_fields_with_error_codes()
        # drf-standardized-errors documents a nested list's items and its "steps.non_field_errors", but not the errors
        # DRF reports on the list field itself (`"attr": "steps"`, e.g. required or not a list).
        suffix = f".{api_settings.NON_FIELD_ERRORS_KEY}"
        list_fields = [field for field in fields if field.name.endswith(suffix) and is_list_serializer(field.field)]
        if self.method in ("PUT", "PATCH", "POST"):
            # Business rules in services and serializer validators refuse input with codes the fields cannot declare.
            for field in fields:
                field.error_codes = set(field.error_codes) | DOMAIN_VALIDATION_CODES
        for field in list_fields:
            list_name = field.name.removesuffix(suffix)
            fields.append(InputDataField(list_name, field.field, set(LIST_ERROR_CODES)))
            # A null item is reported at the item itself (`steps.0`).
            item_name = f"{list_name}.{package_settings.LIST_INDEX_IN_API_SCHEMA}"
            fields.append(InputDataField(item_name, field.field, {"null"}))
        return fields

    def _get_extra_validation_errors(self) -> dict[str, set[str]]:
        errors = super()._get_extra_validation_errors()
        # Every paginated list refuses a page size outside 1..100 with a 400 naming `page_size`.
        if self.method == "GET" and isinstance(self._get_paginator(), StandardPagination):
            errors.setdefault(StandardPagination.page_size_query_param, set()).add("invalid")
        if self.method == "GET":
            # StrictFilterBackend refuses empty typed values and loose booleans with "invalid" on any filter.
            for form in get_filter_forms(self.view, get_django_filter_backends(self.get_filter_backends())):
                for name in form.fields:
                    errors.setdefault(name, set()).add("invalid")
        return errors

    def _should_add_http401_error_response(self) -> bool:
        # The token endpoints (throttle scope "auth") need no authentication, but answer bad credentials and bad tokens
        # with a 401. (Checked by attribute: importing the auth views here would import this module back.)
        is_token_endpoint = getattr(self.view, "throttle_scope", None) == "auth"
        return is_token_endpoint or super()._should_add_http401_error_response()


class Error401Code(models.TextChoices):
    AUTHENTICATION_FAILED = "authentication_failed"
    NOT_AUTHENTICATED = "not_authenticated"
    TOKEN_NOT_VALID = "token_not_valid"
    NO_ACTIVE_ACCOUNT = "no_active_account"
    USER_INACTIVE = "user_inactive"
    USER_NOT_FOUND = "user_not_found"


class Error401Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=Error401Code.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse401Serializer(serializers.Serializer):
    """401s carry simplejwt's codes too (`token_not_valid` tells a client to refresh or log in again)."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error401Serializer(many=True)  # type: ignore[assignment]  # the field is named as the error shape says


def list_index_attrs_as_patterns(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Errors inside lists name the item's index (`steps.0.name`), which drf-standardized-errors documents with a
    placeholder (`steps.INDEX.name`): turn such `attr` enums into patterns and drop the discriminator mappings that
    cannot name every index, so that the schema describes the responses as they are."""
    placeholder = re.escape(package_settings.LIST_INDEX_IN_API_SCHEMA)
    for component in result.get("components", {}).get("schemas", {}).values():
        attr = component.get("properties", {}).get("attr", {})
        values = attr.get("enum") or []
        if any(package_settings.LIST_INDEX_IN_API_SCHEMA in str(value) for value in values):
            alternatives = "|".join(re.escape(str(value)).replace(placeholder, "[0-9]+") for value in values)
            attr.pop("enum")
            attr.pop("description", None)
            attr["pattern"] = f"^({alternatives})$"
        discriminator = component.get("discriminator", {})
        mapping = discriminator.get("mapping", {})
        if discriminator.get("propertyName") == "attr" and any(
            package_settings.LIST_INDEX_IN_API_SCHEMA in key for key in mapping
        ):
            component.pop("discriminator")
    return result
