"""What a notification's e-mail looks like (docs/notifications.md, "Outbound mail"): the subject, the threading and
list headers, the plain-text and HTML bodies, and the absolute links they carry. The sending (who, when, retries) is
`services.send_notification_emails`, which resolves the names of the batch's timeline entries once (`mail_facts`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import _header_value_parser as header_parser
from email.headerregistry import BaseHeader
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse

from notifications import selectors
from notifications.models import Notification, NotificationEvent
from notifications.tokens import approval_token, reply_address, unsubscribe_token
from tickets.models import Ticket
from tickets.timeline_words import Names, Sentence, describe, person_name


def site_link(path: str) -> str:
    """An absolute link to a page of the site (mail is read far from it)."""
    return settings.SITE_URL + path


def ticket_link(ticket: Ticket) -> str:
    return site_link(reverse("workspace:ticket", kwargs={"key": ticket.key}))


def preferences_link() -> str:
    return site_link(reverse("workspace:notification-preferences"))


def unsubscribe_link(*, user_id: int, event_type: str) -> str:
    token = unsubscribe_token(user_id=user_id, event_type=event_type)
    return site_link(reverse("workspace:mail-unsubscribe", kwargs={"token": token}))


def approval_link(*, slot_id: int, user_id: int, approve: bool) -> str:
    token = approval_token(slot_id=slot_id, user_id=user_id, approve=approve)
    return site_link(reverse("workspace:mail-approval", kwargs={"token": token}))


def mail_domain() -> str:
    """The domain of our own Message-IDs and thread ids: the sender address's."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def thread_id(ticket_id: int) -> str:
    """One ticket's conversation: every mail about it names this id in In-Reply-To and References."""
    return f"<ticket-{ticket_id}@{mail_domain()}>"


# The tail of every Message-ID we make (make_msgid's idstring): "<time.pid.random.helpdesk@domain>".
MESSAGE_ID_MARK = "helpdesk"
_OUR_LOCAL_PART = re.compile(rf"^(?:\d+\.\d+\.\d+\.{MESSAGE_ID_MARK}|ticket-\d+)$")


def message_id() -> str:
    return make_msgid(idstring=MESSAGE_ID_MARK, domain=mail_domain())


def is_our_message_id(value: str) -> bool:
    """Whether a Message-ID (or an In-Reply-To, a References entry) is one our mail carries: at our domain and shaped
    as ours are (message_id(), thread_id()). The shape matters: people of the organisation send from that domain too."""
    local, _, domain = value.strip().strip("<>").lower().rpartition("@")
    return domain == mail_domain().lower() and bool(_OUR_LOCAL_PART.match(local))


class _Unbreakable(header_parser.TokenList):
    token_type = "unbreakable"
    as_ew_allowed = False


class _UrlHeader(BaseHeader):
    """A header of angle-bracketed URLs (RFC 2369). Past 78 characters Python's mail policies would write it as RFC 2047
    encoded words, in which no client finds a URL; as one unbreakable token it is folded onto a line of its own."""

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["parse_tree"] = _Unbreakable([header_parser.ValueTerminal(value, "url")])
        kwds["decoded"] = value


@dataclass(frozen=True)
class ApprovalChoice:
    """The Approve and Reject links of one slot the recipient may decide; `slot` names it (a person, or a role), and
    `on_behalf_of` the approver a delegate stands in for."""

    slot: str
    on_behalf_of: str
    approve_link: str
    reject_link: str


@dataclass(frozen=True)
class MailFacts:
    """What the sender resolved for one notification's mail: whether the recipient may see the ticket (else the mail
    names no title and carries no link to it, nor a reply address), the timeline entry in words, and the approval
    choices of an approver."""

    shows_ticket: bool
    sentence: Sentence | None = None
    approval_choices: list[ApprovalChoice] = field(default_factory=list)


def _approval_choices(notification: Notification) -> list[ApprovalChoice]:
    """The Approve and Reject links of each slot of the asked step that the recipient may decide now (approvals' own
    rule: directly, or as the delegate of an approver); none once the step is decided."""
    assert notification.ticket_id is not None
    details = notification.note.event_details if notification.note is not None else None
    step_id = details.get("step") if isinstance(details, dict) and isinstance(details.get("step"), int) else None
    choices = []
    for slot, route in selectors.decidable_slots(notification.recipient, ticket_id=notification.ticket_id, step_id=step_id):
        named = person_name(slot.user) if slot.user is not None else f"Role {slot.role.name}" if slot.role else "A slot"
        link = {"slot_id": slot.pk, "user_id": notification.recipient_id}
        choices.append(
            ApprovalChoice(
                slot=named,
                on_behalf_of=person_name(route.on_behalf_of) if route.on_behalf_of is not None else "",
                approve_link=approval_link(**link, approve=True),
                reject_link=approval_link(**link, approve=False),
            )
        )
    return choices


def mail_facts(notification: Notification, *, shows_ticket: bool, names: Names) -> MailFacts:
    """What one mail needs beyond its row; `names` from tickets.timeline_words.names_for over the batch's entries."""
    if not shows_ticket:
        return MailFacts(shows_ticket=False)
    asks_approval = notification.event_type == NotificationEvent.APPROVAL_REQUESTED
    return MailFacts(
        shows_ticket=True,
        sentence=describe(notification.note, names) if notification.note is not None else None,
        approval_choices=_approval_choices(notification) if asks_approval else [],
    )


def _subject(notification: Notification, *, shows_ticket: bool) -> str:
    ticket = notification.ticket
    if ticket is None:
        return str(NotificationEvent(notification.event_type).label)
    if not shows_ticket:
        return f"[Ticket #{ticket.pk}] {NotificationEvent(notification.event_type).label}"
    # One line whatever the title holds: a header cannot carry a line break.
    return " ".join(f"[{ticket.key}] {ticket.title}".split())


def _common_headers() -> dict[str, Any]:
    return {
        "Message-ID": message_id(),
        "Auto-Submitted": "auto-generated",
        # Exchange and Outlook: no out-of-office or other automatic answers to a notification.
        "X-Auto-Response-Suppress": "All",
    }


def render_email(notification: Notification, facts: MailFacts) -> mail.EmailMultiAlternatives:
    """The e-mail of one notification to its recipient, both bodies from the templates notifications/email/*."""
    recipient, ticket = notification.recipient, notification.ticket
    shown = ticket if facts.shows_ticket else None
    unsubscribe = unsubscribe_link(user_id=recipient.pk, event_type=notification.event_type)
    context = {
        "recipient": recipient,
        "event_label": NotificationEvent(notification.event_type).label,
        "message": notification.message,
        "sentence": facts.sentence if shown else None,
        "ticket": shown,
        "ticket_link": ticket_link(shown) if shown else "",
        "approval_choices": facts.approval_choices if shown else [],
        "can_reply": shown is not None,
        "unsubscribe_link": unsubscribe,
        "preferences_link": preferences_link(),
    }
    headers = {
        **_common_headers(),
        # A header object (a str) is kept as it is by Django and by the policy that writes the message.
        "List-Unsubscribe": _UrlHeader("List-Unsubscribe", f"<{unsubscribe}>"),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058: one POST, no page to confirm on
    }
    if ticket is not None:
        headers["In-Reply-To"] = headers["References"] = thread_id(ticket.pk)
    message = mail.EmailMultiAlternatives(
        subject=_subject(notification, shows_ticket=facts.shows_ticket),
        body=render_to_string("notifications/email/notification.txt", context),
        to=[recipient.email],
        reply_to=[reply_address(ticket_id=shown.pk, user_id=recipient.pk)] if shown else [],
        headers=headers,
    )
    message.attach_alternative(render_to_string("notifications/email/notification.html", context), "text/html")
    return message


@dataclass(frozen=True)
class DigestItem:
    """One notification of a digest, with what the sender resolved for it."""

    notification: Notification
    facts: MailFacts

    @property
    def ticket(self) -> Ticket | None:
        return self.notification.ticket if self.facts.shows_ticket else None

    @property
    def ticket_link(self) -> str:
        return ticket_link(self.ticket) if self.ticket is not None else ""


def render_digest(recipient: Any, items: list[DigestItem]) -> mail.EmailMultiAlternatives:
    """One e-mail telling `recipient` of several notifications at once (the events of one bulk action): each in words
    with its ticket's link and, for an approver, its Approve and Reject links. It belongs to no ticket's thread and has
    no reply address (a reply could not say which ticket it is about); its unsubscribe link is that of the event type
    when all items share one, else the preferences page."""
    event_types = {item.notification.event_type for item in items}
    actors = {item.notification.actor_id for item in items}
    actor = items[0].notification.actor if len(actors) == 1 and items[0].notification.actor is not None else None
    only_type = NotificationEvent(next(iter(event_types))) if len(event_types) == 1 else None
    unsubscribe = unsubscribe_link(user_id=recipient.pk, event_type=only_type) if only_type is not None else ""
    subject = f"{len(items)} ticket updates" + (f" by {person_name(actor)}" if actor is not None else "")
    context = {
        "recipient": recipient,
        "items": items,
        "actor": person_name(actor) if actor is not None else "",
        "event_label": only_type.label if only_type is not None else "",
        "unsubscribe_link": unsubscribe,
        "preferences_link": preferences_link(),
    }
    headers = _common_headers()
    if unsubscribe:
        headers["List-Unsubscribe"] = _UrlHeader("List-Unsubscribe", f"<{unsubscribe}>")
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = mail.EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/digest.txt", context),
        to=[recipient.email],
        headers=headers,
    )
    message.attach_alternative(render_to_string("notifications/email/digest.html", context), "text/html")
    return message
