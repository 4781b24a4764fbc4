"""The visibility rule in the back office (SPEC §7): staff see in the admin only the tickets they may see through the API,
deleted ones included (the admin restores them), and only the rows hanging off those tickets (timeline entries,
attachments, approval processes, grants, access requests, notifications). Every admin page and widget that names a
ticket goes through here."""

from typing import Any

from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import ValidationError
from django.db.models import ForeignKey, Q, QuerySet
from django.http import HttpRequest

from permissions.selectors import can_view_all, visible_tickets
from tickets.models import Ticket
from ticketsite.admin import AuditedAdmin


def _sees_everything(request: HttpRequest) -> bool:
    return bool(request.user.is_active and can_view_all(request.user))  # type: ignore[arg-type]


def visible_admin_tickets(request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    if _sees_everything(request):
        return queryset
    return visible_tickets(request.user, queryset)  # type: ignore[arg-type]


def on_visible_tickets(request: HttpRequest, queryset: QuerySet[Any], *, ticketless_too: bool = False) -> QuerySet[Any]:
    """Rows hanging off a ticket (`ticket` foreign key) the admin user may see; `ticketless_too` keeps rows without a
    ticket (template attachments, readable by every user; notifications about no ticket)."""
    if _sees_everything(request):
        return queryset
    seen = Q(ticket__in=visible_tickets(request.user, Ticket.all_objects.all()).values("id"))  # type: ignore[arg-type]
    return queryset.filter(seen | Q(ticket__isnull=True)) if ticketless_too else queryset.filter(seen)


class VisibleTicketRawIdWidget(ForeignKeyRawIdWidget):
    """The raw-id ticket input labels the ticket it holds only when the admin user may see it: Django's own widget
    looks the id up in the whole table, so `?ticket=<any id>` printed any ticket's key and title."""

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        tickets = visible_admin_tickets(self.request, Ticket.all_objects.all())
        try:
            seen = tickets.filter(**{self.rel.get_related_field().name: value}).exists()
        except (TypeError, ValueError, ValidationError):
            seen = False
        return super().label_and_url_for_value(value) if seen else ("", "")


class TicketRowsAdmin(AuditedAdmin):
    """Admin of a model with a `ticket` foreign key: its list, search, change, history and delete pages and the
    autocomplete and raw-id lookups reach only rows of tickets the admin user may see, and its ticket field offers and
    names only those tickets (an invisible id is "not a valid choice", exactly like a missing one)."""

    rows_without_ticket = False  # True when `ticket` is optional and rows without one are for every admin user

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return on_visible_tickets(request, super().get_queryset(request), ticketless_too=self.rows_without_ticket)

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Ticket:
            kwargs["queryset"] = visible_admin_tickets(request, Ticket.objects.all())
            if db_field.name in self.raw_id_fields:
                kwargs["widget"] = VisibleTicketRawIdWidget(
                    db_field.remote_field, self.admin_site, request=request, using=kwargs.get("using")
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
