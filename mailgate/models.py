"""Every inbound message the gateway saw, with what became of it (docs/email.md). The unique key is what makes a
message processed once, whichever path (IMAP polling or the MTA pipe) brings it, and however often."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ticketsite.models import AuditedModel


class InboundOutcome(models.TextChoices):
    COMMENT = "comment", "Became a comment"
    TICKET = "ticket", "Became a ticket"
    APPROVAL = "approval", "Decided an approval"
    REFUSED = "refused", "Refused"
    IGNORED = "ignored", "Ignored (automatic mail, bounce or loop)"


class InboundSource(models.TextChoices):
    IMAP = "imap", "IMAP polling (fetch_mail)"
    PIPE = "pipe", "MTA pipe (ingest_mail)"


class InboundMessage(AuditedModel):
    # The Message-ID, or "sha256:<hex of the bytes>" for a message without one.
    message_key = models.CharField(max_length=255, unique=True)
    sender = models.CharField(max_length=254, blank=True, default="")
    recipient = models.CharField(max_length=254, blank=True, default="")
    subject = models.CharField(max_length=300, blank=True, default="")
    size = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=8, choices=InboundSource.choices)
    outcome = models.CharField(max_length=16, choices=InboundOutcome.choices)
    reason = models.CharField(max_length=500, blank=True, default="")
    # Who the message acted as, and the ticket it touched (none for a refusal that names neither).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "inbound_messages"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["sender", "created_at"], name="inbound_messages_sender_idx")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.subject or self.message_key}"
