"""Allow-listed filters of the approvals API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from approvals.models import ApprovalProcessStepApprover, Delegation, SlotStatus
from ticketsite.filters import IdFilter


class SlotFilter(django_filters.FilterSet):
    PENDING = "pending"

    mine = django_filters.ChoiceFilter(
        choices=[(PENDING, PENDING)],
        method="filter_mine",
        help_text="pending: exactly the slots you may approve or reject now (directly, by role, or as a delegate).",
    )
    status = django_filters.ChoiceFilter(choices=SlotStatus.choices)
    # Plain ids, not model choices: "no such id" must answer like "not yours" (an empty page), never as a 400 that
    # would tell which ids of hidden tickets exist.
    ticket = IdFilter(field_name="ticket_id")
    process = IdFilter(field_name="process_id")
    step = IdFilter(field_name="step_id")

    class Meta:
        model = ApprovalProcessStepApprover
        fields = ["mine", "status", "ticket", "process", "step"]

    def filter_mine(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        # The view already lists selectors.pending_slots for it (ApprovalSlotViewSet.get_queryset): the caller's
        # decidable slots by id, without the visibility rule its other lists apply.
        return queryset


class DelegationFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter(method="filter_active", help_text="In force right now.")
    delegator = IdFilter(field_name="delegator_id")
    delegate = IdFilter(field_name="delegate_id")

    class Meta:
        model = Delegation
        fields = ["active", "delegator", "delegate"]

    def filter_active(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        in_force = Delegation.objects.in_force().values("pk")
        return queryset.filter(pk__in=in_force) if value else queryset.exclude(pk__in=in_force)
