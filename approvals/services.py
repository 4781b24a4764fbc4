"""Writes of the approval engine (SPEC §6): processes (start, decide, cancel), templates and delegations.

Lock order, shared with the tickets services: the ticket row first, then the process row. Every decision re-reads
the slot, its step and its process under those locks, so two simultaneous decisions produce exactly one outcome and
the loser gets a 409.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, TypedDict

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import transaction
from django.db.models import Case, F, Field, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from approvals import signals
from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalTemplate,
    ApprovalTemplateStep,
    ApprovalTemplateStepApprover,
    ApprovalType,
    Delegation,
    ProcessStatus,
    SlotStatus,
    StepStatus,
)
from approvals.selectors import acting_route, staffed_approvers
from tickets.models import Ticket, TicketStatus, TicketTemplate
from tickets.services.tickets import ticket_system_transition_locked
from ticketsite.batching import atomic_service
from ticketsite.errors import DomainConflict, DomainPermissionDenied, DomainValidationError
from ticketsite.services import model_update, require_user_xor_role, validate_constraints

type Actor = User | AnonymousUser | None

Slot = ApprovalProcessStepApprover

NOT_ACTIONABLE = "not_actionable"


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def _describe_slot(slot: ApprovalTemplateStepApprover | Slot) -> str:
    if slot.user_id is not None:
        assert slot.user is not None
        return f'user "{slot.user.username}"'
    assert slot.role is not None
    return f'role "{slot.role.name}"'


# --- processes -----------------------------------------------------------------------------------------------------


def _check_eligible_approvers(*, ticket: Ticket, steps: list[ApprovalTemplateStep]) -> None:
    """Refuse (400, naming the step and slot) a template with a slot nobody but the creator could fill."""
    approvers = ApprovalTemplateStepApprover.objects.filter(pk__in=[slot.pk for step in steps for slot in step.approvers.all()])
    staffed = staffed_approvers(approvers, creator_id=ticket.created_by_id)
    for step in steps:
        for position, slot in enumerate(step.approvers.all(), start=1):
            if slot.pk in staffed:
                continue
            if slot.user is None:
                problem = "has no active member other than the ticket's creator"
            elif slot.user_id == ticket.created_by_id:
                problem = "names the ticket's creator, who cannot approve their own ticket"
            else:
                problem = "names an inactive user"
            where = f'Step {step.order} "{step.name}", slot {position} ({_describe_slot(slot)})'
            raise DomainValidationError(f"{where} {problem}.", field="approval_template", code="no_eligible_approver")


@atomic_service
def process_start(*, ticket: Ticket, actor: Actor) -> ApprovalProcess:
    """Snapshot the ticket's approval template into a new running process and activate its first step.

    Run by approvals.receivers when tickets sends `ticket_submitted` (the ticket is already `waiting_approval`).
    """
    template = ticket.approval_template
    if template is None or template.is_deleted:
        raise DomainValidationError("This ticket has no (live) approval template.", field="approval_template")
    if ApprovalProcess.objects.filter(ticket=ticket, status=ProcessStatus.RUNNING).exists():
        raise DomainConflict("An approval process is already running for this ticket.", code="process_running")
    template_steps = list(
        ApprovalTemplateStep.objects.filter(template=template)
        .order_by("order")
        .prefetch_related("approvers__user", "approvers__role")
    )
    if not template_steps or any(not step.approvers.all() for step in template_steps):
        raise DomainValidationError(
            f'Approval template "{template.name}" needs at least one step, each with at least one approver.',
            field="approval_template",
        )
    _check_eligible_approvers(ticket=ticket, steps=template_steps)

    now = timezone.now()
    process = ApprovalProcess(ticket=ticket, template=template, name=template.name, status=ProcessStatus.RUNNING)
    process.stamp(actor, created=True)
    process.save()
    steps = []
    for index, template_step in enumerate(template_steps):
        step = ApprovalProcessStep(
            process=process,
            name=template_step.name,
            order=template_step.order,
            approval_type=template_step.approval_type,
            status=StepStatus.ACTIVE if index == 0 else StepStatus.WAITING,
            started_at=now if index == 0 else None,
        )
        step.stamp(actor, created=True)
        steps.append(step)
    ApprovalProcessStep.objects.bulk_create(steps)
    slots = []
    for step, template_step in zip(steps, template_steps, strict=True):
        for template_slot in template_step.approvers.all():
            slot = Slot(step=step, process=process, ticket=ticket, user_id=template_slot.user_id, role_id=template_slot.role_id)
            slot.stamp(actor, created=True)
            slots.append(slot)
    Slot.objects.bulk_create(slots)

    signals.approval_started.send(sender=ApprovalProcess, ticket=ticket, process=process, actor=actor)
    _send_step_started(ticket=ticket, process=process, step=steps[0], actor=actor)
    return process


def _send_step_started(*, ticket: Ticket, process: ApprovalProcess, step: ApprovalProcessStep, actor: Actor) -> None:
    slots = list(Slot.objects.filter(step=step).order_by("id"))
    signals.approval_step_started.send(
        sender=ApprovalProcess, ticket=ticket, process=process, step=step, slots=slots, actor=actor
    )


def _skip_open_rest(*, process: ApprovalProcess, actor: Actor, now: datetime) -> None:
    """Close every pending slot and every waiting or active step of `process` as skipped."""
    stamp = {"updated_by": _user(actor), "updated_at": now}
    Slot.objects.filter(process=process, status=SlotStatus.PENDING).update(status=SlotStatus.SKIPPED, **stamp)
    ApprovalProcessStep.objects.filter(process=process, status__in=[StepStatus.WAITING, StepStatus.ACTIVE]).update(
        status=StepStatus.SKIPPED, finished_at=now, **stamp
    )


def _finish_process(*, process: ApprovalProcess, status: ProcessStatus, actor: Actor, now: datetime) -> None:
    process.status = status
    process.finished_at = now
    process.save(update_fields=["status", "finished_at", *process.stamp(actor)])


def _finish_step(*, step: ApprovalProcessStep, status: StepStatus, actor: Actor, now: datetime) -> None:
    step.status = status
    step.finished_at = now
    step.save(update_fields=["status", "finished_at", *step.stamp(actor)])


@atomic_service
def process_cancel(*, ticket: Ticket, actor: Actor, reason: str | None = None) -> None:
    """Cancel the ticket's running process (withdrawn, or the ticket deleted): pending slots and open steps skipped.

    A ticket without a running process is left alone. `reason` defaults to "deleted" or "withdrawn".
    """
    Ticket.all_objects.select_for_update().filter(pk=ticket.pk).first()
    process = ApprovalProcess.objects.select_for_update().filter(ticket=ticket, status=ProcessStatus.RUNNING).first()
    if process is None:
        return
    now = timezone.now()
    _skip_open_rest(process=process, actor=actor, now=now)
    _finish_process(process=process, status=ProcessStatus.CANCELLED, actor=actor, now=now)
    reason = reason or ("deleted" if ticket.is_deleted else "withdrawn")
    signals.approval_cancelled.send(sender=ApprovalProcess, ticket=ticket, process=process, actor=actor, reason=reason)


def _ensure_actionable(*, ticket: Ticket, process: ApprovalProcess, step: ApprovalProcessStep, slot: Slot) -> None:
    if process.is_deleted or process.status != ProcessStatus.RUNNING:
        raise DomainConflict(f"This approval process is {process.status}; nothing can be decided.", code=NOT_ACTIONABLE)
    if ticket.is_deleted or ticket.status != TicketStatus.WAITING_APPROVAL:
        raise DomainConflict("This ticket is not waiting for approval.", code=NOT_ACTIONABLE)
    if step.status != StepStatus.ACTIVE:
        raise DomainConflict(f'Step "{step.name}" is {step.status}, not active.', code=NOT_ACTIONABLE)
    if slot.is_deleted or slot.status != SlotStatus.PENDING:
        raise DomainConflict(f"This approval slot is already {slot.status}.", code=NOT_ACTIONABLE)


@atomic_service
def approval_decide(*, slot: Slot, actor: Actor, approve: bool, comment: str = "", via: str = "") -> Slot:
    """Approve or reject one slot of the active step, then move the process (and maybe the ticket) on.

    409 when the slot is no longer actionable, 403 when `actor` may not fill it; in both cases nothing changes. `via`
    names the channel for the timeline when it is not the web or the API ("email": a link or a reply in a mail).
    """
    comment = comment.strip()
    if not approve and not comment:
        raise DomainValidationError("A rejection needs a comment.", field="comment", code="required")
    user = _user(actor)
    slot = _lock_decision(slot)
    ticket, process, step = slot.ticket, slot.process, slot.step
    _ensure_actionable(ticket=ticket, process=process, step=step, slot=slot)
    if user is None or not user.is_active:
        raise DomainPermissionDenied("Only an active user can decide an approval.")
    if user.pk == ticket.created_by_id:  # the rule refuses them too (acting_route); this only says why
        raise DomainPermissionDenied("The creator of a ticket cannot act on its approvals.")
    route = acting_route(actor=user, slot=slot)
    if route is None:
        raise DomainPermissionDenied(
            "You cannot decide this slot: it is not yours, your role's, or that of someone who delegated to you now, "
            "or you already took part in a decision of this step."
        )

    now = timezone.now()
    slot.status = SlotStatus.APPROVED if approve else SlotStatus.REJECTED
    slot.acted_by = user
    slot.on_behalf_of = route.on_behalf_of
    slot.comment = comment
    slot.acted_at = now
    decided = ["status", "acted_by", "on_behalf_of", "comment", "acted_at", *slot.stamp(actor)]
    decision: dict[str, Any] = {"ticket": ticket, "process": process, "step": step, "slot": slot, "actor": actor}
    decision |= {"on_behalf_of": route.on_behalf_of, "comment": comment, "via": via}

    if not approve:
        slot.save(update_fields=decided)
        _finish_step(step=step, status=StepStatus.REJECTED, actor=actor, now=now)
        _skip_open_rest(process=process, actor=actor, now=now)
        _finish_process(process=process, status=ProcessStatus.REJECTED, actor=actor, now=now)
        signals.approval_rejected.send(sender=ApprovalProcess, **decision)
        ticket_system_transition_locked(ticket=ticket, to_status=TicketStatus.REJECTED, actor=actor, comment=comment)
        return slot

    if step.approval_type == ApprovalType.ANY:
        # The first approval decides the step: this slot and the skipping of the others in one UPDATE.
        _decide_any(slot=slot, fields=decided, user=user, now=now)
    else:
        slot.save(update_fields=decided)
    signals.approval_given.send(sender=ApprovalProcess, **decision)
    if step.approval_type != ApprovalType.ANY and Slot.objects.filter(step=step, status=SlotStatus.PENDING).exists():
        return slot
    _finish_step(step=step, status=StepStatus.APPROVED, actor=actor, now=now)
    next_step_id = getattr(slot, "next_step_id", None)
    if next_step_id is not None:
        next_step = ApprovalProcessStep.objects.get(pk=next_step_id)
        next_step.status = StepStatus.ACTIVE
        next_step.started_at = now
        next_step.save(update_fields=["status", "started_at", *next_step.stamp(actor)])
        _send_step_started(ticket=ticket, process=process, step=next_step, actor=actor)
        return slot
    _finish_process(process=process, status=ProcessStatus.APPROVED, actor=actor, now=now)
    signals.approval_completed.send(sender=ApprovalProcess, ticket=ticket, process=process, actor=actor)
    ticket_system_transition_locked(
        ticket=ticket, to_status=TicketStatus.OPEN, actor=actor, comment="Approval process completed."
    )
    return slot


def _lock_decision(slot: Slot) -> Slot:
    """The slot with its ticket, process and step, all four rows locked (PostgreSQL; in the lock order: the ticket
    first, then the process) and read in one statement, with the id of the step after its step (None: the last).
    A row another decision changed while this one waited is read as that decision left it."""
    after = ApprovalProcessStep.objects.filter(process=OuterRef("process_id"), order__gt=OuterRef("step__order"))
    return (
        Slot.all_objects.select_related("ticket", "process", "step")
        .select_for_update(of=("ticket", "process", "step", "self"))
        .annotate(next_step_id=Subquery(after.order_by("order").values("pk")[:1]))
        .get(pk=slot.pk)
    )


def _decide_any(*, slot: Slot, fields: list[str], user: User | None, now: datetime) -> None:
    """Write the decision on `slot` (its changed `fields`) and skip the other pending slots of its step, as
    _skip_open_rest does, in one UPDATE."""
    this = Q(pk=slot.pk)
    skipped = {"status": SlotStatus.SKIPPED, "updated_by": user.pk if user is not None else None, "updated_at": now}
    changes = {}
    for name in fields:
        field = Slot._meta.get_field(name)
        assert isinstance(field, Field)
        other = Value(skipped[name], output_field=field) if name in skipped else F(field.attname)
        decided = Value(getattr(slot, field.attname), output_field=field)
        changes[field.attname] = Case(When(this, then=decided), default=other, output_field=field)
    Slot.objects.filter(step_id=slot.step_id, status=SlotStatus.PENDING).update(**changes)


# --- templates -----------------------------------------------------------------------------------------------------


class ApproverData(TypedDict, total=False):
    user: User | None
    role: Group | None


class StepData(TypedDict, total=False):
    id: int
    name: str
    order: int
    approval_type: str
    approvers: list[ApproverData]


def _validate_steps(steps: list[StepData]) -> None:
    if not steps:
        raise DomainValidationError("An approval template needs at least one step.", field="steps", code="required")
    orders = [step["order"] for step in steps]
    if len(set(orders)) != len(orders):
        raise DomainValidationError("Step orders must be unique.", field="steps", code="unique")
    ids = [step["id"] for step in steps if step.get("id") is not None]
    if len(set(ids)) != len(ids):
        raise DomainValidationError("A step id appears twice.", field="steps", code="unique")
    for step in steps:
        approvers = step.get("approvers") or []
        if not approvers:
            raise DomainValidationError(f'Step "{step["name"]}" needs at least one approver.', field="steps", code="required")
        for approver in approvers:
            require_user_xor_role(approver.get("user"), approver.get("role"), field="steps")
        users = [approver["user"] for approver in approvers if approver.get("user") is not None]
        if len(set(users)) != len(users):
            # One person fills one slot per step, so a user named twice could never complete the step.
            raise DomainValidationError(f'Step "{step["name"]}" names a user twice.', field="steps", code="unique")


def _approver_key(user: User | None, role: Group | None) -> tuple[int | None, int | None]:
    return (user.pk if user is not None else None, role.pk if role is not None else None)


def _sync_approvers(*, step: ApprovalTemplateStep, approvers: list[ApproverData], actor: Actor) -> None:
    wanted = Counter(_approver_key(a.get("user"), a.get("role")) for a in approvers)
    for existing in step.approvers.order_by("id"):
        key = (existing.user_id, existing.role_id)
        if wanted[key] > 0:
            wanted[key] -= 1
        else:
            existing.soft_delete(actor=actor)
    for (user_id, role_id), count in wanted.items():
        for _ in range(count):
            approver = ApprovalTemplateStepApprover(step=step, user_id=user_id, role_id=role_id)
            approver.stamp(actor, created=True)
            approver.save()


def _sync_steps(*, template: ApprovalTemplate, steps: list[StepData], actor: Actor) -> None:
    existing = {step.pk: step for step in ApprovalTemplateStep.objects.filter(template=template)}
    unknown = {data["id"] for data in steps if data.get("id") is not None} - existing.keys()
    if unknown:
        raise DomainValidationError(f"Unknown step id(s) for this template: {sorted(unknown)}.", field="steps")
    kept_ids = {data["id"] for data in steps if data.get("id") is not None}
    for pk, step in existing.items():
        if pk not in kept_ids:
            for approver in step.approvers.all():
                approver.soft_delete(actor=actor)
            step.soft_delete(actor=actor)
    # Park kept steps on free orders first, so reordering never trips the unique (template, order) constraint.
    for offset, pk in enumerate(sorted(kept_ids), start=1):
        existing[pk].order = 1_000_000 + offset
        existing[pk].save(update_fields=["order"])
    for data in steps:
        pk = data.get("id")
        step = existing[pk] if pk is not None else ApprovalTemplateStep(template=template)
        step.name = data["name"]
        step.order = data["order"]
        step.approval_type = data.get("approval_type", ApprovalType.ALL)
        step.stamp(actor, created=pk is None)
        step.save()
        _sync_approvers(step=step, approvers=data.get("approvers") or [], actor=actor)


@transaction.atomic
def approval_template_create(*, actor: Actor, name: str, steps: list[StepData], description: str = "") -> ApprovalTemplate:
    _validate_steps(steps)
    template = ApprovalTemplate(name=name, description=description)
    validate_constraints(template)
    template.stamp(actor, created=True)
    template.save()
    _sync_steps(template=template, steps=steps, actor=actor)
    return template


@transaction.atomic
def approval_template_update(*, template: ApprovalTemplate, actor: Actor, data: dict[str, Any]) -> ApprovalTemplate:
    """Change name/description and, when `steps` is given, the whole step list (steps matched by id).

    Running processes are snapshots: nothing here reaches them.
    """
    template = ApprovalTemplate.objects.select_for_update().get(pk=template.pk)
    template, changed = model_update(instance=template, fields=("name", "description"), data=data, actor=actor)
    if "steps" in data:
        _validate_steps(data["steps"])
        _sync_steps(template=template, steps=data["steps"], actor=actor)
        if not changed:  # its steps were rewritten: the template changed too
            template.save(update_fields=template.stamp(actor))
    return template


@transaction.atomic
def approval_template_uses(template: ApprovalTemplate) -> list[Ticket | TicketTemplate]:
    """What stops `template` from being deleted: ticket templates naming it, and tickets still to be submitted (draft,
    rejected) that name it. Such a ticket could never start its approval, and its creator cannot change the approval
    template (an admin field). Running processes do not count: they keep their snapshot."""
    tickets = Ticket.objects.filter(approval_template=template, status__in=[TicketStatus.DRAFT, TicketStatus.REJECTED])
    return [*TicketTemplate.objects.filter(approval_template=template).order_by("name"), *tickets.order_by("id")]


@transaction.atomic
def approval_template_delete(*, template: ApprovalTemplate, actor: Actor) -> None:
    """Soft delete, refused (409) while approval_template_uses() names anything."""
    uses = approval_template_uses(template)
    if uses:
        # Counts only: the caller may not be allowed to see the tickets themselves.
        tickets = sum(isinstance(use, Ticket) for use in uses)
        raise DomainConflict(
            f"This approval template is still used by {len(uses) - tickets} ticket template(s) and {tickets} "
            "unsubmitted ticket(s); point them at another approval template first.",
            code="in_use",
        )
    template.soft_delete(actor=actor)


# --- delegations ---------------------------------------------------------------------------------------------------


def _validate_window(*, starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise DomainValidationError("The window must end after it starts.", field="ends_at", code="invalid_window")


@transaction.atomic
def delegation_create(
    *,
    actor: User,
    delegate: User,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    delegator: User | None = None,
) -> Delegation:
    """`actor` lends their approval rights to `delegate`; holders of approvals.add_delegation may name another delegator."""
    delegator = delegator or actor
    if delegator.pk != actor.pk and not actor.has_perm("approvals.add_delegation"):
        raise DomainPermissionDenied("You can only delegate your own approval rights.")
    if delegator.pk == delegate.pk:
        raise DomainValidationError("Nobody delegates to themselves.", field="delegate", code="self_delegation")
    if not delegate.is_active:
        raise DomainValidationError("The delegate is an inactive user.", field="delegate", code="inactive_user")
    _validate_window(starts_at=starts_at, ends_at=ends_at)
    delegation = Delegation(delegator=delegator, delegate=delegate, starts_at=starts_at, ends_at=ends_at, reason=reason)
    delegation.stamp(actor, created=True)
    delegation.save()
    return delegation


def _require_delegation_owner(*, delegation: Delegation, actor: User, permission: str) -> None:
    if delegation.delegator_id != actor.pk and not actor.has_perm(permission):
        raise DomainPermissionDenied("Only the delegator (or an administrator) can change this delegation.")


@transaction.atomic
def delegation_update(*, delegation: Delegation, actor: User, data: dict[str, Any]) -> Delegation:
    """Change the window or the reason; ending a delegation early is setting `ends_at` to now."""
    _require_delegation_owner(delegation=delegation, actor=actor, permission="approvals.change_delegation")
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    _validate_window(starts_at=data.get("starts_at", delegation.starts_at), ends_at=data.get("ends_at", delegation.ends_at))
    delegation, _ = model_update(instance=delegation, fields=("starts_at", "ends_at", "reason"), data=data, actor=actor)
    return delegation


@transaction.atomic
def delegation_delete(*, delegation: Delegation, actor: User) -> None:
    _require_delegation_owner(delegation=delegation, actor=actor, permission="approvals.delete_delegation")
    delegation.soft_delete(actor=actor)


@transaction.atomic
def delegation_end(*, delegation: Delegation, actor: User) -> Delegation | None:
    """End a delegation now, whatever its state: one inside its window ends at this moment (ends_at = now, as the API's
    PATCH), one not started yet is withdrawn (deleted: it never lent anything); one already over is a 409."""
    _require_delegation_owner(delegation=delegation, actor=actor, permission="approvals.change_delegation")
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    now = timezone.now()
    if delegation.ends_at <= now:
        raise DomainConflict("This delegation has already ended.", code="delegation_ended")
    if delegation.starts_at >= now:
        delegation_delete(delegation=delegation, actor=actor)
        return None
    return delegation_update(delegation=delegation, actor=actor, data={"ends_at": now})
