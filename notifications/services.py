"""Writes of the notifications app: the fan-out of one event to its recipients, the inbox verbs, rule management,
and the e-mail delivery that the background task runs (SPEC §8). See docs/notifications.md."""

from __future__ import annotations

import logging
import smtplib
import weakref
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.db import transaction
from django.tasks import task_backends
from django.utils import timezone

from approvals.models import ApprovalProcessStep
from notifications import outbound, selectors
from notifications.models import (
    Channel,
    EmailStatus,
    Notification,
    NotificationEvent,
    NotificationPreference,
    NotificationRule,
)
from tickets.models import EventType, Ticket, TicketNote
from tickets.timeline import recorded_event
from tickets.timeline_words import names_for
from ticketsite.batching import current_batch, deferred_writes
from ticketsite.errors import DomainValidationError
from ticketsite.services import model_update

logger = logging.getLogger(__name__)


def email_max_attempts() -> int:
    """A failed send is tried this many times in all (the first try included); then it is marked failed."""
    return int(getattr(settings, "NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", 3))


def email_retry_delay(attempt: int) -> timedelta:
    """Delay before the retry after try `attempt` (exponential), honoured where the task backend can defer."""
    return timedelta(seconds=int(getattr(settings, "NOTIFICATIONS_EMAIL_RETRY_SECONDS", 60)) * 2 ** (attempt - 1))


# What a mail backend raises for a send it could not make (SMTP refusals, network errors).
EMAIL_SEND_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)


@dataclass(frozen=True)
class Event:
    """One domain event as the notification rules see it."""

    event_type: NotificationEvent
    ticket: Ticket
    actor: User | None
    message: str
    # approval_requested: the step whose approvers are asked (else: the ticket's active step, if any).
    step: ApprovalProcessStep | None = None
    # access_requested / access_decided: the requester, who hears about the decision even without access.
    requester_id: int | None = None
    # The timeline entry the event wrote, when the signal carries it (a comment); else looked up (TIMELINE_ENTRIES).
    note: TicketNote | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _matches(rule: NotificationRule, ticket: Ticket, ticket_category_ids: set[int] | None) -> bool:
    conditions = rule.conditions or {}
    if conditions.get("priorities") and ticket.priority not in conditions["priorities"]:
        return False
    if conditions.get("templates") and ticket.template_id not in conditions["templates"]:
        return False
    if conditions.get("categories"):
        return bool(ticket_category_ids is not None and ticket_category_ids & set(conditions["categories"]))
    return True


def _recipients_by_rule(event: Event, rules: list[NotificationRule]) -> dict[int, set[str]]:
    """user id -> channels asked for by every matching rule (merged, so one notification per user per event)."""
    ticket = event.ticket
    category_ids: set[int] | None = None
    if any((rule.conditions or {}).get("categories") for rule in rules):
        category_ids = set(ticket.categories.values_list("id", flat=True))
    matching = [rule for rule in rules if _matches(rule, ticket, category_ids)]

    # Rules that list nobody by name (the default set) need no query here.
    named = [rule.pk for rule in matching if getattr(rule, "lists_users", True) or getattr(rule, "lists_roles", True)]
    members = selectors.rule_member_ids(named)
    approver_ids: set[int] | None = None
    channels: dict[int, set[str]] = {}
    for rule in matching:
        user_ids = set(members.get(rule.pk, ()))
        if rule.notify_creator and ticket.created_by_id:
            user_ids.add(ticket.created_by_id)
        if rule.notify_assignee and ticket.assignee_id:
            user_ids.add(ticket.assignee_id)
        if rule.notify_requester and event.requester_id:
            user_ids.add(event.requester_id)
        if rule.notify_approvers:
            if approver_ids is None:
                step = event.step or selectors.active_step_of(ticket)
                approver_ids = selectors.step_approver_ids(step) if step else set()
            user_ids |= approver_ids
        rule_channels = set(rule.channels or []) & set(Channel.values)
        for user_id in user_ids:
            channels.setdefault(user_id, set()).update(rule_channels)
    return {user_id: chans for user_id, chans in channels.items() if chans}


# The timeline entry an event's e-mail tells of, by the event's type. The apps that write these entries are installed
# before this one, so their receivers of the same signal have run when the fan-out looks. Not the service levels': the
# sla app records its events after notifications heard them (its message says it all).
TIMELINE_ENTRIES: dict[str, tuple[str, ...]] = {
    NotificationEvent.TICKET_CREATED: (EventType.CREATED,),
    NotificationEvent.STATUS_CHANGED: (EventType.STATUS_CHANGE,),
    NotificationEvent.TICKET_ASSIGNED: (EventType.ASSIGNEE_CHANGE,),
    NotificationEvent.APPROVAL_REQUESTED: (EventType.APPROVAL_STEP_STARTED,),
    NotificationEvent.APPROVAL_COMPLETED: (EventType.APPROVAL_COMPLETED,),
    NotificationEvent.APPROVAL_REJECTED: (EventType.APPROVAL_REJECTED,),
    NotificationEvent.ACCESS_REQUESTED: (EventType.ACCESS_REQUESTED,),
    NotificationEvent.ACCESS_DECIDED: (EventType.ACCESS_GRANTED, EventType.ACCESS_DENIED),
}


def _timeline_entry(event: Event) -> TicketNote | None:
    if event.note is not None:
        return event.note
    entry_types = TIMELINE_ENTRIES.get(event.event_type)
    if not entry_types:
        return None
    return selectors.latest_timeline_entry(event.ticket, entry_types, actor=event.actor)


def notification_row(*, event: Event, recipient_id: int, channels: set[str], note: TicketNote | None = None) -> Notification:
    """The unsaved, unstamped notification of `event` for one recipient (notify; demo's bulk loader)."""
    return Notification(
        recipient_id=recipient_id,
        event_type=event.event_type,
        ticket=event.ticket,
        actor=event.actor,
        message=event.message[:500],
        note=note,
        in_app=Channel.IN_APP in channels,
        email_status=EmailStatus.PENDING if Channel.EMAIL in channels else EmailStatus.NOT_REQUESTED,
    )


DEFERRED_KEY = "notifications"


def notify(event: Event) -> list[Notification]:
    """Fan one event out to the recipients of the active rules, in a bounded number of queries.

    At most one notification per user per event; never to the actor; inactive users and users who cannot see the
    ticket are skipped (except the requester of an access decision, whose notification names no ticket detail).
    The e-mail channel is dropped for users who turned off the e-mails of this event type (their in-app notification
    stays). E-mails are enqueued when the surrounding transaction commits, with the timeline entry they tell of.

    Inside a service (ticketsite.batching.atomic_service) the fan-out waits for the service's end and is made with
    those of its other events (one query for the rules, one per ticket for the recipients, one insert); the timeline
    entry is taken in hand now. It returns the notifications made at once, none when they wait.
    """
    deferred = deferred_writes()
    if deferred is None:
        return _fan_out([event])
    if event.note is None and event.event_type in TIMELINE_ENTRIES:
        note = recorded_event(event.ticket, TIMELINE_ENTRIES[event.event_type], actor=event.actor)
        event = replace(event, note=note)
    deferred.defer(DEFERRED_KEY, event, flush=_fan_out, stage=1)
    return []


def _fan_out(events: list[Event]) -> list[Notification]:
    rules_by_type: dict[str, list[NotificationRule]] = {}
    for rule in selectors.active_rules_for(event.event_type for event in events):
        rules_by_type.setdefault(rule.event_type, []).append(rule)
    wanted_by_event: list[tuple[Event, dict[int, set[str]]]] = []
    for event in events:
        rules = rules_by_type.get(event.event_type)
        if not rules:
            continue
        wanted = _recipients_by_rule(event, rules)
        if event.actor is not None:
            wanted.pop(event.actor.pk, None)
        if wanted:
            wanted_by_event.append((event, wanted))
    if not wanted_by_event:
        return []

    # Per ticket, one query: who of the wanted may see it, and whose e-mails of these events are off.
    asked: dict[int, tuple[Ticket, set[int], set[str]]] = {}
    for event, wanted in wanted_by_event:
        _, user_ids, by_email = asked.setdefault(event.ticket.pk, (event.ticket, set(), set()))
        user_ids.update(wanted)
        if any(Channel.EMAIL in channels for channels in wanted.values()):
            by_email.add(event.event_type)
    viewers = {
        ticket_id: selectors.viewers_and_opt_outs(ticket, user_ids, by_email)
        for ticket_id, (ticket, user_ids, by_email) in asked.items()
    }

    rows = []
    now = timezone.now()
    for event, wanted in wanted_by_event:
        # The viewers asked for the ticket are those of all its events: this event's are among its own recipients.
        allowed = {user_id: off for user_id, off in viewers[event.ticket.pk].items() if user_id in wanted}
        if (
            event.requester_id is not None
            and event.requester_id in wanted
            and event.event_type == NotificationEvent.ACCESS_DECIDED
        ):
            allowed |= selectors.active_user_opt_outs(event.requester_id, [event.event_type])
        for user_id in allowed:
            if event.event_type in allowed[user_id]:
                wanted[user_id] = wanted[user_id] - {Channel.EMAIL}
        emailed = any(Channel.EMAIL in wanted[user_id] for user_id in allowed)
        note = _timeline_entry(event) if emailed else None
        for user_id in sorted(allowed):
            if not wanted[user_id]:
                continue  # asked for by e-mail only, which they turned off
            row = notification_row(event=event, recipient_id=user_id, channels=wanted[user_id], note=note)
            row.stamp(event.actor, created=True)
            row.created_at = row.updated_at = now
            rows.append(row)
    created = Notification.objects.bulk_create(rows)

    email_ids = [row.pk for row in created if row.email_status == EmailStatus.PENDING]
    if email_ids:
        _queue_emails_on_commit(email_ids)
    return created


class _EmailBatch:
    """The e-mails of the events of one transaction, enqueued as one task when it commits (one on_commit callback).

    A later event of the transaction joins the batch while its callback is still sure to run at this commit. Django
    holds a callback until it runs, or until a savepoint it was registered in rolls back (then it drops it); the batch
    is referenced by nothing else (`_batches` holds a weak reference), so under CPython's reference counting it lives
    exactly that long, and a live, not yet run batch is one that will run. An id whose row was rolled back with an
    inner savepoint is harmless: the task sends only the pending notifications it finds.
    """

    def __init__(self) -> None:
        self.notification_ids: list[int] = []
        self.done = False

    def __call__(self) -> None:
        self.done = True
        enqueue_notification_emails(notification_ids=self.notification_ids, attempt=1)


# Per database connection (one per thread or async context): its open batch, if Django still holds the callback.
_batches: weakref.WeakKeyDictionary[Any, weakref.ref[_EmailBatch]] = weakref.WeakKeyDictionary()


def _send_digest_on_commit(notification_ids: list[int]) -> None:
    """The e-mails of a batch's events (ticketsite.batching: one bulk action), as one mail per recipient once what the
    batch did commits, so that one action on 500 tickets mails a person once. Each ticket of a bulk action commits on
    its own; an id whose row was rolled back is harmless (the task sends only the pending rows it finds)."""
    transaction.on_commit(lambda: enqueue_notification_emails(notification_ids=notification_ids, attempt=1, digest=True))


def _queue_emails_on_commit(notification_ids: list[int]) -> None:
    bulk = current_batch()
    if bulk is not None:
        bulk.collect("notification_emails", notification_ids, at_end=_send_digest_on_commit)
        return
    connection = transaction.get_connection()
    held = _batches.get(connection)
    batch = held() if held is not None else None
    if batch is not None and not batch.done:
        batch.notification_ids.extend(notification_ids)
        return
    batch = _EmailBatch()
    batch.notification_ids.extend(notification_ids)  # before on_commit, which runs it at once outside a transaction
    _batches[connection] = weakref.ref(batch)
    transaction.on_commit(batch)


def enqueue_notification_emails(
    *, notification_ids: list[int], attempt: int, delay: timedelta | None = None, digest: bool = False
) -> None:
    """Queue one background task for a batch of e-mails (the task module imports this module, hence the late import)."""
    from notifications.tasks import send_notification_emails

    task = send_notification_emails
    if delay and task_backends[task.backend].supports_defer:
        task = task.using(run_after=timezone.now() + delay)
    task.enqueue(notification_ids=notification_ids, attempt=attempt, digest=digest)


def _deliveries(
    pending: list[Notification], facts: dict[int, outbound.MailFacts], *, digest: bool
) -> list[tuple[list[Notification], mail.EmailMultiAlternatives]]:
    """The mails to send and the notifications each one delivers: one each, or with `digest` one per recipient of
    several (a recipient of one gets the ordinary mail)."""
    if not digest:
        return [([n], outbound.render_email(n, facts[n.pk])) for n in pending]
    by_recipient: dict[int, list[Notification]] = {}
    for notification in pending:
        by_recipient.setdefault(notification.recipient_id, []).append(notification)
    deliveries = []
    for group in by_recipient.values():
        if len(group) == 1:
            deliveries.append((group, outbound.render_email(group[0], facts[group[0].pk])))
        else:
            items = [outbound.DigestItem(notification=n, facts=facts[n.pk]) for n in group]
            deliveries.append((group, outbound.render_digest(group[0].recipient, items)))
    return deliveries


def send_notification_emails(*, notification_ids: list[int], attempt: int, digest: bool = False) -> dict[str, int]:
    """Send the pending e-mails of these notifications; run by the background task.

    Visibility is checked again (access may have been revoked since the event). Sends that fail are retried by a new
    task with attempt + 1, up to email_max_attempts() tries in all; then they are marked failed. A notification that is
    no longer pending (already sent by an earlier run) is not sent twice. With `digest` (a bulk action's events), each
    recipient of several gets them in one mail.
    """
    pending = [n for n in selectors.notifications_for_email(notification_ids) if n.email_status == EmailStatus.PENDING]
    counts = {"sent": 0, "skipped": 0, "retrying": 0, "failed": 0}
    if not pending:
        return counts

    visible: dict[int | None, set[int]] = {}
    by_ticket: dict[int | None, list[Notification]] = {}
    for notification in pending:
        by_ticket.setdefault(notification.ticket_id, []).append(notification)
    for ticket_id, group in by_ticket.items():
        ticket = group[0].ticket
        visible[ticket_id] = selectors.users_who_can_view_ticket(ticket, {n.recipient_id for n in group}) if ticket else set()

    # The one exception to "never about a ticket the recipient cannot see": the requester hears the decision on their
    # own access request. Every other recipient of that event needs access like any other.
    decisions = [n for n in pending if n.event_type == NotificationEvent.ACCESS_DECIDED]
    requesters = selectors.decided_access_requesters(
        ticket_ids={n.ticket_id for n in decisions}, user_ids={n.recipient_id for n in decisions}
    )

    # The timeline entries told, in words (tickets.timeline_words), their names resolved once for the batch.
    names = names_for(n.note for n in pending if n.note is not None and n.recipient_id in visible[n.ticket_id])

    sent: list[Notification] = []
    skipped: list[Notification] = []
    failed: list[Notification] = []
    sendable: list[Notification] = []
    facts: dict[int, outbound.MailFacts] = {}
    for notification in pending:
        can_see = notification.recipient_id in visible[notification.ticket_id]
        is_requester_decision = (
            notification.event_type == NotificationEvent.ACCESS_DECIDED
            and (notification.ticket_id, notification.recipient_id) in requesters
        )
        if not notification.recipient.is_active or not notification.recipient.email or not (can_see or is_requester_decision):
            skipped.append(notification)
            continue
        facts[notification.pk] = outbound.mail_facts(notification, shows_ticket=can_see, names=names)
        sendable.append(notification)
    connection = mail.mailers.default
    for delivered, message in _deliveries(sendable, facts, digest=digest):
        try:
            connection.send_messages([message])
        except EMAIL_SEND_ERRORS as exc:
            ids = ", ".join(str(n.pk) for n in delivered)
            logger.warning("E-mail for notification(s) %s failed (attempt %s): %s", ids, attempt, exc)
            failed.extend(delivered)
        else:
            sent.extend(delivered)

    now = timezone.now()
    Notification.objects.filter(id__in=[n.pk for n in sent]).update(
        email_status=EmailStatus.SENT, email_attempts=attempt, emailed_at=now, updated_at=now
    )
    Notification.objects.filter(id__in=[n.pk for n in skipped]).update(email_status=EmailStatus.SKIPPED, updated_at=now)
    retry_ids = [n.pk for n in failed]
    if retry_ids and attempt < email_max_attempts():
        Notification.objects.filter(id__in=retry_ids).update(email_attempts=attempt, updated_at=now)
        enqueue_notification_emails(
            notification_ids=retry_ids, attempt=attempt + 1, delay=email_retry_delay(attempt), digest=digest
        )
        counts["retrying"] = len(retry_ids)
    elif retry_ids:
        Notification.objects.filter(id__in=retry_ids).update(
            email_status=EmailStatus.FAILED, email_attempts=attempt, updated_at=now
        )
        counts["failed"] = len(retry_ids)
    counts["sent"] = len(sent)
    counts["skipped"] = len(skipped)
    return counts


# --- inbox verbs ---------------------------------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    if not notification.is_read:
        notification.is_read = True
        notification.read_at = timezone.now()
        fields = notification.stamp(user)
        notification.save(update_fields=["is_read", "read_at", *fields])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    now = timezone.now()
    return Notification.objects.filter(recipient=user, in_app=True, is_read=False).update(
        is_read=True, read_at=now, updated_by=user, updated_at=now
    )


# --- rules ------------------------------------------------------------------------------------------------------------


RULE_FIELDS = (
    "name",
    "event_type",
    "is_active",
    "conditions",
    "users",
    "roles",
    "notify_creator",
    "notify_assignee",
    "notify_approvers",
    "notify_requester",
    "channels",
)


def _set_rule_relations(rule: NotificationRule, data: dict[str, Any]) -> None:
    if "users" in data:
        rule.users.set(data["users"])
    if "roles" in data:
        rule.roles.set(data["roles"])


@transaction.atomic
def rule_create(*, actor: User, data: dict[str, Any]) -> NotificationRule:
    fields = {key: value for key, value in data.items() if key not in ("users", "roles")}
    rule = NotificationRule(**fields)
    rule.stamp(actor, created=True)
    rule.save()
    _set_rule_relations(rule, data)
    return rule


@transaction.atomic
def rule_update(*, rule: NotificationRule, actor: User, data: dict[str, Any]) -> NotificationRule:
    # Re-read under a lock: the admin passes its form's instance, which already holds the new values.
    rule = NotificationRule.objects.select_for_update().get(pk=rule.pk)
    rule, _ = model_update(instance=rule, fields=RULE_FIELDS, data=data, actor=actor)
    return rule


@transaction.atomic
def rule_delete(*, rule: NotificationRule, actor: User) -> None:
    rule.soft_delete(actor=actor)


# --- e-mail preferences -------------------------------------------------------------------------------------------


@transaction.atomic
def email_preference_set(*, user: User, event_type: str, email: bool, actor: User | None = None) -> bool:
    """Turn the e-mails of one event type on or off for `user` (the preferences page and API, the unsubscribe link;
    `actor` None: by a signed link, not a session). Returns whether anything changed."""
    if event_type not in NotificationEvent.values:
        raise DomainValidationError(f"Unknown event type {event_type!r}.", field="event_type", code="invalid_choice")
    # Lock the user's row: two requests at once must not both create a preference (the partial unique constraint).
    User.objects.select_for_update().filter(pk=user.pk).first()
    preference = NotificationPreference.objects.filter(user=user, event_type=event_type).first()
    if preference is None:
        if email:
            return False  # no row already means "on"
        preference = NotificationPreference(user=user, event_type=event_type, email=False)
        preference.stamp(actor, created=True)
        preference.save()
        return True
    _, changed = model_update(instance=preference, fields=("email",), data={"email": email}, actor=actor)
    return bool(changed)


@transaction.atomic
def email_preferences_set(*, user: User, choices: dict[str, bool], actor: User | None = None) -> list[str]:
    """Several event types at once (the API, the preferences page): all or none. Returns the event types changed."""
    return [
        event_type
        for event_type, email in choices.items()
        if email_preference_set(user=user, event_type=event_type, email=email, actor=actor)
    ]
