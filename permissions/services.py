"""Writes of the permissions app: view grants and access requests (SPEC §7).

Each service authorises its actor (None = the system, always allowed), changes rows in one transaction and sends the
domain signal whose receivers write the timeline event in that same transaction.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from permissions import signals
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from permissions.selectors import can_manage_grants, can_view_ticket
from tickets.models import Ticket
from ticketsite.errors import DomainConflict, DomainPermissionDenied, DomainValidationError
from ticketsite.services import require_user_xor_role

type Actor = User | AnonymousUser | None


def _require_grant_manager(actor: Actor, ticket: Ticket) -> None:
    if actor is not None and not can_manage_grants(actor, ticket):
        raise DomainPermissionDenied("Only the ticket's creator, its assignee or a permissions manager can do this.")


@transaction.atomic
def grant_create(*, ticket: Ticket, actor: Actor, user: User | None = None, role: Group | None = None) -> TicketViewPermission:
    """Grant `user` or every member of `role` (exactly one) the right to view `ticket`. A live duplicate is a 409."""
    _require_grant_manager(actor, ticket)
    return _grant_create(ticket=ticket, actor=actor, user=user, role=role)


def grant_check(*, ticket: Ticket, actor: Actor, user: User | None, role: Group | None) -> None:
    """Every rule of grant_create, without writing: the admin form shows these errors on the form."""
    _require_grant_manager(actor, ticket)
    _grant_check(ticket=ticket, user=user, role=role)


def _grant_check(*, ticket: Ticket, user: User | None, role: Group | None) -> None:
    require_user_xor_role(user, role)
    if user is not None and not user.is_active:
        raise DomainValidationError("This user is inactive.", field="user", code="inactive_user")
    if TicketViewPermission.objects.filter(ticket=ticket, user=user, role=role).exists():
        raise DomainConflict("This grant already exists.", code="grant_exists")


def _grant_create(*, ticket: Ticket, actor: Actor, user: User | None, role: Group | None) -> TicketViewPermission:
    _grant_check(ticket=ticket, user=user, role=role)
    grant = TicketViewPermission(ticket=ticket, user=user, role=role)
    grant.stamp(actor, created=True)
    try:
        # A savepoint, so a concurrent duplicate caught by the partial unique index leaves the outer transaction usable.
        with transaction.atomic():
            grant.save()
    except IntegrityError:
        raise DomainConflict("This grant already exists.", code="grant_exists") from None
    signals.permission_granted.send(sender=TicketViewPermission, ticket=ticket, grant=grant, actor=actor)
    return grant


@transaction.atomic
def grant_revoke(*, grant: TicketViewPermission, actor: Actor) -> None:
    """Revoke (soft-delete) a grant; revoking twice is a 409."""
    ticket = grant.ticket
    _require_grant_manager(actor, ticket)
    locked = TicketViewPermission.all_objects.select_for_update().get(pk=grant.pk)
    if locked.is_deleted:
        raise DomainConflict("This grant was already revoked.", code="grant_revoked")
    locked.soft_delete(actor=actor)
    signals.permission_revoked.send(sender=TicketViewPermission, ticket=ticket, grant=locked, actor=actor)


@transaction.atomic
def grant_restore(*, grant: TicketViewPermission, actor: Actor) -> TicketViewPermission:
    """Undo a revocation (the admin's "restore"): the grant is live again and the timeline says so."""
    ticket = grant.ticket
    _require_grant_manager(actor, ticket)
    locked = TicketViewPermission.all_objects.select_for_update().get(pk=grant.pk)
    if not locked.is_deleted:
        raise DomainConflict("This grant is not revoked.", code="grant_not_revoked")
    if TicketViewPermission.objects.filter(ticket=ticket, user=locked.user, role=locked.role).exists():
        raise DomainConflict("An equivalent grant already exists.", code="grant_exists")
    locked.restore(actor=actor)
    signals.permission_granted.send(sender=TicketViewPermission, ticket=ticket, grant=locked, actor=actor)
    return locked


@transaction.atomic
def access_request_create(*, ticket: Ticket, requester: User, reason: str) -> AccessRequest:
    """A user who cannot see `ticket` asks for access. One pending request per user and ticket."""
    if can_view_ticket(requester, ticket):
        raise DomainConflict("You can already see this ticket.", code="already_visible")
    if not reason.strip():
        raise DomainValidationError("Give a reason.", field="reason", code="blank")
    if AccessRequest.objects.filter(ticket=ticket, requester=requester, status=AccessRequestStatus.PENDING).exists():
        raise DomainConflict("You already have a pending request for this ticket.", code="request_pending")
    access_request = AccessRequest(ticket=ticket, requester=requester, reason=reason.strip())
    access_request.stamp(requester, created=True)
    try:
        with transaction.atomic():
            access_request.save()
    except IntegrityError:
        raise DomainConflict("You already have a pending request for this ticket.", code="request_pending") from None
    signals.access_requested.send(sender=AccessRequest, ticket=ticket, access_request=access_request, actor=requester)
    return access_request


def _lock_pending(access_request: AccessRequest, actor: Actor) -> AccessRequest:
    _require_grant_manager(actor, access_request.ticket)
    locked = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
    if locked.status != AccessRequestStatus.PENDING:
        raise DomainConflict(f"This request was already decided ({locked.status}).", code="already_decided")
    locked.ticket = access_request.ticket
    return locked


def _decide(access_request: AccessRequest, actor: Actor, status: AccessRequestStatus, comment: str) -> None:
    access_request.status = status
    access_request.decided_by = actor if isinstance(actor, User) else None
    access_request.decided_at = timezone.now()
    access_request.decision_comment = comment
    fields = access_request.stamp(actor)
    access_request.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", *fields])


@transaction.atomic
def access_request_approve(*, access_request: AccessRequest, actor: Actor, comment: str = "") -> AccessRequest:
    """Approve a pending request: the requester gets a user grant (unless one already exists). Deciding twice is a 409."""
    locked = _lock_pending(access_request, actor)
    ticket = locked.ticket
    if not locked.requester.is_active:
        # A grant to an inactive user is refused; say so about the request, not about a "user" field it does not have.
        raise DomainConflict("The requester's account is inactive: deny the request instead.", code="requester_inactive")
    _decide(locked, actor, AccessRequestStatus.APPROVED, comment.strip())
    grant = TicketViewPermission.objects.filter(ticket=ticket, user_id=locked.requester_id).first()
    if grant is None:
        grant = _grant_create(ticket=ticket, actor=actor, user=locked.requester, role=None)
    signals.access_decided.send(sender=AccessRequest, ticket=ticket, access_request=locked, actor=actor, grant=grant)
    return locked


@transaction.atomic
def access_request_deny(*, access_request: AccessRequest, actor: Actor, comment: str) -> AccessRequest:
    """Deny a pending request, with a comment (required). Deciding twice is a 409."""
    if not comment.strip():
        raise DomainValidationError("Say why the request is denied.", field="comment", code="required")
    locked = _lock_pending(access_request, actor)
    _decide(locked, actor, AccessRequestStatus.DENIED, comment.strip())
    signals.access_decided.send(sender=AccessRequest, ticket=locked.ticket, access_request=locked, actor=actor, grant=None)
    return locked
