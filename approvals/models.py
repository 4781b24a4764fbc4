"""Approval templates (blueprints), approval processes (snapshots taken at submit) and delegations (SPEC §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Self

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from ticketsite.models import AuditedModel, SoftDeleteQuerySet, user_or_role_name, user_xor_role


class ApprovalType(models.TextChoices):
    ALL = "all", "All slots must approve"
    ANY = "any", "One approval completes the step"


class ProcessStatus(models.TextChoices):
    RUNNING = "running", "Running"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class StepStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    ACTIVE = "active", "Active"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SKIPPED = "skipped", "Skipped"


class SlotStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SKIPPED = "skipped", "Skipped"


def by_filler(approvers: QuerySet[Any]) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """Approver slots (of a template or of a process) as (slot, `filler`) rows, one per person who fills a slot directly
    (SPEC §6): the user a slot names, and each current member of the role it names. The one definition of "fills a
    slot": eligibility, visibility and notifications all start from it.

    Two querysets, for a UNION: filtered on `filler`, each is answered from an index ((user, ticket), or the person's
    roles then (role, ticket)), where one OR over both made the planner scan every slot.
    """
    return (
        approvers.filter(user__isnull=False).annotate(filler=F("user")),
        approvers.filter(role__isnull=False).annotate(filler=F("role__user")),
    )


class ApprovalTemplate(AuditedModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")

    class Meta:
        db_table = "approval_templates"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), condition=Q(is_deleted=False), name="approval_templates_name_unique_alive"),
        ]

    def __str__(self) -> str:
        return self.name


class ApprovalTemplateStep(AuditedModel):
    template = models.ForeignKey(ApprovalTemplate, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField()
    approval_type = models.CharField(max_length=8, choices=ApprovalType.choices, default=ApprovalType.ALL)

    class Meta:
        db_table = "approval_template_steps"
        ordering = ["template", "order"]
        verbose_name = "template step"
        constraints = [
            models.UniqueConstraint(
                fields=["template", "order"], condition=Q(is_deleted=False), name="approval_template_steps_order_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} step {self.order} {self.name}"


class ApprovalTemplateStepApprover(AuditedModel):
    step = models.ForeignKey(ApprovalTemplateStep, on_delete=models.CASCADE, related_name="approvers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.ForeignKey(Group, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "approval_template_step_approvers"
        ordering = ["id"]
        verbose_name = "template approver"
        constraints = [user_xor_role("approval_template_step_approvers_user_xor_role")]

    def __str__(self) -> str:
        return f"{self.step}: {user_or_role_name(self)}"


class ApprovalProcess(AuditedModel):
    """A snapshot of an approval template, started when a ticket is submitted."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="approval_processes")
    template = models.ForeignKey(ApprovalTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=16, choices=ProcessStatus.choices, default=ProcessStatus.RUNNING)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "approval_processes"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "approval processes"
        constraints = [
            # At most one running process per ticket.
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status="running", is_deleted=False), name="approval_processes_one_running"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} — approval ({self.name})" if self.name else f"{self.ticket} — approval"


class ApprovalProcessStep(AuditedModel):
    process = models.ForeignKey(ApprovalProcess, on_delete=models.PROTECT, related_name="steps")
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField()
    approval_type = models.CharField(max_length=8, choices=ApprovalType.choices)
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.WAITING)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "approval_process_steps"
        ordering = ["process", "order"]
        verbose_name = "process step"
        constraints = [models.UniqueConstraint(fields=["process", "order"], name="approval_process_steps_order_unique")]

    def __str__(self) -> str:
        return f"{self.process.ticket.key} step {self.order} {self.name}"


class ApprovalProcessStepApprover(AuditedModel):
    """An approver slot of a running or finished process: a user or a role, and the decision taken on it."""

    step = models.ForeignKey(ApprovalProcessStep, on_delete=models.PROTECT, related_name="approvers")
    # Denormalised for the visibility rule and the pending list: one indexed join instead of three.
    process = models.ForeignKey(ApprovalProcess, on_delete=models.PROTECT, related_name="slots")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="approval_slots")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.ForeignKey(Group, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=SlotStatus.choices, default=SlotStatus.PENDING)
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True, default="")
    acted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "approval_process_step_approvers"
        ordering = ["step__order", "id"]
        verbose_name = "approval slot"
        indexes = [
            models.Index(fields=["user", "ticket"], name="approval_slots_user_ticket_idx"),
            models.Index(fields=["role", "ticket"], name="approval_slots_role_ticket_idx"),
            models.Index(fields=["status", "step"], name="approval_slots_status_step_idx"),
        ]
        constraints = [user_xor_role("approval_process_step_approvers_user_xor_role")]

    def __str__(self) -> str:
        return f"{self.ticket.key} step {self.step.order} {self.step.name}: {user_or_role_name(self)}"


class DelegationQuerySet(SoftDeleteQuerySet):
    def in_force(self, at: datetime | None = None) -> Self:
        """Delegations lending their rights at `at` (default now): inside [starts_at, ends_at), delegator active."""
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, ends_at__gt=at, delegator__is_active=True)


class DelegationManager(models.Manager.from_queryset(DelegationQuerySet)):  # type: ignore[misc]
    """Deleted delegations do not exist for ordinary code (as ticketsite.models.AliveManager)."""

    def get_queryset(self) -> DelegationQuerySet:
        return super().get_queryset().filter(is_deleted=False)


AllDelegationsManager = models.Manager.from_queryset(DelegationQuerySet)


class Delegation(AuditedModel):
    """The delegator's approval rights, lent to the delegate during [starts_at, ends_at). Not transitive."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_given")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_received")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.TextField(blank=True, default="")

    objects: ClassVar[DelegationManager] = DelegationManager()
    all_objects: ClassVar[AllDelegationsManager] = AllDelegationsManager()

    class Meta:
        db_table = "delegations"
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["delegate", "starts_at", "ends_at"], name="delegations_window_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(delegator=F("delegate")), name="delegations_not_to_self"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="delegations_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator.username} → {self.delegate.username}"
