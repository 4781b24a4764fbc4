"""The signed tokens mail carries (docs/email.md). Each kind has its own salt, so one kind never passes for another.

- Reply token: who replies about which ticket, in the local part of the Reply-To address (`support+<token>@…`). Mail
  systems may change the case of an address, so the token is lower-case only: `<ticket>-<user>-<base32 HMAC>`. It does
  not expire: a reply is only ever accepted from a user who is active and can still see the ticket.
- Unsubscribe token: (user, event type), in the one-click unsubscribe link.
- Approval token: (slot, user, decision), in the Approve and Reject links; it expires, and it acts only while the slot
  is actionable, so once the slot is decided it can never act again (single use without a table of used tokens).
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

_REPLY_SALT = "notifications.tokens.reply"
_UNSUBSCRIBE_SALT = "notifications.tokens.unsubscribe"
_APPROVAL_SALT = "notifications.tokens.approval"


def _reply_signature(ticket_id: int, user_id: int) -> str:
    digest = salted_hmac(_REPLY_SALT, f"{ticket_id}-{user_id}", algorithm="sha256").digest()[:16]
    return base64.b32encode(digest).decode().rstrip("=").lower()


def reply_token(*, ticket_id: int, user_id: int) -> str:
    return f"{ticket_id}-{user_id}-{_reply_signature(ticket_id, user_id)}"


@dataclass(frozen=True)
class ReplyToken:
    ticket_id: int
    user_id: int


def read_reply_token(token: str) -> ReplyToken | None:
    """The (ticket, user) a reply token names, or None when it is malformed or its signature is wrong."""
    parts = token.strip().lower().split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    ticket_id, user_id = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2], _reply_signature(ticket_id, user_id)):
        return None
    return ReplyToken(ticket_id=ticket_id, user_id=user_id)


def reply_address(*, ticket_id: int, user_id: int) -> str:
    """The plus-addressed Reply-To of a mail about `ticket_id` to `user_id`."""
    local, _, domain = (settings.MAIL_REPLY_ADDRESS or settings.DEFAULT_FROM_EMAIL).rpartition("@")
    return f"{local}+{reply_token(ticket_id=ticket_id, user_id=user_id)}@{domain}"


def token_from_address(address: str) -> str | None:
    """The token in a plus-addressed recipient of our reply address (any case), or None."""
    reply_local, _, reply_domain = (settings.MAIL_REPLY_ADDRESS or settings.DEFAULT_FROM_EMAIL).lower().rpartition("@")
    local, _, domain = address.strip().lower().rpartition("@")
    base, plus, token = local.partition("+")
    if not plus or base != reply_local or domain != reply_domain or not token:
        return None
    return token


def unsubscribe_token(*, user_id: int, event_type: str) -> str:
    return signing.dumps({"u": user_id, "e": event_type}, salt=_UNSUBSCRIBE_SALT, compress=False)


@dataclass(frozen=True)
class UnsubscribeToken:
    user_id: int
    event_type: str


def read_unsubscribe_token(token: str) -> UnsubscribeToken | None:
    try:
        data = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        return None
    return UnsubscribeToken(user_id=data["u"], event_type=data["e"])


def approval_token(*, slot_id: int, user_id: int, approve: bool) -> str:
    payload = {"s": slot_id, "u": user_id, "a": bool(approve)}
    return signing.dumps(payload, salt=_APPROVAL_SALT, compress=False)


@dataclass(frozen=True)
class ApprovalToken:
    slot_id: int
    user_id: int
    approve: bool


class ApprovalTokenExpired(Exception):
    """A well-signed approval token older than MAIL_APPROVAL_LINK_MAX_AGE_DAYS."""


def approval_link_max_age() -> timedelta:
    return timedelta(days=settings.MAIL_APPROVAL_LINK_MAX_AGE_DAYS)


def read_approval_token(token: str) -> ApprovalToken | None:
    """The (slot, user, decision) of an approval link; None when forged or malformed; ApprovalTokenExpired when old."""
    try:
        data = signing.loads(token, salt=_APPROVAL_SALT, max_age=approval_link_max_age())
    except signing.SignatureExpired:
        raise ApprovalTokenExpired from None
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("u"), int):
        return None
    return ApprovalToken(slot_id=data["s"], user_id=data["u"], approve=bool(data.get("a")))
