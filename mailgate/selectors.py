"""Reads of the mail gateway: who an address is, how much a sender sent, the intake's configured template and user."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet

from mailgate.models import InboundMessage
from tickets.models import TicketTemplate


def messages_from(sender: str, *, since: datetime) -> QuerySet[InboundMessage]:
    """Every message recorded from `sender` (lower-case) since then, whatever became of it (the sender rate)."""
    return InboundMessage.all_objects.filter(sender=sender, created_at__gte=since)


def active_users_with_address(address: str) -> QuerySet[User]:
    """Active users whose e-mail is `address`, ignoring case (mail systems may change it), in id order."""
    return User.objects.filter(email__iexact=address, is_active=True).order_by("pk") if address else User.objects.none()


def intake_fallback_user() -> User | None:
    """The active user MAIL_INTAKE_FALLBACK_USER names, who opens the tickets of unknown senders; None: refuse them."""
    username: str = settings.MAIL_INTAKE_FALLBACK_USER
    return User.objects.filter(username=username, is_active=True).first() if username else None


def ticket_template_named(name: str) -> TicketTemplate | None:
    return TicketTemplate.objects.filter(name__iexact=name).first()
