"""Query parameters are input like any body: checked strictly, refused with a 400 in the one error shape."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

# The largest id a bigint column holds: anything larger is a 400 rather than an overflow inside the database driver.
MAX_ID = 2**63 - 1
BOOLEAN_VALUES = {"true", "false"}


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number from 1 up. Filters by the raw id (never a model choice that would answer "no such
    row" with a 400 and so tell which ids of hidden rows exist)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, except that a typed parameter given empty (`?updated_before=`) or a boolean given as anything but
    `true`/`false` is refused instead of silently ignored: a client that misspells a filter must not get everything."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = strict_errors(filterset)
        if errors:
            raise utils.translate_validation(errors)
        return filterset.qs


def strict_errors(filterset: django_filters.FilterSet) -> Any:
    """What the strict backend refuses (a 400 in the API, the workspace's filter errors, a saved view's refusal): the
    FilterSet's form errors and the loose values (loose_values), as the form's ErrorDict."""
    filterset.is_valid()
    for name, message in loose_values(filterset).items():
        filterset.form.add_error(name, forms.ValidationError(message, code="invalid"))
    return filterset.errors


def loose_values(filterset: django_filters.FilterSet) -> dict[str, str]:
    problems: dict[str, str] = {}
    for name, filter_ in filterset.filters.items():
        if name not in filterset.data or isinstance(filter_, django_filters.CharFilter):
            continue
        values = filterset.data.getlist(name) if hasattr(filterset.data, "getlist") else [filterset.data[name]]
        if any(value == "" for value in values):
            problems[name] = "A value is required when the parameter is given."
        elif isinstance(filter_, django_filters.BooleanFilter) and any(v.lower() not in BOOLEAN_VALUES for v in values):
            problems[name] = "Use true or false."
    return problems
