"""Reads of the approval engine: who may act on which slot, the pending list, processes and templates for the API.

`acting_route` (one slot, decision time) and `actionable_slots` (the `?mine=pending` list, one SQL query) state the
same eligibility rule; tests hold them to each other:

- the slot is pending, its step active, its process running, its ticket waiting for approval;
- the actor is active and is not the ticket's creator;
- the actor fills the slot directly (user slot naming them, or a current member of the role slot), or as the active
  delegate of a user who does (one level only; the delegator is active and is not the ticket's creator);
- one person, one slot per step: nobody who already took part in a decision of the step (as actor or as the person
  represented) takes part in another one of the same step.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalTemplate,
    ApprovalTemplateStep,
    ApprovalTemplateStepApprover,
    Delegation,
    ProcessStatus,
    SlotStatus,
    StepStatus,
)
from permissions.selectors import is_active_user, visible_tickets
from tickets.models import Ticket, TicketStatus

Slot = ApprovalProcessStepApprover

DELEGATION_VIEW_ALL_PERMISSION = "approvals.view_delegation"


# --- eligibility ---------------------------------------------------------------------------------------------------


def active_delegations_to(user: User) -> QuerySet[Delegation]:
    """Delegations lending `user` someone's approval rights right now (the delegator still active)."""
    now = timezone.now()
    return Delegation.objects.filter(delegate=user, starts_at__lte=now, ends_at__gt=now, delegator__is_active=True)


def involved_user_ids(step: ApprovalProcessStep) -> set[int]:
    """People who already took part in a decision of `step`: who acted, and on whose behalf."""
    rows = Slot.objects.filter(step=step, acted_by__isnull=False).values_list("acted_by_id", "on_behalf_of_id")
    return {pk for pair in rows for pk in pair if pk is not None}


@dataclass(frozen=True)
class Route:
    """How an actor may fill a slot: directly (on_behalf_of None) or as the delegate of `on_behalf_of`."""

    on_behalf_of: User | None


def acting_route(*, actor: User, slot: Slot, ticket: Ticket) -> Route | None:
    """How `actor` may decide `slot` now, or None. Slot state (pending, active step, ...) is the caller's business."""
    if not actor.is_active or actor.pk == ticket.created_by_id:
        return None
    involved = involved_user_ids(slot.step)
    if actor.pk in involved:
        return None
    if slot.user_id == actor.pk:
        return Route(on_behalf_of=None)
    if slot.role_id is not None and actor.groups.filter(pk=slot.role_id).exists():
        return Route(on_behalf_of=None)
    fills_slot = Q(delegator_id=slot.user_id) if slot.user_id is not None else Q(delegator__groups=slot.role_id)
    delegation = (
        active_delegations_to(actor)
        .filter(fills_slot)
        .exclude(delegator_id__in=[*involved, ticket.created_by_id or 0])
        .select_related("delegator")
        .order_by("starts_at", "id")
        .first()
    )
    return Route(on_behalf_of=delegation.delegator) if delegation is not None else None


def _involves(person: OuterRef, step: OuterRef) -> Exists:
    return Exists(Slot.objects.filter(step=step).filter(Q(acted_by=person) | Q(on_behalf_of=person)))


def actionable_slots(user: User | AnonymousUser | None) -> QuerySet[Slot]:
    """Exactly the slots `user` may decide now (the `?mine=pending` list), as one query."""
    if not is_active_user(user):
        return Slot.objects.none()
    assert isinstance(user, User)
    via_delegation = (
        active_delegations_to(user)
        .filter(Q(delegator=OuterRef("user")) | Q(delegator__groups=OuterRef("role")))
        .exclude(delegator=Coalesce(OuterRef("ticket__created_by"), Value(0)))
        .exclude(_involves(OuterRef("delegator"), OuterRef(OuterRef("step"))))
    )
    user_involved = Exists(Slot.objects.filter(step=OuterRef("step")).filter(Q(acted_by=user) | Q(on_behalf_of=user)))
    return (
        Slot.objects.filter(
            status=SlotStatus.PENDING,
            step__status=StepStatus.ACTIVE,
            process__status=ProcessStatus.RUNNING,
            process__is_deleted=False,
            ticket__status=TicketStatus.WAITING_APPROVAL,
            ticket__in=visible_tickets(user).values("id"),
        )
        .exclude(ticket__created_by=user)
        .filter(~user_involved)
        .filter(Q(user=user) | Q(role__in=user.groups.all()) | Exists(via_delegation))
    )


# --- reads for the API ---------------------------------------------------------------------------------------------


def _with_slot_relations(slots: QuerySet[Slot]) -> QuerySet[Slot]:
    return slots.select_related("step")


def visible_slots(user: User | AnonymousUser | None) -> QuerySet[Slot]:
    """Slots of the tickets `user` can see, oldest first."""
    slots = Slot.objects.filter(process__is_deleted=False, ticket__in=visible_tickets(user).values("id"))
    return _with_slot_relations(slots).order_by("id")


def ticket_processes(*, ticket: Ticket) -> QuerySet[ApprovalProcess]:
    """Processes of a ticket the caller was authorised to see, newest first, with steps and slots in order."""
    slots = Slot.objects.order_by("id")
    steps = ApprovalProcessStep.objects.order_by("order").prefetch_related(Prefetch("approvers", queryset=slots))
    return (
        ApprovalProcess.objects.filter(ticket=ticket)
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("-created_at", "-id")
    )


def approval_templates() -> QuerySet[ApprovalTemplate]:
    approvers = ApprovalTemplateStepApprover.objects.order_by("id")
    steps = ApprovalTemplateStep.objects.order_by("order").prefetch_related(Prefetch("approvers", queryset=approvers))
    return ApprovalTemplate.objects.prefetch_related(Prefetch("steps", queryset=steps)).order_by("name", "id")


def delegations_for(user: User | AnonymousUser | None) -> QuerySet[Delegation]:
    """Delegations given or received by `user`; every delegation for holders of approvals.view_delegation."""
    if not is_active_user(user):
        return Delegation.objects.none()
    assert isinstance(user, User)
    delegations = Delegation.objects.order_by("-starts_at", "-id")
    if user.has_perm(DELEGATION_VIEW_ALL_PERMISSION):
        return delegations
    return delegations.filter(Q(delegator=user) | Q(delegate=user))
