"""The one visibility rule (SPEC §7): which tickets a user may see. Every read path of a ticket goes through here.

`visible_tickets(user)` is a single SQL query (OR of indexed sub-selects); `get_visible_ticket` fetches *and*
authorises, answering the same 404 for "missing" and "forbidden".
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from approvals.models import ApprovalProcessStepApprover, Delegation
from permissions.models import TicketViewPermission
from tickets.models import Ticket, TicketVisibility
from ticketsite.errors import DomainNotFound

VIEW_ALL_PERMISSION = "tickets.view_all_tickets"
MANAGE_GRANTS_PERMISSION = "permissions.manage_ticket_permissions"


def is_active_user(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def active_delegator_ids(user: User) -> QuerySet:
    """Users who lent `user` their approval rights right now (one level only: delegation is not transitive)."""
    now = timezone.now()
    return Delegation.objects.filter(delegate=user, starts_at__lte=now, ends_at__gt=now, delegator__is_active=True).values(
        "delegator_id"
    )


def approver_ticket_ids(user: User) -> QuerySet:
    """Tickets on whose approval processes `user` is an approver: directly, through a role, or as an active delegate."""
    acting_for = Q(user=user) | Q(role__in=user.groups.all())
    delegators = active_delegator_ids(user)
    acting_for |= Q(user__in=delegators) | Q(role__user__in=delegators)
    return ApprovalProcessStepApprover.objects.filter(acting_for).values("ticket_id")


def granted_ticket_ids(user: User) -> QuerySet:
    return TicketViewPermission.objects.filter(Q(user=user) | Q(role__in=user.groups.all())).values("ticket_id")


def can_view_all(user: User) -> bool:
    return user.has_perm(VIEW_ALL_PERMISSION)


def visible_tickets(user: User | AnonymousUser | None, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """Tickets `user` may see, as one query. Inactive and anonymous users see nothing."""
    tickets = queryset if queryset is not None else Ticket.objects.all()
    if not is_active_user(user):
        return tickets.none()
    assert isinstance(user, User)
    if can_view_all(user):
        return tickets
    return tickets.filter(
        Q(visibility=TicketVisibility.INTERNAL)
        | Q(created_by=user)
        | Q(assignee=user)
        | Q(id__in=granted_ticket_ids(user))
        | Q(id__in=approver_ticket_ids(user))
    )


def can_view_ticket(user: User | AnonymousUser | None, ticket: Ticket) -> bool:
    if ticket.is_deleted or not is_active_user(user):
        return False
    return visible_tickets(user, Ticket.objects.filter(pk=ticket.pk)).exists()


def get_visible_ticket(user: User | AnonymousUser | None, ticket_id: Any, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    """Fetch and authorise in one step: a ticket the user may not see is "not found", exactly like a missing one."""
    try:
        pk = int(ticket_id)
    except (TypeError, ValueError):
        raise DomainNotFound() from None
    ticket = visible_tickets(user, queryset).filter(pk=pk).first()
    if ticket is None:
        raise DomainNotFound()
    return ticket


def can_manage_grants(user: User, ticket: Ticket) -> bool:
    """Creator, assignee, or holders of permissions.manage_ticket_permissions (who must also see the ticket)."""
    if not is_active_user(user):
        return False
    return ticket.created_by_id == user.pk or ticket.assignee_id == user.pk or user.has_perm(MANAGE_GRANTS_PERMISSION)
