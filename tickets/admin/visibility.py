"""The visibility rule in the back office (SPEC §7): staff see in the admin only the tickets they may see through the API,
deleted ones included (the admin restores them), and only those tickets' timeline entries and attachments."""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from permissions.selectors import can_view_all, visible_tickets
from tickets.models import Ticket


def _sees_everything(request: HttpRequest) -> bool:
    return bool(request.user.is_active and can_view_all(request.user))  # type: ignore[arg-type]


def visible_admin_tickets(request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    if _sees_everything(request):
        return queryset
    return visible_tickets(request.user, queryset)  # type: ignore[arg-type]


def on_visible_tickets(request: HttpRequest, queryset: QuerySet[Any], *, templates_too: bool = False) -> QuerySet[Any]:
    """Rows hanging off a ticket (`ticket` foreign key) the admin user may see; `templates_too` keeps rows without a
    ticket (template attachments, readable by every user)."""
    if _sees_everything(request):
        return queryset
    seen = Q(ticket__in=visible_tickets(request.user, Ticket.all_objects.all()).values("id"))  # type: ignore[arg-type]
    return queryset.filter(seen | Q(ticket__isnull=True)) if templates_too else queryset.filter(seen)
