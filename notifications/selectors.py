"""Reads of the notifications app: rules, the inbox, and the recipient-side questions the fan-out asks in bulk."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Permission, User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from approvals.models import ApprovalProcessStep, ApprovalProcessStepApprover, Delegation, ProcessStatus, SlotStatus, StepStatus
from notifications.models import Notification, NotificationRule
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from permissions.selectors import VIEW_ALL_PERMISSION, visible_tickets
from tickets.models import Ticket, TicketVisibility

UserGroup = User.groups.through
RuleUser = NotificationRule.users.through
RuleRole = NotificationRule.roles.through


def rule_list() -> QuerySet[NotificationRule]:
    return NotificationRule.objects.prefetch_related("users", "roles").order_by("name", "id")


def active_rules_for(event_type: str) -> list[NotificationRule]:
    """Active rules of one event type, in one query; each says whether it lists users or roles (`lists_users`,
    `lists_roles`), so the fan-out asks for recipients only when some rule names them (rule_member_ids)."""
    return list(
        NotificationRule.objects.filter(event_type=event_type, is_active=True)
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
    return (
        ApprovalProcessStep.objects.filter(
            process__ticket=ticket, process__status=ProcessStatus.RUNNING, status=StepStatus.ACTIVE
        )
        .order_by("order")
        .first()
    )


def step_approver_ids(step: ApprovalProcessStep, *, exclude_user_id: int | None) -> set[int]:
    """Who may act on the step's pending slots, in one query: slot users, current members of slot roles, and the
    active delegates of either (one level; the delegator active).

    The ticket's creator (`exclude_user_id`) never approves their own ticket, so is never asked to.
    """
    pending = ApprovalProcessStepApprover.objects.filter(step=step, status=SlotStatus.PENDING).order_by()
    slot_users = pending.filter(user__isnull=False).values_list("user_id", flat=True)
    role_members = UserGroup.objects.filter(group_id__in=pending.filter(role__isnull=False).values("role_id")).values_list(
        "user_id", flat=True
    )
    now = timezone.now()
    delegates = (
        Delegation.objects.filter(starts_at__lte=now, ends_at__gt=now, delegator__is_active=True)
        .filter(Q(delegator_id__in=slot_users) | Q(delegator_id__in=role_members))
        .order_by()
        .values_list("delegate_id", flat=True)
    )
    user_ids = set(slot_users.union(role_members, delegates).order_by())  # a union keeps the model's default ordering
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


def decided_access_requesters(*, ticket_ids: set[int | None], user_ids: set[int]) -> set[tuple[int, int]]:
    """(ticket id, user id) pairs, among these, where the user asked for access to the ticket and was answered."""
    if not ticket_ids or not user_ids:
        return set()
    decided = AccessRequest.objects.filter(ticket_id__in=ticket_ids, requester_id__in=user_ids).exclude(
        status=AccessRequestStatus.PENDING
    )
    return set(decided.values_list("ticket_id", "requester_id"))
