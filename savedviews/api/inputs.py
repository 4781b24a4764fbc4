"""Input serializers of the saved views API: the body's shape, strictly; what a view may hold (filters, ordering,
columns, sharing) is checked by savedviews.services."""

from __future__ import annotations

from django.contrib.auth.models import Group
from rest_framework import serializers

from savedviews.models import PEOPLES_VISIBILITIES, Column, SavedView
from ticketsite.api.fields import StrictCharField, StrictPrimaryKeyRelatedField
from ticketsite.api.serializers import StrictInputSerializer

NAME_MAX_LENGTH = SavedView._meta.get_field("name").max_length
DESCRIPTION_MAX_LENGTH = SavedView._meta.get_field("description").max_length


class SavedViewWriteSerializer(StrictInputSerializer):
    """`filters`: the ticket list's filter parameters, each a list of values (`{"status": ["open"], "assignee":
    ["me"]}`; "me" is whoever looks at the view). `ordering`: one to three of the list's ordering terms. `columns`:
    the list columns to show besides the key, in order. `visibility`: personal, or roles (with `roles`: some of your
    own roles)."""

    name = StrictCharField(max_length=NAME_MAX_LENGTH)
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    # Each value's shape is checked by the service with the parameter it belongs to (savedviews.services.clean_filters),
    # so that every refusal names `filters`: a per-key attr ("filters.<any key>") is one no schema can list.
    filters = serializers.DictField(required=False, help_text="Parameter -> list of values.")
    ordering = serializers.ListField(child=StrictCharField(), required=False)
    columns = serializers.ListField(child=serializers.ChoiceField(choices=Column.choices), required=False)
    visibility = serializers.ChoiceField(choices=[(value.value, value.label) for value in PEOPLES_VISIBILITIES], required=False)
    roles = StrictPrimaryKeyRelatedField(many=True, queryset=Group.objects.all(), required=False)
