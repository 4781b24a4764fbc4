"""Factories for the mail gateway's records (the gateway's own tests make them by ingesting real messages)."""

import factory

from mailgate.models import InboundMessage, InboundOutcome, InboundSource


class InboundMessageFactory(factory.django.DjangoModelFactory):
    """A record of a reply that became a comment; pass ticket=, user= and subject= to name them."""

    class Meta:
        model = InboundMessage

    message_key = factory.Sequence(lambda n: f"<{n}.factory@mail.example.org>")
    sender = factory.LazyAttribute(lambda record: record.user.email if record.user else "someone@mail.example.org")
    subject = factory.LazyAttribute(lambda record: f"Re: [{record.ticket.key}] {record.ticket.title}" if record.ticket else "")
    size = 1024
    source = InboundSource.IMAP
    outcome = InboundOutcome.COMMENT
    user = None
    ticket = None
