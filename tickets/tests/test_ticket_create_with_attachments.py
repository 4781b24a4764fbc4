"""A new ticket with its first files is all or nothing (tickets.services.attachments.ticket_create_with_attachments):
a refused file leaves no ticket, no attachment, no timeline event and no stored file, the files accepted before it
included."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import UserFactory
from tickets.models import Attachment, EventType, Ticket, TicketNote, TicketStatus
from tickets.services.attachments import ticket_create_with_attachments
from tickets.tests.test_attachments_api import EXE, PDF
from ticketsite.errors import UnsupportedMediaType

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def test_the_ticket_and_each_file_with_their_events():
    alice = UserFactory()
    files = [
        SimpleUploadedFile("notes.txt", b"plain text\n", content_type="text/plain"),
        SimpleUploadedFile("quote.pdf", PDF, content_type="application/pdf"),
    ]

    ticket = ticket_create_with_attachments(actor=alice, uploads=files, title="New laptop", priority="high")

    assert (ticket.title, ticket.priority, ticket.status, ticket.created_by) == (
        "New laptop",
        "high",
        TicketStatus.DRAFT,
        alice,
    )
    assert sorted(Attachment.objects.filter(ticket=ticket).values_list("file_name", "content_type")) == [
        ("notes.txt", "text/plain"),
        ("quote.pdf", "application/pdf"),
    ]
    events = list(TicketNote.objects.filter(ticket=ticket).order_by("id").values_list("event_type", flat=True))
    assert events == [EventType.CREATED, EventType.ATTACHMENT_ADD, EventType.ATTACHMENT_ADD]


def test_a_refused_file_takes_back_the_ticket_and_the_files_before_it(media):
    alice = UserFactory()
    files = [
        SimpleUploadedFile("notes.txt", b"plain text\n", content_type="text/plain"),
        SimpleUploadedFile("invoice.pdf", EXE, content_type="application/pdf"),
    ]

    with pytest.raises(UnsupportedMediaType):
        ticket_create_with_attachments(actor=alice, uploads=files, title="New laptop")

    assert not Ticket.all_objects.exists()
    assert not Attachment.all_objects.exists()
    assert not TicketNote.all_objects.exists()
    assert stored_files(media) == []
