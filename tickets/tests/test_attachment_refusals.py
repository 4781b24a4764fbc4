"""Every refused upload leaves nothing behind: no row (not even a deleted one), no stored file, no timeline event.

Each case is refused for a different reason, at a different layer (upload handler, serializer, service, visibility).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import AdminFactory, UserFactory
from tickets.models import Attachment, TicketNote, TicketStatus
from tickets.tests.factories import CommentFactory, RestrictedTicketFactory, TicketFactory, TicketTemplateFactory
from tickets.tests.test_attachments_api import EXE, HTML, PDF, png_bytes

pytestmark = pytest.mark.django_db

LIMIT = 1024


@pytest.fixture(autouse=True)
def small_limit(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_SIZE = LIMIT
    return tmp_path


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def ticket_upload(client, ticket, name, content, claimed, **extra):
    file = SimpleUploadedFile(name, content, content_type=claimed)
    return client.post(f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": file, **extra}, format="multipart")


# (case, expected status, expected code)
CASES = [
    ("one byte over the limit", 413, "payload_too_large"),
    ("empty", 400, "empty"),
    ("an executable claiming to be a PDF", 415, "unsupported_media_type"),
    ("markup claiming to be a PNG", 415, "unsupported_media_type"),
    ("a PNG claiming to be a PDF, with the PNG type not allowed", 415, "unsupported_media_type"),
    ("someone else's comment", 403, "permission_denied"),
    ("a closed ticket", 409, "ticket_final"),
    ("an invisible ticket", 404, "not_found"),
]


def refused_upload(case: str, client_for, settings):
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS)
    me = client_for(ticket.created_by)
    if case == "one byte over the limit":
        return ticket, ticket_upload(me, ticket, "big.txt", b"a" * (LIMIT + 1), "text/plain")
    if case == "empty":
        return ticket, ticket_upload(me, ticket, "empty.txt", b"", "text/plain")
    if case == "an executable claiming to be a PDF":
        return ticket, ticket_upload(me, ticket, "invoice.pdf", EXE, "application/pdf")
    if case == "markup claiming to be a PNG":
        return ticket, ticket_upload(me, ticket, "cat.png", HTML, "image/png")
    if case == "a PNG claiming to be a PDF, with the PNG type not allowed":
        settings.ATTACHMENT_ALLOWED_CONTENT_TYPES = ["application/pdf"]
        return ticket, ticket_upload(me, ticket, "scan.pdf", png_bytes(), "application/pdf")
    if case == "someone else's comment":
        comment = CommentFactory(ticket=ticket, created_by=UserFactory())
        return ticket, ticket_upload(me, ticket, "log.txt", b"trace\n", "text/plain", note=comment.pk)
    if case == "a closed ticket":
        closed = TicketFactory(status=TicketStatus.CLOSED, created_by=ticket.created_by)
        return closed, ticket_upload(me, closed, "late.txt", b"late\n", "text/plain")
    if case == "an invisible ticket":
        hidden = RestrictedTicketFactory()
        return hidden, ticket_upload(me, hidden, "x.txt", b"let me in\n", "text/plain")
    raise AssertionError(case)


@pytest.mark.parametrize(("case", "status", "code"), CASES, ids=[case for case, _, _ in CASES])
def test_a_refused_upload_leaves_nothing(case, status, code, client_for, settings, small_limit):
    ticket, response = refused_upload(case, client_for, settings)

    assert response.status_code == status, response.content
    assert response.json()["errors"][0]["code"] == code
    assert not Attachment.all_objects.exists()
    assert stored_files(small_limit) == []
    assert not TicketNote.objects.filter(ticket=ticket, system=True).exists()


def test_an_accepted_upload_of_each_case_leaves_exactly_one_row_file_and_event(client_for, small_limit):
    """The counterpart of the refusals: the same ticket takes a good file, so the checks above can fail."""
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS)

    response = ticket_upload(client_for(ticket.created_by), ticket, "ok.pdf", PDF, "application/pdf")

    assert response.status_code == 201
    assert Attachment.all_objects.count() == 1
    assert len(stored_files(small_limit)) == 1
    assert TicketNote.objects.filter(ticket=ticket, system=True).count() == 1


# --- templates (admins) ----------------------------------------------------------------------------------------------


def template_upload(client, template, name="form.pdf", content=PDF, claimed="application/pdf"):
    file = SimpleUploadedFile(name, content, content_type=claimed)
    return client.post(f"/api/v1/ticket-templates/{template.pk}/attachments/", {"file": file}, format="multipart")


@pytest.mark.parametrize(
    ("who", "expected"),
    [("superuser", 201), ("template editor", 201), ("agent", 403), ("plain user", 403), ("inactive editor", 403)],
)
def test_template_uploads_are_for_template_admins(who, expected, client_for, small_limit):
    users = {
        "superuser": lambda: AdminFactory(),
        "template editor": lambda: UserFactory(perms=["tickets.change_tickettemplate"]),
        "agent": lambda: UserFactory(perms=["tickets.work_on_ticket"]),
        "plain user": lambda: UserFactory(),
        "inactive editor": lambda: UserFactory(is_active=False, perms=["tickets.change_tickettemplate"]),
    }
    template = TicketTemplateFactory()
    user = users[who]()

    response = template_upload(client_for(user), template)

    assert response.status_code == expected, response.content
    rows = Attachment.all_objects.filter(template=template)
    if expected == 201:
        [row] = rows
        assert (row.created_by, row.ticket, row.content_type) == (user, None, "application/pdf")
        assert len(stored_files(small_limit)) == 1
    else:
        assert not rows.exists()
        assert stored_files(small_limit) == []
    assert not TicketNote.objects.exists()  # templates have no timeline


def test_template_uploads_are_inspected_like_ticket_uploads(client_for, small_limit):
    template = TicketTemplateFactory()
    editor = client_for(AdminFactory())

    codes = [
        template_upload(editor, template, "big.pdf", b"a" * (LIMIT + 1), "application/pdf").status_code,
        template_upload(editor, template, "empty.pdf", b"", "application/pdf").status_code,
        template_upload(editor, template, "tool.pdf", EXE, "application/pdf").status_code,
    ]

    assert codes == [413, 400, 415]
    assert not Attachment.all_objects.exists()
    assert stored_files(small_limit) == []
