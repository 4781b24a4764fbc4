"""Factories for the tickets app's models: categories, labels, templates, tickets, comments and attachments."""

import hashlib

import factory

from tests.factories import UserFactory
from tickets.models import Attachment, Category, Label, Ticket, TicketNote, TicketTemplate, TicketVisibility
from tickets.search import document_refresh


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
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Template {n}")
    custom_fields_schema = factory.LazyFunction(dict)

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def labels(self, create, extracted, **kwargs):
        if create and extracted:
            self.labels.set(extracted)


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row as the database would hold it; use the API or services to exercise behaviour.

    `status=...` puts the row straight into a status (the lifecycle tests start from every status this way).
    """

    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Ticket {n}")
    description = "Something needs doing."
    created_by = factory.SubFactory(UserFactory)
    updated_by = factory.SelfAttribute("created_by")
    key = factory.Sequence(lambda n: f"TST-{n}")

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def labels(self, create, extracted, **kwargs):
        if create and extracted:
            self.labels.set(extracted)

    @factory.post_generation
    def search_document(self, create, extracted, **kwargs):
        # The services keep every ticket's search document current; a row made here gets the one they would build.
        if create:
            document_refresh(ticket_ids=[self.pk])


class RestrictedTicketFactory(TicketFactory):
    visibility = TicketVisibility.RESTRICTED


class CommentFactory(factory.django.DjangoModelFactory):
    """A comment row (system=False) by the ticket's creator. Events are written by receivers, never by a factory."""

    class Meta:
        model = TicketNote
        skip_postgeneration_save = True

    ticket = factory.SubFactory(TicketFactory)
    system = False
    note = factory.Sequence(lambda n: f"Comment {n}")
    created_by = factory.SelfAttribute("ticket.created_by")
    updated_by = factory.SelfAttribute("created_by")

    @factory.post_generation
    def search_document(self, create, extracted, **kwargs):
        if create:
            document_refresh(ticket_ids=[self.ticket_id])


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
