import factory

from tests.factories import UserFactory
from tickets.models import Category, Label, Ticket, TicketTemplate


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    name = factory.Sequence(lambda n: f"label-{n}")
    color = "#1f77b4"


class TicketTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketTemplate

    name = factory.Sequence(lambda n: f"Template {n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row as the database would hold it; use the API or services to exercise behaviour."""

    class Meta:
        model = Ticket

    title = factory.Sequence(lambda n: f"Ticket {n}")
    description = "Something needs doing."
    created_by = factory.SubFactory(UserFactory)
    updated_by = factory.SelfAttribute("created_by")
    key = factory.Sequence(lambda n: f"TST-{n}")
