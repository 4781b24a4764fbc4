"""Factories for approval templates, delegations, and process rows.

Process, step and slot rows are built as plain rows (not through the approval engine), for tests of other apps that
read them (visibility, notifications) without depending on the engine's services; the engine's own tests start
processes through the engine.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalTemplate,
    ApprovalTemplateStep,
    ApprovalTemplateStepApprover,
    ApprovalType,
    Delegation,
    StepStatus,
)
from tests.factories import UserFactory
from tickets.tests.factories import RestrictedTicketFactory


class ApprovalTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalTemplate

    name = factory.Sequence(lambda n: f"Approval flow {n}")


class ApprovalTemplateStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalTemplateStep

    template = factory.SubFactory(ApprovalTemplateFactory)
    name = factory.Sequence(lambda n: f"Step {n}")
    order = factory.Sequence(lambda n: n + 1)
    approval_type = ApprovalType.ALL


class ApprovalTemplateStepApproverFactory(factory.django.DjangoModelFactory):
    """A user slot by default; pass role=... and user=None for a role slot."""

    class Meta:
        model = ApprovalTemplateStepApprover

    step = factory.SubFactory(ApprovalTemplateStepFactory)
    user = factory.SubFactory(UserFactory)
    role = None


class DelegationFactory(factory.django.DjangoModelFactory):
    """Active now by default."""

    class Meta:
        model = Delegation

    delegator = factory.SubFactory(UserFactory)
    delegate = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    reason = "Holiday"


class ApprovalProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalProcess

    ticket = factory.SubFactory(RestrictedTicketFactory)
    name = "Manager approval"


class ApprovalProcessStepFactory(factory.django.DjangoModelFactory):
    """An active step; pass approval_type="any" for an any-of step."""

    class Meta:
        model = ApprovalProcessStep

    process = factory.SubFactory(ApprovalProcessFactory)
    name = factory.Sequence(lambda n: f"Step {n}")
    order = factory.Sequence(lambda n: n + 1)
    approval_type = ApprovalType.ALL
    status = StepStatus.ACTIVE


class ApprovalSlotFactory(factory.django.DjangoModelFactory):
    """A user slot by default; a role slot when role=... is given."""

    class Meta:
        model = ApprovalProcessStepApprover

    step = factory.SubFactory(ApprovalProcessStepFactory)
    process = factory.SelfAttribute("step.process")
    ticket = factory.SelfAttribute("step.process.ticket")
    role = None
    user = factory.Maybe("role", yes_declaration=None, no_declaration=factory.SubFactory(UserFactory))


def template_with(*steps: tuple[str, list]) -> ApprovalTemplate:
    """template_with(("all", [user, role]), ("any", [role])): one step per tuple, in order; Group items are role slots."""
    from django.contrib.auth.models import Group

    template = ApprovalTemplateFactory()
    for order, (approval_type, approvers) in enumerate(steps, start=1):
        step = ApprovalTemplateStepFactory(template=template, order=order, approval_type=approval_type, name=f"Step {order}")
        for approver in approvers:
            if isinstance(approver, Group):
                ApprovalTemplateStepApproverFactory(step=step, user=None, role=approver)
            else:
                ApprovalTemplateStepApproverFactory(step=step, user=approver)
    return template
