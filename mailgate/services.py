"""The mail gateway's one entry point (docs/email.md): both ingestion paths (`fetch_mail`, `ingest_mail`) hand it the
raw bytes of one RFC 822 message.

Order of the checks: the size (on the raw bytes, before parsing), the message key (a message seen before changes
nothing), loops and automatic mail (ignored), the sender's rate, then what the message asks: a reply with a token
becomes a comment or an approval decision, mail to the intake address a ticket. Every message leaves one
InboundMessage row with its outcome and reason, and one line on the "mailgate" logger.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from io import BytesIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import APIException

from approvals.selectors import Slot, acting_routes
from approvals.services import approval_decide
from mailgate import selectors
from mailgate.models import InboundMessage, InboundOutcome, InboundSource
from mailgate.parsing import MailFile, ParsedMessage, message_key, parse_message, read_headers
from notifications.models import Channel, NotificationEvent
from notifications.outbound import is_our_message_id
from notifications.selectors import email_opted_out
from notifications.services import Event, enqueue_notification_emails, notification_row
from notifications.tokens import read_reply_token, token_from_address
from permissions.selectors import can_view_ticket
from tickets import statemachine
from tickets.models import Ticket, TicketNote, TicketTemplate
from tickets.services.attachments import attachment_create
from tickets.services.tickets import comment_create, ticket_create, ticket_transition
from tickets.timeline import VIA_EMAIL
from ticketsite.limits import COMMENT_MAX_LENGTH, TICKET_DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH

logger = logging.getLogger("mailgate")

REASON_MAX_LENGTH = 500
SUBJECT_MAX_LENGTH = 300
RATE_WINDOW = timedelta(hours=1)
# Senders that only ever send delivery reports (RFC 5321 §4.5.1, RFC 3464).
BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
CUT_MARK = "\n\n[… cut: the e-mail was longer than a ticket takes]"
NO_SUBJECT = "(no subject)"

# Re:, Fwd:, Fw:, AW:, WG:, SV:, VS:, TR:, RV:, Antw: and their "[TCK-1]" tags, as many as lead a subject.
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr|rv|antw)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# The left part of our Message-IDs: email.utils.make_msgid's, or a ticket's thread id ("ticket-42").
# The first line of a reply that decides an approval: "approve", "approve: fine by me", "reject: too expensive".
_DECISION = re.compile(r"^\s*(approve|reject)\b[\s:.,;!-]*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """What became of a message."""

    outcome: InboundOutcome
    reason: str = ""
    user: User | None = None
    ticket: Ticket | None = None


def _refused(reason: str, *, user: User | None = None, ticket: Ticket | None = None) -> Verdict:
    return Verdict(InboundOutcome.REFUSED, reason, user, ticket)


def ingest_message(raw: bytes, *, source: InboundSource) -> InboundMessage:
    """Parse one message and act on it: a reply becomes a comment or an approval decision, mail to the intake address
    a ticket; anything else is refused or ignored with its reason. A message already seen (same key) returns its first
    record and changes nothing."""
    limit: int = settings.MAIL_MAX_MESSAGE_BYTES
    if len(raw) > limit:
        message_id, sender, subject = read_headers(raw)
        record = InboundMessage(message_key=message_key(message_id, raw), sender=sender, subject=subject)
        return _record_once(
            record, raw, source, lambda: _refused(f"The message is {len(raw)} bytes, more than the limit of {limit}.")
        )
    parsed = parse_message(raw)
    record = InboundMessage(message_key=message_key(parsed.message_id, raw), sender=parsed.sender, subject=parsed.subject)
    record.recipient = _acted_on_address(parsed)[:254]
    return _record_once(record, raw, source, lambda: _judge(parsed, record))


@transaction.atomic
def _record_once(record: InboundMessage, raw: bytes, source: InboundSource, judge: Callable[[], Verdict]) -> InboundMessage:
    """Insert the record first: the unique key decides which of two deliveries of one message acts (on PostgreSQL the
    second insert waits for the first transaction and then fails); the loser returns the winner's record."""
    record.sender = record.sender[:254]
    record.subject = record.subject[:SUBJECT_MAX_LENGTH]
    record.size = len(raw)
    record.source = source
    record.outcome = InboundOutcome.REFUSED  # replaced below, in this transaction, before anyone can read it
    record.stamp(None, created=True)
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        first = InboundMessage.all_objects.get(message_key=record.message_key)
        logger.info("message %s seen before (inbound message %s): nothing done", record.message_key, first.pk)
        return first
    verdict = judge()
    record.outcome = verdict.outcome
    record.reason = verdict.reason[:REASON_MAX_LENGTH]
    record.user = verdict.user
    record.ticket = verdict.ticket
    record.save(update_fields=["outcome", "reason", "user", "ticket"])
    acted = verdict.outcome in (InboundOutcome.COMMENT, InboundOutcome.TICKET, InboundOutcome.APPROVAL)
    (logger.info if acted else logger.warning)(
        "message %s from %s (%s): %s%s",
        record.message_key,
        record.sender or "no sender",
        source,
        verdict.outcome,
        f": {verdict.reason}" if verdict.reason else "",
    )
    return record


# --- what a message is -----------------------------------------------------------------------------------------------


def _our_addresses() -> set[str]:
    configured = (settings.DEFAULT_FROM_EMAIL, settings.MAIL_REPLY_ADDRESS, settings.MAIL_INTAKE_ADDRESS)
    return {address for address in (parseaddr(value)[1].lower() for value in configured) if address}


def _intake_address() -> str:
    return parseaddr(settings.MAIL_INTAKE_ADDRESS)[1].lower()


def _reply_tokens(parsed: ParsedMessage) -> list[tuple[str, str]]:
    """(address, token) of each recipient that is our reply address plus-addressed with a token."""
    return [(address, token) for address in parsed.recipients if (token := token_from_address(address)) is not None]


def _acted_on_address(parsed: ParsedMessage) -> str:
    """The recipient the record names: the reply address with its token, else the intake address, else the first."""
    tokens = _reply_tokens(parsed)
    if tokens:
        return tokens[0][0]
    intake = _intake_address()
    if intake and intake in parsed.recipients:
        return intake
    return parsed.recipients[0] if parsed.recipients else ""


def _automatic(parsed: ParsedMessage) -> str:
    """Why the message is one nobody should act on (a loop, an auto-reply, a list, a bounce), or ""."""
    if is_our_message_id(parsed.message_id):
        return "Our own message came back (its Message-ID is one of ours)."
    if parsed.sender in _our_addresses() or token_from_address(parsed.sender) is not None:
        return f"The sender {parsed.sender} is one of our own addresses."
    if parsed.auto_submitted and parsed.auto_submitted != "no":
        return f"Automatic mail (Auto-Submitted: {parsed.auto_submitted})."
    if parsed.precedence in BULK_PRECEDENCE:
        return f"Bulk or list mail (Precedence: {parsed.precedence})."
    if parsed.null_return_path:
        return "A bounce (empty Return-Path)."
    if parsed.sender.partition("@")[0] in BOUNCE_SENDERS:
        return f"A bounce (from {parsed.sender})."
    if parsed.is_delivery_report:
        return "A bounce (a delivery status report)."
    return ""


def _judge(parsed: ParsedMessage, record: InboundMessage) -> Verdict:
    automatic = _automatic(parsed)
    if automatic:
        return Verdict(InboundOutcome.IGNORED, automatic)
    if not parsed.sender:
        return _refused("The message has no sender address.")
    rate: int = settings.MAIL_SENDER_RATE_PER_HOUR
    if selectors.messages_from(parsed.sender, since=timezone.now() - RATE_WINDOW).exclude(pk=record.pk).count() >= rate:
        return _refused(f"The sender {parsed.sender} sent more than {rate} messages in the last hour.")
    tokens = _reply_tokens(parsed)
    if tokens:
        return _act(lambda: _reply(parsed, [token for _, token in tokens]))
    if any(is_our_message_id(reference) for reference in (parsed.in_reply_to, *parsed.references)):
        # A client that answered our From instead of our Reply-To: a reply to a ticket, never a new one.
        return _refused("A reply to one of our mails without its reply address (and token): it was not sent to Reply-To.")
    intake = _intake_address()
    if intake and intake in parsed.recipients:
        return _act(lambda: _intake(parsed))
    return _refused("The message is neither a reply to one of our mails nor addressed to the intake address.")


def _act(action: Callable[[], Verdict]) -> Verdict:
    """Run an action in a savepoint: a service's refusal takes back everything the action wrote, and is the reason."""
    try:
        with transaction.atomic():
            return action()
    except APIException as refusal:
        return _refused(_describe(refusal))


def _describe(refusal: APIException) -> str:
    detail = refusal.detail
    if isinstance(detail, dict):
        return " ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in detail.items())
    if isinstance(detail, list):
        return " ".join(map(str, detail))
    return str(detail)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(CUT_MARK)].rstrip() + CUT_MARK


# --- replies: comments and approval decisions -----------------------------------------------------------------------


def _reply(parsed: ParsedMessage, tokens: list[str]) -> Verdict:
    read = next((token for token in map(read_reply_token, tokens) if token is not None), None)
    if read is None:
        return _refused("The reply address carries no valid token (forged or damaged).")
    user = User.objects.filter(pk=read.user_id).first()
    ticket = Ticket.objects.filter(pk=read.ticket_id).first()
    if user is None or ticket is None:
        return _refused("The user or the ticket of the reply token no longer exists.", user=user, ticket=ticket)
    if not user.is_active:
        return _refused(f"The user {user.username} is inactive.", user=user, ticket=ticket)
    other = _other_user_of(parsed.sender, user)
    if other is not None:
        return _refused(
            f"The reply token is {user.username}'s, but the sender {parsed.sender} is {other.username}'s address.",
            user=user,
            ticket=ticket,
        )
    if not can_view_ticket(user, ticket):
        return _refused(f"The user {user.username} can no longer see {ticket.key}.", user=user, ticket=ticket)
    noted = "" if parsed.sender == user.email.lower() else f"Sent from {parsed.sender}, not {user.username}'s address."
    if noted:
        logger.warning("reply token of %s used from %s on %s", user.username, parsed.sender, ticket.key)
    body = parsed.reply
    first_line, _, rest = body.partition("\n")
    decision = _DECISION.match(first_line)
    if decision is not None:
        comment = "\n".join(part for part in (decision.group(2).strip(), rest.strip()) if part)
        return _decide(user, ticket, approve=decision.group(1).lower() == "approve", comment=comment, noted=noted)
    return _comment(parsed, user, ticket, body, noted)


def _other_user_of(sender: str, user: User) -> User | None:
    """Another active user whose address the sender is (a token forwarded or leaked), unless it is also the token's."""
    if sender == user.email.lower():
        return None
    return selectors.active_users_with_address(sender).exclude(pk=user.pk).first()


def _comment(parsed: ParsedMessage, user: User, ticket: Ticket, body: str, noted: str) -> Verdict:
    if not body and not parsed.files:
        return _refused("The reply has no text of its own (after quotes and signature) and no files.", user=user, ticket=ticket)
    text = body or "Files sent by e-mail: " + ", ".join(file.file_name for file in parsed.files)
    note = comment_create(ticket=ticket, actor=user, note=_cut(text, COMMENT_MAX_LENGTH), via=VIA_EMAIL)
    refused_files = _attach(parsed.files, ticket=ticket, actor=user, note=note)
    return Verdict(InboundOutcome.COMMENT, " ".join(filter(None, (noted, refused_files))), user, ticket)


def _decide(user: User, ticket: Ticket, *, approve: bool, comment: str, noted: str) -> Verdict:
    routes = acting_routes(actor=user, slots=Slot.objects.filter(ticket=ticket))
    if not routes:
        return _refused(
            f"{user.username} has no approval to decide on {ticket.key} now (decided, not theirs, or no longer waiting).",
            user=user,
            ticket=ticket,
        )
    if not approve and not comment:
        return _refused("A rejection by e-mail needs a reason: reply 'reject: <reason>'.", user=user, ticket=ticket)
    # Their own slot before one they fill as somebody's delegate.
    slot_id = min(routes, key=lambda pk: (routes[pk].on_behalf_of is not None, pk))
    slot = approval_decide(slot=Slot.objects.get(pk=slot_id), actor=user, approve=approve, comment=comment, via=VIA_EMAIL)
    on_behalf = f" on behalf of {slot.on_behalf_of.username}" if slot.on_behalf_of is not None else ""
    reason = f"{'Approved' if approve else 'Rejected'}{on_behalf}. {noted}".strip()
    return Verdict(InboundOutcome.APPROVAL, reason, user, ticket)


def _attach(files: list[MailFile], *, ticket: Ticket, actor: User, note: TicketNote | None = None) -> str:
    """Attach each file through the attachment service's checks; a refused file is named in the returned reason and
    the rest (the comment, the ticket) stays."""
    refusals = []
    for file in files:
        try:
            attachment_create(
                actor=actor,
                upload=File(BytesIO(file.data), name=file.file_name),
                ticket=ticket,
                note=note,
                claimed_type=file.content_type,
            )
        except APIException as refusal:
            refusals.append(f"File {file.file_name!r} refused: {_describe(refusal)}")
    return " ".join(refusals)


# --- new tickets by e-mail -------------------------------------------------------------------------------------------


def ticket_title(subject: str, body: str) -> str:
    """The subject without its Re:/Fwd: prefixes, else the body's first line, cut to the title's limit."""
    title = _SUBJECT_PREFIX.sub("", subject).strip() or next((line.strip() for line in body.splitlines() if line.strip()), "")
    title = title or NO_SUBJECT
    return title if len(title) <= TITLE_MAX_LENGTH else title[: TITLE_MAX_LENGTH - 1].rstrip() + "…"


def _intake(parsed: ParsedMessage) -> Verdict:
    users = list(selectors.active_users_with_address(parsed.sender)[:2])
    if len(users) > 1:
        return _refused(f"The sender {parsed.sender} is the address of more than one active user.")
    body = parsed.text.strip()
    if users:
        creator, description = users[0], body
    else:
        fallback = selectors.intake_fallback_user()
        if fallback is None:
            return _refused(f"The sender {parsed.sender} is no active user's address.")
        creator, description = fallback, f"From: {parsed.sender}\n\n{body}"
    template, missing = _intake_template()
    ticket = ticket_create(
        actor=creator,
        title=ticket_title(parsed.subject, body),
        description=_cut(description, TICKET_DESCRIPTION_MAX_LENGTH),
        template=template,
        via=VIA_EMAIL,
    )
    refused_files = _attach(parsed.files, ticket=ticket, actor=creator)
    submitted = _submit(ticket, creator)
    if users:
        acknowledge_by_email(ticket=ticket, user=creator)
    reason = " ".join(filter(None, (missing, refused_files, submitted)))
    return Verdict(InboundOutcome.TICKET, reason, creator, ticket)


def _intake_template() -> tuple[TicketTemplate | None, str]:
    name: str = settings.MAIL_INTAKE_TEMPLATE
    if not name:
        return None, ""
    template = selectors.ticket_template_named(name)
    return template, "" if template is not None else f"The intake template {name!r} does not exist; none was used."


def _submit(ticket: Ticket, creator: User) -> str:
    """Submit the new draft as the workspace's form does (for approval, or straight to the desk); a refusal keeps the
    draft and is the returned reason."""
    try:
        ticket_transition(ticket=ticket, actor=creator, to_status=statemachine.submit_status(ticket))
    except APIException as refusal:
        ticket.refresh_from_db()  # the refused transition changed the instance before its savepoint rolled back
        return f"Kept as a draft, not submitted: {_describe(refusal)}"
    return ""


def acknowledge_by_email(*, ticket: Ticket, user: User) -> None:
    """Mail the person who opened `ticket` by e-mail its key and link, as a "ticket created" notification's e-mail.

    The notification rules never tell people of their own actions, but someone who wrote to a mailbox needs to know
    their mail arrived and which ticket to follow (every help desk answers so); their reply to it threads as a
    comment. Only for a known, active user: an acknowledgement to an unknown, maybe forged, sender would be backscatter.
    Their e-mail preference for "ticket created" is respected."""
    if user.pk in email_opted_out([user.pk], NotificationEvent.TICKET_CREATED):
        return
    event = Event(NotificationEvent.TICKET_CREATED, ticket, user, f"Your e-mail became the ticket {ticket.key}.")
    row = notification_row(event=event, recipient_id=user.pk, channels={Channel.EMAIL})
    row.stamp(user, created=True)
    row.save()
    transaction.on_commit(lambda: enqueue_notification_emails(notification_ids=[row.pk], attempt=1))
