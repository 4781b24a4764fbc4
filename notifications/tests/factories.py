"""Factories for the notification tests, plus minimal rows of other apps' models (approvals, access requests) so these
tests do not depend on other apps' services: they send the domain signals directly."""

import factory

from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalType,
    StepStatus,
)
from approvals.tests.factories import DelegationFactory as DelegationFactory  # shared; re-exported here
from notifications.models import Channel, Notification, NotificationEvent, NotificationRule
from permissions.models import AccessRequest, TicketViewPermission
from tests.factories import UserFactory
from tickets.tests.factories import TicketFactory


class NotificationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationRule
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rule {n}")
    event_type = NotificationEvent.TICKET_CREATED
    channels = factory.LazyFunction(lambda: [Channel.IN_APP.value])

    @factory.post_generation
    def users(self, create, extracted, **kwargs):
        if create and extracted:
            self.users.add(*extracted)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.add(*extracted)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    event_type = NotificationEvent.COMMENT_ADDED
    ticket = factory.SubFactory(TicketFactory)
    actor = factory.SubFactory(UserFactory)
    message = "Someone added a comment."


class ApprovalProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalProcess

    ticket = factory.SubFactory(TicketFactory)
    name = "Process"


class ApprovalStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalProcessStep

    process = factory.SubFactory(ApprovalProcessFactory)
    name = factory.Sequence(lambda n: f"Step {n}")
    order = factory.Sequence(lambda n: n + 1)
    approval_type = ApprovalType.ANY
    status = StepStatus.ACTIVE


class ApprovalSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalProcessStepApprover

    step = factory.SubFactory(ApprovalStepFactory)
    process = factory.SelfAttribute("step.process")
    ticket = factory.SelfAttribute("step.process.ticket")


class GrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketViewPermission

    ticket = factory.SubFactory(TicketFactory)


class AccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRequest

    ticket = factory.SubFactory(TicketFactory)
    requester = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("requester")
    reason = "I was sent the link."
