"""Inbox filter (SPEC §10: `notifications` filter `unread`)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from notifications.models import Notification


class InboxFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(method="filter_unread", help_text="true: only unread; false: only read.")

    class Meta:
        model = Notification
        fields: list[str] = []

    def filter_unread(self, queryset: QuerySet[Notification], name: str, value: Any) -> QuerySet[Notification]:
        if value is None:
            return queryset
        return queryset.filter(is_read=not value)
