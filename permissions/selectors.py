"""The one visibility rule (SPEC §7): which tickets a user may see. Every read path of a ticket goes through here.

The rule is written once, in `_sees`; `visible_tickets(user)` (a single SQL query, OR of indexed sub-selects) and
`users_who_may_see(ticket)` (the same rule evaluated per user, correlated) are its two directions. `get_visible_ticket`
fetches *and* authorises, answering the same 404 for "missing" and "forbidden".
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Any

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, When
from django.db.models.expressions import RawSQL

from approvals.models import ApprovalProcessStepApprover, Delegation, by_filler
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from tickets.models import Ticket, TicketVisibility
from tickets.statemachine import VIEW_ALL_PERMISSION
from ticketsite.backends import PERMISSION_BACKEND
from ticketsite.compiled import CompiledQuery
from ticketsite.errors import DomainNotFound
from ticketsite.models import SoftDeleteQuerySet

MANAGE_GRANTS_PERMISSION = "permissions.manage_ticket_permissions"

# Primary keys are BIGINT: a larger number in a URL would overflow the driver (500) instead of "not found".
_MAX_PK = 2**63 - 1


def is_active_user(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def parse_pk(value: Any) -> int:
    """An id from a URL or a body as a positive BIGINT, or DomainNotFound (a malformed id names nothing)."""
    if isinstance(value, bool):
        raise DomainNotFound()
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise DomainNotFound() from None
    if not 0 < pk <= _MAX_PK:
        raise DomainNotFound()
    return pk


# A user in a rule written once for both directions: an id (one given user), or a reference to the user column of an
# enclosing query (OuterRef, F) when the rule is evaluated per user.
type UserRef = int | F

UserGroup = User.groups.through


def one_level_in(ref: UserRef) -> UserRef:
    """`ref` as seen from a sub-query one level further in: an outer reference reaches one level further out."""
    if isinstance(ref, OuterRef):
        return OuterRef(ref)
    if isinstance(ref, F):
        return OuterRef(str(ref.name))  # type: ignore[attr-defined]  # F.name is untyped in the stubs
    return ref


def union_of(branches: Sequence[QuerySet], *fields: str) -> QuerySet:
    """The UNION of `branches`, each reduced to `fields` (if given) and unordered (a compound query takes no ORDER BY)."""
    parts = [branch.order_by().values(*fields) if fields else branch.order_by() for branch in branches]
    return parts[0].union(*parts[1:]).order_by()  # union() brings the model's default ordering back


def roles_of(user: UserRef) -> QuerySet:
    """The ids of `user`'s current roles, for a sub-select."""
    return UserGroup.objects.filter(user_id=one_level_in(user)).values("group_id")


def approver_ticket_ids(user: UserRef, *, at: datetime | None = None) -> QuerySet:
    """Tickets on whose approval processes `user` is an approver (SPEC §7): they fill a slot directly
    (approvals' `by_filler`, the same definition eligibility uses), or are the delegate in force (at `at`, default now)
    of someone who does.

    A UNION of simple branches, each an equality or an `IN (subquery)` semi-join that the planner answers from the
    (user, ticket) / (role, ticket) indexes; an OR inside one WHERE would make it scan every slot.
    """
    delegators = Delegation.objects.in_force(at).filter(delegate=one_level_in(user)).order_by().values("delegator")
    branches = []
    for rows in by_filler(ApprovalProcessStepApprover.objects.all()):
        branches += [rows.filter(filler=user), rows.filter(filler__in=delegators)]
    return union_of(branches, "ticket_id")


def granted_ticket_ids(user: UserRef) -> QuerySet:
    """Tickets with a live (not revoked) grant to `user` or to one of their current roles (same UNION shape)."""
    grants = TicketViewPermission.objects.all()
    return union_of([grants.filter(user=user), grants.filter(role__in=roles_of(user))], "ticket_id")


def related_ticket_ids(user: UserRef, *, at: datetime | None = None) -> QuerySet:
    """Restricted access beyond creator and assignee: grants and approver slots, as one UNION sub-select."""
    return granted_ticket_ids(user).union(approver_ticket_ids(user, at=at))


# Compiled once per process (ticketsite.compiled): building and compiling its dozen sub-selects for every request cost
# more than the database took to run them.
_RELATED = CompiledQuery(lambda user_id, at: related_ticket_ids(user_id, at=at).order_by())  # a sub-select: no order


def _related_ticket_ids_of(user_id: int) -> RawSQL:
    """related_ticket_ids(user_id) now, from the compiled template: the same SQL, the caller's id and the time now."""
    return RawSQL(*_RELATED.sql_for(user_id))


def _restricted_routes(user: UserRef, *, at: datetime | None = None) -> list[Q]:
    """The ways `user` (an id, or a reference to a user column outside) reaches a ticket that is not internal: created
    by, assigned to, granted to or approved by them, now (or at `at`, for a reference). Only `_sees` and the count of
    what it lets a user see read them."""
    related = _related_ticket_ids_of(user) if isinstance(user, int) else related_ticket_ids(one_level_in(user), at=at)
    return [Q(created_by=user), Q(assignee=user), Q(id__in=related)]


def _sees(user: UserRef, *, at: datetime | None = None) -> Q:
    """THE visibility rule (SPEC §7) for a user without view_all_tickets, as a filter on tickets: internal, or reached
    by one of the `_restricted_routes` of `user` (an id, or a reference to a user column outside)."""
    return reduce(operator.or_, _restricted_routes(user, at=at), Q(visibility=TicketVisibility.INTERNAL))


def can_view_all(user: User | AnonymousUser) -> bool:
    return user.has_perm(VIEW_ALL_PERMISSION)


# The table of alive tickets per visibility that triggers on `tickets` keep exact
# (permissions/migrations/0004_ticket_visibility_counts).
VISIBILITY_COUNTS_TABLE = "ticket_visibility_counts"


def visible_ticket_count(user: User | AnonymousUser | None, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """How many tickets visible_tickets(user) returns, exactly, in one query whose cost does not grow with the table.

    view_all_tickets: the sum of the counters. Anyone else: the internal counter plus the restricted tickets they reach
    by one of the rule's routes, each route answered from the user's side by an index (their own tickets, their
    assigned tickets, their grants and approver slots), so it grows with that user's tickets, not with the table.
    """
    if not is_active_user(user):
        return 0
    assert isinstance(user, User)
    return _count_visible(None if can_view_all(user) else user.pk, using)


def _count_visible(viewer_id: int | None, using: str) -> int:
    alive = f"SELECT COALESCE(SUM(alive), 0) FROM {VISIBILITY_COUNTS_TABLE}"
    sql, params = alive, ()
    if viewer_id is not None:
        restricted = Ticket.objects.using(using).exclude(visibility=TicketVisibility.INTERNAL)
        reached_sql, reached_params = union_of(
            [restricted.filter(route) for route in _restricted_routes(viewer_id)], "pk"
        ).query.sql_with_params()
        sql = f"SELECT ({alive} WHERE visibility = %s) + (SELECT COUNT(*) FROM ({reached_sql}) AS reached)"
        params = (TicketVisibility.INTERNAL, *reached_params)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


@dataclass(frozen=True)
class _Counting:
    """What visible_tickets knows for count_unfiltered: whose tickets (None: every alive one) and how many filters the
    rule left on the query (one more means the tickets were narrowed since)."""

    viewer_id: int | None
    filters: int


_COUNTING_HINT = "visible_ticket_count"


class VisibleTicketQuerySet(SoftDeleteQuerySet):
    """What visible_tickets returns: the tickets, and `count_unfiltered()`, the same exact count from the maintained
    counters (visible_ticket_count) while nothing but the rule filters them (the pagination uses it for a list without
    filters or search). What it needs travels as a router hint: the one piece of state a queryset passes to its clones.
    """

    def __init__(self, model: Any = None, query: Any = None, using: str | None = None, hints: dict | None = None) -> None:
        super().__init__(model, query, using, hints)
        self.counting: _Counting | None = (hints or {}).get(_COUNTING_HINT)

    def count_unfiltered(self) -> int:
        """The number of rows, exactly: visible_ticket_count for the tickets as visible_tickets returns them (maybe
        ordered, prefetched or with related rows joined), else (filtered, sliced, distinct, grouped) `count()`."""
        query, counting = self.query, self.counting
        if counting is None or len(query.where.children) != counting.filters:
            return self.count()
        if query.is_sliced or query.distinct or query.combinator is not None or query.group_by is not None:
            return self.count()
        return _count_visible(counting.viewer_id, self.db)


def visible_tickets(user: User | AnonymousUser | None, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """Tickets `user` may see, as one query. Inactive and anonymous users see nothing.

    `queryset` narrows the base (default: non-deleted tickets, as a VisibleTicketQuerySet that counts itself from the
    maintained counters); the rule is applied on top of it.
    """
    if not is_active_user(user):
        return (queryset if queryset is not None else VisibleTicketQuerySet(model=Ticket)).none()
    assert isinstance(user, User)
    sees_all = can_view_all(user)
    tickets = queryset if queryset is not None else VisibleTicketQuerySet(model=Ticket).alive()
    if not sees_all:
        tickets = tickets.filter(_sees(user.pk))
    if queryset is not None:
        return tickets
    counting = _Counting(viewer_id=None if sees_all else user.pk, filters=len(tickets.query.where.children))
    return VisibleTicketQuerySet(model=Ticket, query=tickets.query, hints={_COUNTING_HINT: counting})


def users_who_may_see(ticket: Ticket) -> QuerySet[User]:
    """Active users who may see `ticket` now: visible_tickets turned around (`_who_may_see`, compiled once per process:
    every write's notifications ask it)."""
    return User.objects.filter(pk__in=RawSQL(*_WHO_MAY_SEE.sql_for(ticket.pk)))


def _who_may_see(ticket_id: int, at: datetime) -> QuerySet[User, Any]:
    """The ids of the active users who may see the ticket at `at`: the same `_sees`, evaluated per user, and
    view_all_tickets through Django's reverse of has_perm (`with_perm`, the model backend, where permissions live)."""
    alive = Ticket.objects.filter(pk=ticket_id)
    view_all = User.objects.with_perm(VIEW_ALL_PERMISSION, backend=PERMISSION_BACKEND)
    sees = Exists(alive.filter(_sees(OuterRef("pk"), at=at)))
    users = User.objects.filter(is_active=True).filter((Q(pk__in=view_all.values("pk")) & Exists(alive)) | sees)
    return users.order_by().values("pk")


_WHO_MAY_SEE = CompiledQuery(_who_may_see)


def can_view_ticket(user: User | AnonymousUser | None, ticket: Ticket) -> bool:
    if ticket.is_deleted or not is_active_user(user):
        return False
    return visible_tickets(user, Ticket.objects.filter(pk=ticket.pk)).exists()


def get_visible_ticket(user: User | AnonymousUser | None, ticket_id: Any, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    """Fetch and authorise in one step: a ticket the user may not see is "not found", exactly like a missing one."""
    pk = parse_pk(ticket_id)
    ticket = visible_tickets(user, queryset).filter(pk=pk).first()
    if ticket is None:
        raise DomainNotFound()
    return ticket


def can_manage_grants(user: User | AnonymousUser | None, ticket: Ticket) -> bool:
    """Creator, assignee, or holders of permissions.manage_ticket_permissions who can also see the ticket.

    The permission alone does not reveal restricted tickets: a holder manages grants of the tickets they can see.
    """
    if ticket.is_deleted or not is_active_user(user):
        return False
    assert isinstance(user, User)
    if ticket.created_by_id == user.pk or ticket.assignee_id == user.pk:
        return True
    return user.has_perm(MANAGE_GRANTS_PERMISSION) and can_view_ticket(user, ticket)


def manageable_tickets(user: User | AnonymousUser | None) -> QuerySet[Ticket]:
    """Tickets whose grants (and access requests) `user` manages, as one query."""
    if not is_active_user(user):
        return Ticket.objects.none()
    assert isinstance(user, User)
    if user.has_perm(MANAGE_GRANTS_PERMISSION):
        return visible_tickets(user)
    return Ticket.objects.filter(Q(created_by=user) | Q(assignee=user))


# --- grants and access requests -------------------------------------------------------------------------------------


def ticket_grants(*, ticket: Ticket) -> QuerySet[TicketViewPermission]:
    """Live grants of a ticket the caller was already authorised to see."""
    return TicketViewPermission.objects.filter(ticket=ticket).order_by("created_at", "id")


def get_ticket_grant(*, ticket: Ticket, grant_id: Any) -> TicketViewPermission:
    grant = ticket_grants(ticket=ticket).filter(pk=parse_pk(grant_id)).first()
    if grant is None:
        raise DomainNotFound()
    return grant


def ticket_approvers(*, ticket: Ticket) -> tuple[QuerySet[User], QuerySet[Group]]:
    """The users and roles named by the approver slots of a ticket the caller was already authorised to see: the
    slots `_sees` reads (any process, finished ones included), for showing who may see the ticket as an approver."""
    slots = ApprovalProcessStepApprover.objects.filter(ticket=ticket)
    users = User.objects.filter(pk__in=slots.filter(user__isnull=False).values("user")).order_by("username")
    roles = Group.objects.filter(pk__in=slots.filter(role__isnull=False).values("role")).order_by("name")
    return users, roles


def ticket_access_requests(*, ticket: Ticket) -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(ticket=ticket).order_by("-created_at", "-id")


def access_requests_for(user: User | AnonymousUser | None) -> QuerySet[AccessRequest]:
    """The caller's own requests plus the requests they may decide, on tickets that still exist."""
    if not is_active_user(user):
        return AccessRequest.objects.none()
    assert isinstance(user, User)
    return (
        AccessRequest.objects.filter(ticket__is_deleted=False)
        .filter(Q(requester=user) | Q(ticket__in=manageable_tickets(user).values("id")))
        .order_by("-created_at", "-id")
    )


def get_access_request_for(user: User | AnonymousUser | None, request_id: Any) -> AccessRequest:
    """A request the caller may read (their own, or one they may decide), else 404."""
    access_request = access_requests_for(user).filter(pk=parse_pk(request_id)).first()
    if access_request is None:
        raise DomainNotFound()
    return access_request


def access_requests_to_decide(user: User | AnonymousUser | None) -> QuerySet[AccessRequest]:
    """Pending requests the caller may decide now: those of access_requests_for on tickets whose grants they manage."""
    return access_requests_for(user).filter(
        status=AccessRequestStatus.PENDING, ticket__in=manageable_tickets(user).values("id")
    )


def own_access_requests(user: User | AnonymousUser | None) -> QuerySet[AccessRequest]:
    """The caller's own requests, with `ticket_key` and `ticket_title` set only where the caller sees the ticket now
    (else None): the requester of a ticket they cannot see learns nothing of it, not even its key."""
    if not is_active_user(user):
        return AccessRequest.objects.none()
    assert isinstance(user, User)
    seen = Exists(visible_tickets(user).filter(pk=OuterRef("ticket_id")))
    return (
        access_requests_for(user)
        .filter(requester=user)
        .annotate(
            ticket_key=Case(When(seen, then=F("ticket__key"))),
            ticket_title=Case(When(seen, then=F("ticket__title"))),
        )
    )


def get_decidable_access_request(user: User | AnonymousUser | None, request_id: Any) -> AccessRequest:
    """The request, if its ticket is visible to the caller (else 404); deciding rights are the service's business (403)."""
    pk = parse_pk(request_id)
    access_request = AccessRequest.objects.filter(pk=pk, ticket__in=visible_tickets(user).values("id")).first()
    if access_request is None:
        raise DomainNotFound()
    return access_request


def get_requestable_ticket(ticket_id: Any) -> Ticket:
    """The one path where a ticket the caller may not see is addressable: asking for access to it.

    Only existence is revealed (a deleted or missing ticket is 404); callers must not serialise anything of the ticket.
    """
    return _requestable(pk=parse_pk(ticket_id))


def get_requestable_ticket_by_key(key: str) -> Ticket:
    """get_requestable_ticket for a ticket named by its key (the workspace's addresses): the same 404, the same care."""
    return _requestable(key=key)


def _requestable(**lookup: Any) -> Ticket:
    ticket = Ticket.objects.filter(**lookup).first()
    if ticket is None:
        raise DomainNotFound()
    return ticket
