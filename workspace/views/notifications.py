"""The notification inbox (the header's bell links here), marking one or all read, and the e-mail preferences.

A notification names its ticket (key, title, link) only while the reader can still see the ticket, exactly as the
API's NotificationSerializer: the fan-out told them when they could, and access may have been lost since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods, require_POST

from notifications import selectors, services
from notifications.models import Notification, NotificationEvent
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


class EmailPreferencesForm(forms.Form):
    """One checkbox per event type (NotificationEvent), named by its value: checked, its e-mails are wanted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for event_type, label in NotificationEvent.choices:
            self.fields[event_type] = forms.BooleanField(required=False, label=label)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """The caller's e-mail on/off per event type (notifications.selectors.email_preferences: on unless turned off),
    saved all or none through notifications.services.email_preferences_set (the API's service). In-app notifications are
    not affected."""
    user = caller(request)
    form = EmailPreferencesForm(request.POST if request.method == "POST" else None, initial=selectors.email_preferences(user))
    if form.is_valid():
        changed = services.email_preferences_set(user=user, choices=form.cleaned_data, actor=user)
        messages.success(request, "Your e-mail preferences are saved." if changed else "Nothing changed.")
        return redirect("workspace:notification-preferences")
    return render(request, "workspace/notifications/preferences.html", {"form": form})
