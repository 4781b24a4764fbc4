"""The one visibility rule (SPEC §7): which tickets a user may see. Every read path of a ticket goes through here.

The rule is written once, in `_sees`; `visible_tickets(user)` (a single SQL query, OR of indexed sub-selects) and
`users_who_may_see(ticket)` (the same rule evaluated per user, correlated) are its two directions. `get_visible_ticket`
fetches *and* authorises, answering the same 404 for "missing" and "forbidden".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, When

from approvals.models import ApprovalProcessStepApprover, Delegation, by_filler
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from tickets.models import Ticket, TicketVisibility
from tickets.statemachine import VIEW_ALL_PERMISSION
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


def approver_ticket_ids(user: UserRef) -> QuerySet:
    """Tickets on whose approval processes `user` is an approver (SPEC §7): they fill a slot directly
    (approvals' `by_filler`, the same definition eligibility uses), or are the delegate in force of someone who does.

    A UNION of simple branches, each an equality or an `IN (subquery)` semi-join that the planner answers from the
    (user, ticket) / (role, ticket) indexes; an OR inside one WHERE would make it scan every slot.
    """
    delegators = Delegation.objects.in_force().filter(delegate=one_level_in(user)).order_by().values("delegator")
    branches = []
    for rows in by_filler(ApprovalProcessStepApprover.objects.all()):
        branches += [rows.filter(filler=user), rows.filter(filler__in=delegators)]
    return union_of(branches, "ticket_id")


def granted_ticket_ids(user: UserRef) -> QuerySet:
    """Tickets with a live (not revoked) grant to `user` or to one of their current roles (same UNION shape)."""
    grants = TicketViewPermission.objects.all()
    return union_of([grants.filter(user=user), grants.filter(role__in=roles_of(user))], "ticket_id")


def related_ticket_ids(user: UserRef) -> QuerySet:
    """Restricted access beyond creator and assignee: grants and approver slots, as one UNION sub-select."""
    return granted_ticket_ids(user).union(approver_ticket_ids(user))


def _sees(user: UserRef) -> Q:
    """THE visibility rule (SPEC §7) for a user without view_all_tickets, as a filter on tickets: internal, or created
    by, assigned to, granted to or approved by `user` (an id, or a reference to a user column outside)."""
    return (
        Q(visibility=TicketVisibility.INTERNAL)
        | Q(created_by=user)
        | Q(assignee=user)
        | Q(id__in=related_ticket_ids(one_level_in(user)))
    )


def can_view_all(user: User | AnonymousUser) -> bool:
    return user.has_perm(VIEW_ALL_PERMISSION)


class VisibleTicketQuerySet(SoftDeleteQuerySet):
    """What visible_tickets returns: the tickets, and `count_unfiltered()`, the same exact count by a faster plan while
    nothing but the rule filters them (the pagination uses it for a list without filters or search).

    The rule is an OR with a sub-select, so no index answers COUNT(*) of it: PostgreSQL scans the whole table and
    evaluates the rule on every row (the ticket list's total, linear in the table). Counted in two disjoint parts,
    internal and not internal tickets, as one UNION ALL query, each part is an index-only scan of a partial index
    (permissions/migrations/0002_ticket_visibility_count_indexes): the internal part needs no rule at all, the other
    evaluates it on the index entries of restricted tickets. With a filter on top (status, search, ...) each part would
    scan what the single count scans once, so `count()` stays the ordinary one.
    """

    def count_unfiltered(self) -> int:
        """The number of rows, exactly (the two parts partition them by a NOT NULL column). For the tickets as
        visible_tickets returns them, maybe ordered or prefetched; not sliced, grouped or made distinct."""
        internal = Q(visibility=TicketVisibility.INTERNAL)
        parts = [part.order_by().values("pk") for part in (self.filter(internal), self.exclude(internal))]
        return parts[0].union(parts[1], all=True).order_by().count()


def visible_tickets(user: User | AnonymousUser | None, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """Tickets `user` may see, as one query. Inactive and anonymous users see nothing.

    `queryset` narrows the base (default: non-deleted tickets, as a VisibleTicketQuerySet); the rule is applied on
    top of it.
    """
    tickets = queryset if queryset is not None else VisibleTicketQuerySet(model=Ticket).alive()
    if not is_active_user(user):
        return tickets.none()
    assert isinstance(user, User)
    if can_view_all(user):
        return tickets
    return tickets.filter(_sees(user.pk))


def users_who_may_see(ticket: Ticket) -> QuerySet[User]:
    """Active users who may see `ticket` now: visible_tickets turned around. The same `_sees`, evaluated per user, and
    view_all_tickets through Django's reverse of has_perm (`with_perm`, the model backend, where permissions live)."""
    alive = Ticket.objects.filter(pk=ticket.pk)
    # Named, since other backends (axes) hold no permissions and with_perm refuses to guess among several.
    view_all = User.objects.with_perm(VIEW_ALL_PERMISSION, backend="django.contrib.auth.backends.ModelBackend")
    sees = Exists(alive.filter(_sees(OuterRef("pk"))))
    return User.objects.filter(is_active=True).filter((Q(pk__in=view_all.values("pk")) & Exists(alive)) | sees)


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
