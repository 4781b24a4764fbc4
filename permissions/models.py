"""View grants on restricted tickets and access requests (SPEC §7)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from ticketsite.models import AuditedModel, user_or_role_name, user_xor_role


class TicketViewPermission(AuditedModel):
    """A grant: a user, or every member of a role, may view the ticket."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="view_permissions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.ForeignKey(Group, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "ticket_view_permissions"
        ordering = ["created_at", "id"]
        verbose_name = "view grant"
        permissions = [("manage_ticket_permissions", "Can manage view grants of any ticket")]
        indexes = [
            models.Index(fields=["user", "ticket"], condition=Q(is_deleted=False), name="grants_user_ticket_idx"),
            models.Index(fields=["role", "ticket"], condition=Q(is_deleted=False), name="grants_role_ticket_idx"),
        ]
        constraints = [
            user_xor_role("ticket_view_permissions_user_xor_role"),
            models.UniqueConstraint(
                fields=["ticket", "user"], condition=Q(is_deleted=False, user__isnull=False), name="grants_unique_user"
            ),
            models.UniqueConstraint(
                fields=["ticket", "role"], condition=Q(is_deleted=False, role__isnull=False), name="grants_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.key} → {user_or_role_name(self)}"


class AccessRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"


class AccessRequest(AuditedModel):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="access_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests")
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=AccessRequestStatus.choices, default=AccessRequestStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True, default="")

    class Meta:
        db_table = "access_requests"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "requester"],
                condition=Q(status="pending", is_deleted=False),
                name="access_requests_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.key} access request by {self.requester.username} ({self.get_status_display().lower()})"
