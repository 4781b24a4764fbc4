"""Factories for approval templates and delegations. Processes are started through the engine, never built by hand."""

from datetime import timedelta

import factory
from django.utils import timezone

from approvals.models import ApprovalTemplate, ApprovalTemplateStep, ApprovalTemplateStepApprover, ApprovalType, Delegation
from tests.factories import UserFactory


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
