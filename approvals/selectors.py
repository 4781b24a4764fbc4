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

from django.contrib.auth.models import AnonymousUser, Group, User
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
from permissions.selectors import active_delegator_ids, is_active_user, visible_tickets
from tickets.models import Ticket, TicketStatus

Slot = ApprovalProcessStepApprover
UserGroup = User.groups.through

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


def _involves(person: User | OuterRef, step: OuterRef) -> Exists:
    """Whether `person` took part in a decision of `step` (as actor or as the person represented)."""
    return Exists(Slot.objects.filter(step=step).filter(Q(acted_by=person) | Q(on_behalf_of=person)))


@dataclass(frozen=True)
class Route:
    """How an actor may fill a slot: directly (on_behalf_of None) or as the delegate of `on_behalf_of`."""

    on_behalf_of: User | None


def acting_route(*, actor: User, slot: Slot, ticket: Ticket) -> Route | None:
    """How `actor` may decide `slot` now, or None. Slot state (pending, active step, ...) is the caller's business."""
    if not actor.is_active or actor.pk == ticket.created_by_id:
        return None
    # One query answers the direct routes: has the actor taken part in the step, and are they in the slot's role?
    actor_involved, actor_in_role = (
        Slot.all_objects.filter(pk=slot.pk)
        .annotate(
            actor_involved=_involves(actor, OuterRef("step")),
            actor_in_role=Exists(UserGroup.objects.filter(user_id=actor.pk, group_id=OuterRef("role"))),
        )
        .values_list("actor_involved", "actor_in_role")
        .get()
    )
    if actor_involved:
        return None
    if slot.user_id == actor.pk or (slot.role_id is not None and actor_in_role):
        return Route(on_behalf_of=None)
    involved = involved_user_ids(slot.step)
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


def actionable_slots(user: User | AnonymousUser | None) -> QuerySet[Slot]:
    """Exactly the slots `user` may decide now (the `?mine=pending` list), as one query.

    Shaped for the planner, like permissions.selectors.approver_ticket_ids: a UNION of one branch per way of filling a
    slot (named user, role member, delegate of a named user, delegate of a role member), each answered from the
    (user, ticket) / (role, ticket) indexes, instead of an OR that made PostgreSQL scan every pending slot; and a
    UNION is not flattened into the caller's query, so `?mine=pending` (this set inside the visible slots) starts from
    these few rows instead of evaluating the visibility rule over the whole tickets table.

    Visibility is implied, not re-checked: whoever may fill a slot (directly, by role, or as an active delegate) is an
    approver of its ticket, and approvers see their tickets (SPEC §7, permissions.selectors.approver_ticket_ids); what
    the rule adds beyond that is "not deleted". A test holds this to permissions.selectors.visible_tickets.
    """
    if not is_active_user(user):
        return Slot.objects.none()
    assert isinstance(user, User)
    decidable = (
        Slot.objects.filter(
            status=SlotStatus.PENDING,
            step__status=StepStatus.ACTIVE,
            process__status=ProcessStatus.RUNNING,
            process__is_deleted=False,
            ticket__status=TicketStatus.WAITING_APPROVAL,
            ticket__is_deleted=False,
        )
        .exclude(ticket__created_by=user)
        .filter(~_involves(user, OuterRef("step")))
        .order_by()
    )
    via_delegation = Exists(
        active_delegations_to(user)
        .filter(Q(delegator=OuterRef("user")) | Q(delegator__groups=OuterRef("role")))
        .exclude(delegator=Coalesce(OuterRef("ticket__created_by"), Value(0)))
        .exclude(_involves(OuterRef("delegator"), OuterRef(OuterRef("step"))))
    )
    delegators = active_delegator_ids(user)
    ids = (
        decidable.filter(user=user)
        .values("pk")
        .union(
            decidable.filter(role__in=user.groups.order_by().values("id")).values("pk"),
            decidable.filter(user__in=delegators).filter(via_delegation).values("pk"),
            decidable.filter(role__in=Group.objects.filter(user__in=delegators).order_by().values("id"))
            .filter(via_delegation)
            .values("pk"),
        )
    )
    return Slot.objects.filter(pk__in=ids)


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
