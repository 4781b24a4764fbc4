"""Notification rules, and the in-app notifications they produce (SPEC §8)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from ticketsite.models import AuditedModel


class NotificationEvent(models.TextChoices):
    TICKET_CREATED = "ticket_created", "Ticket created"
    STATUS_CHANGED = "status_changed", "Status changed"
    TICKET_ASSIGNED = "ticket_assigned", "Ticket assigned"
    COMMENT_ADDED = "comment_added", "Comment added"
    APPROVAL_REQUESTED = "approval_requested", "Approval requested"
    APPROVAL_COMPLETED = "approval_completed", "Approval completed"
    APPROVAL_REJECTED = "approval_rejected", "Approval rejected"
    ACCESS_REQUESTED = "access_requested", "Access requested"
    ACCESS_DECIDED = "access_decided", "Access decided"
    SLA_WARNING = "sla_warning", "Service level warning"
    SLA_BREACHED = "sla_breached", "Service level breached"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app"
    EMAIL = "email", "E-mail"


class EmailStatus(models.TextChoices):
    NOT_REQUESTED = "not_requested", "Not requested"
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed after retries"
    SKIPPED = "skipped", "Skipped (no address, inactive or no longer visible)"


def default_channels() -> list[str]:
    return [Channel.IN_APP.value]


class NotificationRule(AuditedModel):
    name = models.CharField(max_length=200)
    event_type = models.CharField(max_length=32, choices=NotificationEvent.choices)
    is_active = models.BooleanField(default=True)
    # {"categories": [ids], "priorities": [values], "templates": [ids]}; each optional, all must match.
    conditions = models.JSONField(default=dict, blank=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, db_table="notification_rule_users", related_name="+")
    roles = models.ManyToManyField(Group, blank=True, db_table="notification_rule_roles", related_name="+")
    notify_creator = models.BooleanField(default=False)
    notify_assignee = models.BooleanField(default=False)
    notify_approvers = models.BooleanField(default=False)
    # The requester of an access request (access_requested / access_decided events).
    notify_requester = models.BooleanField(default=False)
    channels = models.JSONField(default=default_channels)

    class Meta:
        db_table = "notification_rules"
        ordering = ["name"]
        indexes = [models.Index(fields=["event_type", "is_active"], name="notification_rules_event_idx")]

    def __str__(self) -> str:
        return self.name


class Notification(AuditedModel):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    event_type = models.CharField(max_length=32, choices=NotificationEvent.choices)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    message = models.CharField(max_length=500)
    # The timeline entry the notification tells of, which its e-mail puts in words (None: the message says it all).
    note = models.ForeignKey("tickets.TicketNote", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    # False when only the e-mail channel asked for this recipient: the row then only tracks the delivery.
    in_app = models.BooleanField(default=True)
    email_status = models.CharField(max_length=16, choices=EmailStatus.choices, default=EmailStatus.NOT_REQUESTED)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "is_read", "-created_at"], name="notifications_inbox_idx")]

    def __str__(self) -> str:
        about = f" on {self.ticket.key}" if self.ticket is not None else ""
        return f"{self.get_event_type_display()} for {self.recipient.username}{about}"


class NotificationPreference(AuditedModel):
    """A user's choice of e-mail for one event type (docs/email.md). Without a row the rules decide alone; with
    `email=False` the fan-out drops the e-mail channel for this user and event type (the in-app inbox stays)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notification_preferences")
    event_type = models.CharField(max_length=32, choices=NotificationEvent.choices)
    email = models.BooleanField(default=True)

    class Meta:
        db_table = "notification_preferences"
        ordering = ["user", "event_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_type"], condition=Q(is_deleted=False), name="notification_preferences_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.username}: {self.get_event_type_display()} e-mail {'on' if self.email else 'off'}"
