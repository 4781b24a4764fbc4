"""The record of inbound mail, read-only: what each message became and why. Only superusers and holders of
tickets.view_all_tickets see it: its subjects, senders and ticket links can name restricted tickets, and a row is not
scoped to one ticket the way the ticket admins scope theirs."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mailgate.models import InboundMessage
from tickets.statemachine import VIEW_ALL_PERMISSION
from ticketsite.admin import ReadOnlyRowsAdmin

RECORD_FIELDS: tuple[str, ...] = ("created_at", "message_key", "source", "sender", "recipient", "subject", "size")
RECORD_FIELDS += ("outcome", "reason", "user", "ticket")


def may_read_inbound_mail(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and (user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION)))


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyRowsAdmin):
    list_display = ("created_at", "outcome", "sender", "recipient", "subject", "source", "ticket", "user")
    list_filter = ("outcome", "source")
    search_fields = ("message_key", "sender", "recipient", "subject")
    list_select_related = ("ticket", "user")
    date_hierarchy = "created_at"
    fields = readonly_fields = RECORD_FIELDS

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_read_inbound_mail(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_read_inbound_mail(request) and super().has_view_permission(request, obj)
