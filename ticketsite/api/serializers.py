"""Base classes of every input serializer: a body may carry only the fields it can write, each in its schema type.

They are described in comments, not docstrings: drf-spectacular would show an inherited docstring as the description of
every request body built on them."""

from collections.abc import Mapping
from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from ticketsite.api.fields import (
    StrictBigIntegerField,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    StrictIPAddressField,
    StrictPrimaryKeyRelatedField,
    StrictSlugField,
    StrictURLField,
)


# Refuses fields the serializer does not accept (unknown or read-only) instead of silently dropping them, and a list
# field given something other than a list.
class RefuseUnwritableFieldsMixin:
    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            refused = sorted(set(data) - writable)
            if refused:
                # Reported as a non-field error naming the fields: an arbitrary key cannot be a documented `attr`.
                message = f"These fields cannot be written here: {', '.join(refused)}."
                raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [ErrorDetail(message, code="read_only")]})
            # DRF iterates any iterable as a list of ids, so {} or "12" would pass as an empty or digit list.
            not_lists = sorted(
                name
                for name, field in self.fields.items()
                if isinstance(field, serializers.ManyRelatedField | serializers.ListField)
                and name in data
                and not isinstance(data[name], list)
            )
            if not_lists:
                raise ValidationError({name: [ErrorDetail("Expected a list of ids.", code="not_a_list")] for name in not_lists})
        return super().to_internal_value(data)  # type: ignore[misc]


# The base of every input serializer. Declare its fields with the classes of `ticketsite.api.fields`
# (tests/test_strict_input.py checks every input serializer of the API).
class StrictInputSerializer(RefuseUnwritableFieldsMixin, serializers.Serializer):
    pass


# The base of every model serializer that reads input: the fields it builds from the model are the strict ones.
class StrictInputModelSerializer(RefuseUnwritableFieldsMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.AutoField: StrictIntegerField,
        models.BigAutoField: StrictBigIntegerField,
        models.BigIntegerField: StrictBigIntegerField,
        models.CharField: StrictCharField,
        models.CommaSeparatedIntegerField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.GenericIPAddressField: StrictIPAddressField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SlugField: StrictSlugField,
        models.SmallIntegerField: StrictIntegerField,
        models.TextField: StrictCharField,
        models.URLField: StrictURLField,
    }
    serializer_related_field = StrictPrimaryKeyRelatedField
