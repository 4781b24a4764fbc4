"""The notification inbox (the header's bell links here), and marking one or all read.

A notification names its ticket (key, title, link) only while the reader can still see the ticket, exactly as the
API's NotificationSerializer: the fan-out told them when they could, and access may have been lost since.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.models import Notification
from tickets.models import Ticket
from workspace.views.approvals import caller

INBOX_PAGE_SIZE = 25


@dataclass(frozen=True)
class InboxRow:
    """One notification as the reader may see it: `ticket` only while they can see it, else None."""

    notification: Notification
    ticket: Ticket | None


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    unread_only = request.GET.get("unread") == "1"
    notifications = selectors.inbox(user)
    if unread_only:
        notifications = notifications.filter(is_read=False)
    page = Paginator(notifications, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page)
    visible = selectors.visible_ticket_ids(user, {item.ticket_id for item in items if item.ticket_id is not None})
    rows = [InboxRow(item, item.ticket if item.ticket_id in visible else None) for item in items]
    context = {"page": page, "rows": rows, "unread_only": unread_only}
    return render(request, "workspace/notifications/inbox.html", context)


@login_required
@require_POST
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of the caller's notifications read, then open its ticket if they can still see it, else the inbox."""
    user = caller(request)
    notification = get_object_or_404(selectors.inbox(user), pk=notification_id)
    services.notification_mark_read(notification=notification, user=user)
    ticket = notification.ticket
    if ticket is not None and selectors.visible_ticket_ids(user, {ticket.pk}):
        return redirect("workspace:ticket", key=ticket.key)
    return redirect("workspace:notifications")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=caller(request))
    messages.success(request, f"{count} notification{pluralize(count)} marked read.")
    return redirect("workspace:notifications")
