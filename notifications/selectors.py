"""Reads of the notifications app: rules, the inbox, and the recipient-side questions the fan-out asks in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet

from approvals.models import ApprovalProcessStep, ProcessStatus, StepStatus
from approvals.selectors import Route, Slot, acting_routes, users_who_may_act_on_step
from notifications.models import Notification, NotificationEvent, NotificationPreference, NotificationRule
from notifications.tokens import read_unsubscribe_token
from permissions.models import AccessRequest, AccessRequestStatus
from permissions.selectors import users_who_may_see, visible_tickets
from tickets.models import Ticket, TicketNote

UserGroup = User.groups.through
RuleUser = NotificationRule.users.through
RuleRole = NotificationRule.roles.through


def rule_list() -> QuerySet[NotificationRule]:
    return NotificationRule.objects.prefetch_related("users", "roles").order_by("name", "id")


def active_rules_for(event_types: Iterable[str]) -> list[NotificationRule]:
    """Active rules of these event types, in one query; each says whether it lists users or roles (`lists_users`,
    `lists_roles`), so the fan-out asks for recipients only when some rule names them (rule_member_ids)."""
    return list(
        NotificationRule.objects.filter(event_type__in=sorted(set(event_types)), is_active=True)
        .annotate(
            lists_users=Exists(RuleUser.objects.filter(notificationrule_id=OuterRef("pk"))),
            lists_roles=Exists(RuleRole.objects.filter(notificationrule_id=OuterRef("pk"))),
        )
        .order_by("id")
    )


def rule_member_ids(rule_ids: Iterable[int]) -> dict[int, set[int]]:
    """rule id -> the users it lists plus the current members of the roles it lists, in one query."""
    ids = set(rule_ids)
    if not ids:
        return {}
    listed = RuleUser.objects.filter(notificationrule_id__in=ids).values_list("notificationrule_id", "user_id")
    via_roles = RuleRole.objects.filter(notificationrule_id__in=ids, group__user__isnull=False).values_list(
        "notificationrule_id", "group__user"
    )
    members: dict[int, set[int]] = {}
    for rule_id, user_id in listed.union(via_roles, all=True).order_by():
        members.setdefault(rule_id, set()).add(user_id)
    return members


def active_step_of(ticket: Ticket) -> ApprovalProcessStep | None:
    """The active step of the ticket's running process, whose approvers "the approvers" of a rule are."""
    return (
        ApprovalProcessStep.objects.filter(
            process__ticket=ticket, process__status=ProcessStatus.RUNNING, status=StepStatus.ACTIVE
        )
        .order_by("order")
        .first()
    )


def step_approver_ids(step: ApprovalProcessStep) -> set[int]:
    """Who may decide a slot of `step` now (approvals' eligibility rule, one query): nobody is asked to approve who would
    then be refused, such as the delegate of the ticket's creator."""
    return set(users_who_may_act_on_step(step.pk).values_list("id", flat=True))


def users_who_can_view_ticket(ticket: Ticket, user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` may see `ticket` now (permissions' visibility rule, one query)."""
    ids = set(user_ids)
    if not ids:
        return set()
    return set(users_who_may_see(ticket).filter(id__in=ids).values_list("id", flat=True))


def _with_opt_outs(users: QuerySet[User], event_types: list[str]) -> dict[int, set[str]]:
    """user id -> which of `event_types` they turned the e-mails off for, for each of `users` (one query)."""
    off = {
        f"email_off_{index}": Exists(_emails_off(event_type).filter(user=OuterRef("pk")))
        for index, event_type in enumerate(event_types)
    }
    rows = users.annotate(**off).values_list("id", *off)
    return {row[0]: {event_type for event_type, is_off in zip(event_types, row[1:], strict=True) if is_off} for row in rows}


def viewers_and_opt_outs(ticket: Ticket, user_ids: Iterable[int], event_types: Iterable[str]) -> dict[int, set[str]]:
    """Which of `user_ids` may see `ticket` now (permissions' visibility rule), each with the event types among
    `event_types` whose e-mails they turned off: the recipients' two questions of a fan-out in one query."""
    ids = set(user_ids)
    if not ids:
        return {}
    return _with_opt_outs(users_who_may_see(ticket).filter(id__in=ids), sorted(set(event_types)))


def active_user_opt_outs(user_id: int, event_types: Iterable[str]) -> dict[int, set[str]]:
    """The user, if active, with the event types among `event_types` whose e-mails they turned off (one query)."""
    return _with_opt_outs(User.objects.filter(id=user_id, is_active=True), sorted(set(event_types)))


def inbox(user: User) -> QuerySet[Notification]:
    """The caller's own in-app notifications, newest first, with what the serializer reads."""
    mine = Notification.objects.filter(recipient=user, in_app=True)
    return mine.select_related("ticket", "actor").order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, in_app=True, is_read=False).count()


def visible_ticket_ids(user: User, ticket_ids: Iterable[int]) -> set[int]:
    """Which of `ticket_ids` the user may see now (one query), for showing ticket key and title in the inbox."""
    ids = {pk for pk in ticket_ids if pk is not None}
    if not ids:
        return set()
    return set(visible_tickets(user, Ticket.objects.filter(id__in=ids)).values_list("id", flat=True))


def notifications_for_email(notification_ids: Iterable[int]) -> list[Notification]:
    return list(
        Notification.objects.filter(id__in=set(notification_ids))
        .select_related("recipient", "ticket", "actor", "note")
        .order_by("id")
    )


def decided_access_requesters(*, ticket_ids: set[int | None], user_ids: set[int]) -> set[tuple[int, int]]:
    """(ticket id, user id) pairs, among these, where the user asked for access to the ticket and was answered."""
    if not ticket_ids or not user_ids:
        return set()
    decided = AccessRequest.objects.filter(ticket_id__in=ticket_ids, requester_id__in=user_ids).exclude(
        status=AccessRequestStatus.PENDING
    )
    return set(decided.values_list("ticket_id", "requester_id"))


def email_preferences(user: User) -> dict[str, bool]:
    """Every event type -> whether `user` wants its e-mails (True unless they turned it off), in one query."""
    off = set(NotificationPreference.objects.filter(user=user, email=False).values_list("event_type", flat=True))
    return {event_type: event_type not in off for event_type in NotificationEvent.values}


def email_opted_out(user_ids: Iterable[int], event_type: str) -> set[int]:
    """Which of `user_ids` turned off the e-mails of `event_type` (one query; none when the set is empty)."""
    ids = set(user_ids)
    if not ids:
        return set()
    return set(_emails_off(event_type).filter(user_id__in=ids).values_list("user_id", flat=True))


def _emails_off(event_type: str) -> QuerySet[NotificationPreference]:
    """The preferences that turn off the e-mails of `event_type`: whose they are is the caller's question."""
    return NotificationPreference.objects.filter(event_type=event_type, email=False)


def latest_timeline_entry(ticket: Ticket, event_types: Iterable[str], *, actor: User | None) -> TicketNote | None:
    """The newest system entry of these types that `actor` wrote on `ticket` (one query): inside an event's
    transaction, the one its timeline receiver has just written."""
    entries = TicketNote.objects.filter(ticket=ticket, system=True, event_type__in=list(event_types), created_by=actor)
    return entries.order_by("-id").first()


def decidable_slots(user: User, *, ticket_id: int, step_id: int | None) -> list[tuple[Slot, Route]]:
    """The slots of the ticket (of one step, when given) that `user` may decide now, and how (approvals' eligibility
    rule, acting_routes), with the person or role each names; oldest slot first."""
    slots = Slot.objects.filter(ticket_id=ticket_id)
    if step_id is not None:
        slots = slots.filter(step_id=step_id)
    routes = acting_routes(actor=user, slots=slots)
    if not routes:
        return []
    named = Slot.objects.filter(pk__in=routes).select_related("user", "role").order_by("id")
    return [(slot, routes[slot.pk]) for slot in named]


@dataclass(frozen=True)
class Unsubscription:
    """Whose e-mails of which event type an unsubscribe link turns off."""

    user: User
    event: NotificationEvent


def unsubscription(token: str) -> Unsubscription | None:
    """What the unsubscribe link `token` names, or None when it is forged, names an unknown event type, or a person
    who is gone or inactive (their link is as invalid as a forged one)."""
    signed = read_unsubscribe_token(token)
    if signed is None or signed.event_type not in NotificationEvent.values:
        return None
    user = User.objects.filter(pk=signed.user_id, is_active=True).first()
    return None if user is None else Unsubscription(user=user, event=NotificationEvent(signed.event_type))
