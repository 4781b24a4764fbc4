"""Factories for notification rules and in-app notifications."""

import factory

from notifications.models import Channel, Notification, NotificationEvent, NotificationRule
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
