"""Reads of the notifications app: rules, the inbox, and the recipient-side questions the fan-out asks in bulk."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Permission, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from approvals.models import ApprovalProcessStep, ApprovalProcessStepApprover, Delegation, ProcessStatus, SlotStatus, StepStatus
from notifications.models import Notification, NotificationRule
from permissions.models import TicketViewPermission
from permissions.selectors import VIEW_ALL_PERMISSION, visible_tickets
from tickets.models import Ticket, TicketVisibility

UserGroup = User.groups.through


def rule_list() -> QuerySet[NotificationRule]:
    return NotificationRule.objects.prefetch_related("users", "roles").order_by("name", "id")


def active_rules_for(event_type: str) -> list[NotificationRule]:
    """Active rules of one event type, with their listed users and roles (three queries)."""
    return list(
        NotificationRule.objects.filter(event_type=event_type, is_active=True).prefetch_related("users", "roles").order_by("id")
    )


def role_member_ids(role_ids: Iterable[int]) -> dict[int, set[int]]:
    """role id -> ids of its members, in one query."""
    members: dict[int, set[int]] = {}
    ids = set(role_ids)
    if not ids:
        return members
    for user_id, group_id in UserGroup.objects.filter(group_id__in=ids).values_list("user_id", "group_id"):
        members.setdefault(group_id, set()).add(user_id)
    return members


def _active_delegate_ids(delegator_ids: Iterable[int]) -> set[int]:
    now = timezone.now()
    return set(
        Delegation.objects.filter(
            delegator_id__in=set(delegator_ids), starts_at__lte=now, ends_at__gt=now, delegator__is_active=True
        ).values_list("delegate_id", flat=True)
    )


def active_step_of(ticket: Ticket) -> ApprovalProcessStep | None:
    return (
        ApprovalProcessStep.objects.filter(
            process__ticket=ticket, process__status=ProcessStatus.RUNNING, status=StepStatus.ACTIVE
        )
        .order_by("order")
        .first()
    )


def step_approver_ids(step: ApprovalProcessStep, *, exclude_user_id: int | None) -> set[int]:
    """Who may act on the step's pending slots: slot users, current members of slot roles, and their active delegates.

    The ticket's creator (`exclude_user_id`) never approves their own ticket, so is never asked to.
    """
    slots = list(
        ApprovalProcessStepApprover.objects.filter(step=step, status=SlotStatus.PENDING).values_list("user_id", "role_id")
    )
    user_ids = {user_id for user_id, _ in slots if user_id is not None}
    role_ids = {role_id for _, role_id in slots if role_id is not None}
    for members in role_member_ids(role_ids).values():
        user_ids |= members
    user_ids |= _active_delegate_ids(user_ids)
    if exclude_user_id is not None:
        user_ids.discard(exclude_user_id)
    return user_ids


def users_who_can_view_ticket(ticket: Ticket, user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` may see `ticket` now, in one query: permissions.selectors.visible_tickets turned around.

    Mirrors the rule of SPEC §7 (inactive users see nothing; internal tickets everyone; restricted tickets the creator,
    the assignee, grantees, approvers of its processes and their active delegates, and holders of view_all_tickets).
    A test keeps it in step with permissions.selectors.can_view_ticket.
    """
    ids = set(user_ids)
    if not ids or ticket.is_deleted:
        return set()
    users = User.objects.filter(id__in=ids, is_active=True)
    if ticket.visibility != TicketVisibility.RESTRICTED:
        return set(users.values_list("id", flat=True))

    view_all = Permission.objects.filter(
        content_type__app_label=VIEW_ALL_PERMISSION.split(".")[0], codename=VIEW_ALL_PERMISSION.split(".")[1]
    )
    slots = ApprovalProcessStepApprover.objects.filter(ticket_id=ticket.pk)
    slot_members = UserGroup.objects.filter(group_id__in=slots.filter(role__isnull=False).values("role_id")).values("user_id")
    approver_ids = Q(id__in=slots.filter(user__isnull=False).values("user_id")) | Q(id__in=slot_members)
    now = timezone.now()
    delegates = Delegation.objects.filter(starts_at__lte=now, ends_at__gt=now, delegator__is_active=True).filter(
        Q(delegator_id__in=slots.filter(user__isnull=False).values("user_id")) | Q(delegator_id__in=slot_members)
    )
    grants = TicketViewPermission.objects.filter(ticket_id=ticket.pk)
    visible = (
        Q(id=ticket.created_by_id)
        | Q(id=ticket.assignee_id)
        | Q(id__in=grants.filter(user__isnull=False).values("user_id"))
        | Q(id__in=UserGroup.objects.filter(group_id__in=grants.filter(role__isnull=False).values("role_id")).values("user_id"))
        | approver_ids
        | Q(id__in=delegates.values("delegate_id"))
        | Q(is_superuser=True)
        | Q(id__in=User.user_permissions.through.objects.filter(permission__in=view_all).values("user_id"))
        | Q(id__in=UserGroup.objects.filter(group__permissions__in=view_all).values("user_id"))
    )
    return set(users.filter(visible).values_list("id", flat=True))


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
        Notification.objects.filter(id__in=set(notification_ids)).select_related("recipient", "ticket", "actor").order_by("id")
    )
