"""Factories for view grants and access requests."""

import factory

from permissions.models import AccessRequest, TicketViewPermission
from tests.factories import UserFactory
from tickets.tests.factories import RestrictedTicketFactory


class GrantFactory(factory.django.DjangoModelFactory):
    """A user grant by default; a role grant when role=... is given."""

    class Meta:
        model = TicketViewPermission

    ticket = factory.SubFactory(RestrictedTicketFactory)
    role = None
    user = factory.Maybe("role", yes_declaration=None, no_declaration=factory.SubFactory(UserFactory))
    created_by = factory.SelfAttribute("ticket.created_by")


class AccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRequest

    ticket = factory.SubFactory(RestrictedTicketFactory)
    requester = factory.SubFactory(UserFactory)
    reason = "I need to follow this ticket."
    created_by = factory.SelfAttribute("requester")
