"""Factories for grants, access requests and the approval rows the visibility rule reads.

Approval processes, steps, slots and delegations are built as plain rows (not through the approval engine), so the
permission tests do not depend on that engine's services.
"""

import hashlib

import factory

from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalType,
    StepStatus,
)
from approvals.tests.factories import DelegationFactory as DelegationFactory  # shared; re-exported here
from permissions.models import AccessRequest, TicketViewPermission
from tests.factories import UserFactory
from tickets.models import Attachment, TicketNote, TicketVisibility
from tickets.tests.factories import TicketFactory


class RestrictedTicketFactory(TicketFactory):
    visibility = TicketVisibility.RESTRICTED


class GrantFactory(factory.django.DjangoModelFactory):
    """A user grant by default; pass role=... and user=None for a role grant."""

    class Meta:
        model = TicketViewPermission

    ticket = factory.SubFactory(RestrictedTicketFactory)
    user = factory.SubFactory(UserFactory)
    role = None
    created_by = factory.SelfAttribute("ticket.created_by")


class AccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRequest

    ticket = factory.SubFactory(RestrictedTicketFactory)
    requester = factory.SubFactory(UserFactory)
    reason = "I need to follow this ticket."
    created_by = factory.SelfAttribute("requester")


class ApprovalProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalProcess

    ticket = factory.SubFactory(RestrictedTicketFactory)
    name = "Manager approval"


class ApprovalProcessStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalProcessStep

    process = factory.SubFactory(ApprovalProcessFactory)
    name = factory.Sequence(lambda n: f"Step {n}")
    order = factory.Sequence(lambda n: n + 1)
    approval_type = ApprovalType.ALL
    status = StepStatus.ACTIVE


class ApprovalSlotFactory(factory.django.DjangoModelFactory):
    """A user slot by default; pass role=... and user=None for a role slot."""

    class Meta:
        model = ApprovalProcessStepApprover

    step = factory.SubFactory(ApprovalProcessStepFactory)
    process = factory.SelfAttribute("step.process")
    ticket = factory.SelfAttribute("step.process.ticket")
    user = factory.SubFactory(UserFactory)
    role = None


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketNote

    ticket = factory.SubFactory(TicketFactory)
    system = False
    note = "A comment."
    created_by = factory.SelfAttribute("ticket.created_by")


class AttachmentFactory(factory.django.DjangoModelFactory):
    """A stored text attachment on a ticket, as the upload service would leave it."""

    class Meta:
        model = Attachment

    ticket = factory.SubFactory(TicketFactory)
    file = factory.django.FileField(data=b"hello attachment\n", filename="hello.txt")
    file_name = "hello.txt"
    size = 17
    content_type = "text/plain"
    sha256 = hashlib.sha256(b"hello attachment\n").hexdigest()
    created_by = factory.SelfAttribute("ticket.created_by")
