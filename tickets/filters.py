"""Ticket list filters and ordering (SPEC §10). They run on the caller's visible tickets only, and only on an
allow-list of fields, so no parameter can reveal anything about hidden tickets."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import F, Q, QuerySet
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from tickets.models import SlaStatus, Ticket, TicketPriority, TicketStatus, TicketVisibility
from ticketsite.filters import IdFilter

TicketCategories = Ticket.categories.through
TicketLabels = Ticket.labels.through


class TicketFilter(django_filters.FilterSet):
    # Columns of the ticket row itself: no join, so no duplicate rows, and no DISTINCT (django-filter's default for a
    # multiple choice), which would make every count of a filtered list compare whole rows.
    status = django_filters.MultipleChoiceFilter(
        choices=TicketStatus.choices, distinct=False, help_text="Repeat for several statuses."
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=TicketPriority.choices, distinct=False, help_text="Repeat for several."
    )
    visibility = django_filters.ChoiceFilter(choices=TicketVisibility.choices)
    assignee = IdFilter(field_name="assignee_id", help_text="User id of the assignee.")
    assigned = django_filters.BooleanFilter(
        field_name="assignee", lookup_expr="isnull", exclude=True, help_text="true: tickets with an assignee; false: without."
    )
    creator = IdFilter(field_name="created_by_id", help_text="User id of the creator.")
    category = IdFilter(method="filter_category", help_text="Tickets having this category id.")
    label = IdFilter(method="filter_label", help_text="Tickets having this label id.")
    template = IdFilter(field_name="template_id", help_text="Ticket template id.")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    mine = django_filters.BooleanFilter(method="filter_mine", help_text="true: tickets created by or assigned to me.")
    # Service levels (SPEC §15): the stored figures, indexed.
    sla_status = django_filters.MultipleChoiceFilter(
        choices=SlaStatus.choices, distinct=False, help_text="Repeat for several; tickets without a service level have none."
    )
    resolution_due_before = django_filters.IsoDateTimeFilter(
        field_name="resolution_due_at", lookup_expr="lt", help_text="Resolution due before this time (running clocks)."
    )
    first_response_due_before = django_filters.IsoDateTimeFilter(
        field_name="first_response_due_at", lookup_expr="lt", help_text="First response due before this time."
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    # Sub-selects on the association tables rather than joins: no duplicate rows, no DISTINCT.
    def filter_category(self, queryset: QuerySet[Ticket], name: str, value: Any) -> QuerySet[Ticket]:
        return queryset.filter(id__in=TicketCategories.objects.filter(category_id=value).values("ticket_id"))

    def filter_label(self, queryset: QuerySet[Ticket], name: str, value: Any) -> QuerySet[Ticket]:
        return queryset.filter(id__in=TicketLabels.objects.filter(label_id=value).values("ticket_id"))

    def filter_mine(self, queryset: QuerySet[Ticket], name: str, value: Any) -> QuerySet[Ticket]:
        user = self.request.user if self.request is not None else None
        if value is None or user is None:
            return queryset
        mine = Q(created_by=user) | Q(assignee=user)
        return queryset.filter(mine) if value else queryset.exclude(mine)


class TicketOrderingFilter(OrderingFilter):
    """`ordering` on the view's allow-list; some public names sort by a better column, and ties break by id."""

    aliases = {"priority": "priority_rank", "key": "id"}
    # Tickets without the time (no service level, a paused clock) sort after those with it, either way, on every database.
    nulls_last = frozenset({"first_response_due_at", "resolution_due_at"})

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> Any:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        mapped: list[Any] = []
        for term in ordering:
            descending = term.startswith("-")
            name = self.aliases.get(term.lstrip("-"), term.lstrip("-"))
            if name in self.nulls_last:
                mapped.append(F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True))
                continue
            mapped.append(f"-{name}" if descending else name)
        if not any(isinstance(term, str) and term.lstrip("-") == "id" for term in mapped):
            mapped.append("-id")
        return mapped
