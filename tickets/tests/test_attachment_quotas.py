"""Attachment quotas (issue 12, item 7): a ticket takes at most ATTACHMENT_TICKET_MAX_COUNT files and
ATTACHMENT_TICKET_QUOTA_BYTES bytes, a user uploads at most ATTACHMENT_USER_QUOTA_BYTES bytes; only live attachments
count. Past a quota the upload is a 409 with its own code and leaves no row, no file, no timeline event.

The race tests (PostgreSQL) upload twice at once where only one fits: the ticket's and the uploader's row locks let
exactly one pass.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.concurrency import responses_at_once
from tests.factories import AdminFactory, UserFactory
from tickets.models import Attachment, EventType, TicketNote, TicketStatus
from tickets.services.attachments import attachment_create
from tickets.tests.factories import AttachmentFactory, TicketFactory, TicketTemplateFactory
from ticketsite.errors import DomainConflict

pytestmark = pytest.mark.django_db

TICKET_QUOTA = 100
USER_QUOTA = 150
MAX_COUNT = 3


@pytest.fixture(autouse=True)
def quotas(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_TICKET_QUOTA_BYTES = TICKET_QUOTA
    settings.ATTACHMENT_USER_QUOTA_BYTES = USER_QUOTA
    settings.ATTACHMENT_TICKET_MAX_COUNT = MAX_COUNT
    return tmp_path


def text(size: int) -> bytes:
    return b"a" * size


def upload(client, ticket, size: int):
    file = SimpleUploadedFile("notes.txt", text(size), content_type="text/plain")
    return client.post(f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": file}, format="multipart")


def open_ticket(**kwargs):
    return TicketFactory(status=TicketStatus.IN_PROGRESS, **kwargs)


def state(media_root) -> tuple[int, int, int]:
    """Rows (deleted included), stored files, attachment_add events."""
    files = sum(1 for p in media_root.rglob("*") if p.is_file())
    events = TicketNote.objects.filter(event_type=EventType.ATTACHMENT_ADD).count()
    return Attachment.all_objects.count(), files, events


def assert_refused(response, code: str) -> None:
    assert response.status_code == 409, response.content
    assert response.json()["errors"][0]["code"] == code


# --- per ticket ------------------------------------------------------------------------------------------------------


def test_a_ticket_takes_files_up_to_its_count_cap_and_deleted_ones_do_not_count(client_for, quotas):
    ticket = open_ticket()
    for _ in range(MAX_COUNT - 1):
        AttachmentFactory(ticket=ticket, size=1)
    AttachmentFactory(ticket=ticket, size=1, is_deleted=True)
    me = client_for(ticket.created_by)

    assert upload(me, ticket, 2).status_code == 201
    before = state(quotas)
    response = upload(me, ticket, 2)

    assert_refused(response, "too_many_attachments")
    assert f"{MAX_COUNT} attachments" in response.json()["errors"][0]["detail"]
    assert state(quotas) == before


def test_a_ticket_takes_bytes_up_to_its_quota(client_for, quotas):
    ticket = open_ticket()
    AttachmentFactory(ticket=ticket, size=TICKET_QUOTA - 30)
    me = client_for(ticket.created_by)

    assert upload(me, ticket, 30).status_code == 201  # exactly at the quota
    before = state(quotas)
    response = upload(me, ticket, 1)

    assert_refused(response, "ticket_quota_exceeded")
    assert state(quotas) == before


def test_the_ticket_quota_holds_for_every_uploader(client_for, quotas):
    ticket = open_ticket()
    AttachmentFactory(ticket=ticket, size=TICKET_QUOTA, created_by=ticket.created_by)
    agent = UserFactory(perms=["tickets.view_all_tickets"])

    assert_refused(upload(client_for(agent), ticket, 1), "ticket_quota_exceeded")


# --- per user --------------------------------------------------------------------------------------------------------


def test_a_user_uploads_bytes_up_to_their_quota_over_all_tickets(client_for, quotas):
    me = UserFactory()
    AttachmentFactory(ticket=open_ticket(created_by=me), created_by=me, size=USER_QUOTA - 10)
    fresh = open_ticket(created_by=me)
    before = state(quotas)

    response = upload(client_for(me), fresh, 11)

    assert_refused(response, "user_quota_exceeded")
    assert state(quotas) == before
    # Someone else still uploads to the same ticket; and 10 bytes still fit for me.
    assert upload(client_for(fresh.created_by), fresh, 10).status_code == 201
    other = UserFactory(perms=["tickets.view_all_tickets"])
    assert upload(client_for(other), fresh, 11).status_code == 201


def test_deleting_an_attachment_frees_its_bytes(client_for, quotas):
    me = UserFactory()
    ticket = open_ticket(created_by=me)
    client = client_for(me)
    first = upload(client, ticket, TICKET_QUOTA).json()
    other_ticket = open_ticket(created_by=me)
    assert_refused(upload(client, other_ticket, TICKET_QUOTA), "user_quota_exceeded")

    assert client.delete(f"/api/v1/attachments/{first['id']}/").status_code == 204

    assert upload(client, other_ticket, TICKET_QUOTA).status_code == 201


def test_template_uploads_count_against_the_uploaders_quota(client_for, quotas):
    admin = AdminFactory()
    template = TicketTemplateFactory()
    AttachmentFactory(ticket=None, template=template, created_by=admin, size=USER_QUOTA)
    file = SimpleUploadedFile("form.txt", text(1), content_type="text/plain")

    response = client_for(admin).post(
        f"/api/v1/ticket-templates/{template.pk}/attachments/", {"file": file}, format="multipart"
    )

    assert_refused(response, "user_quota_exceeded")
    assert Attachment.all_objects.filter(template=template).count() == 1


def test_the_service_enforces_the_quotas_for_every_caller(quotas):
    """Commands and the admin call the service, not the API: the quota lives there."""
    ticket = open_ticket()
    AttachmentFactory(ticket=ticket, size=TICKET_QUOTA)
    before = state(quotas)

    with pytest.raises(DomainConflict) as refused:
        attachment_create(actor=ticket.created_by, upload=ContentFile(text(1), name="a.txt"), ticket=ticket)

    assert refused.value.get_codes() == "ticket_quota_exceeded"
    assert state(quotas) == before


@pytest.mark.parametrize(
    ("route", "codes"),
    [
        ("/api/v1/tickets/{ticket_id}/attachments/", ["too_many_attachments", "ticket_quota_exceeded", "user_quota_exceeded"]),
        ("/api/v1/ticket-templates/{template_id}/attachments/", ["user_quota_exceeded"]),
    ],
)
def test_the_schema_documents_the_quota_refusals(route, codes, openapi_schema):
    responses = openapi_schema["paths"][route]["post"]["responses"]

    assert all(code in responses["409"]["description"] for code in codes)
    assert "too_many_zip_entries" in responses["413"]["description"]


# --- races (PostgreSQL) ----------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_once_by_one_user_cannot_both_pass_the_user_quota(postgres_only, client_for, quotas):
    me = UserFactory()
    first, second = open_ticket(created_by=me), open_ticket(created_by=me)
    size = USER_QUOTA // 2 + 1  # one fits, two do not; each alone fits its ticket

    responses = responses_at_once(lambda: upload(client_for(me), first, size), lambda: upload(client_for(me), second, size))

    assert sorted(r.status_code for r in responses) == [201, 409]
    assert {r.json()["errors"][0]["code"] for r in responses if r.status_code == 409} == {"user_quota_exceeded"}
    assert state(quotas) == (1, 1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_once_to_one_ticket_cannot_both_pass_its_count_cap(postgres_only, client_for, quotas):
    ticket = open_ticket()
    for _ in range(MAX_COUNT - 1):
        AttachmentFactory(ticket=ticket, size=1)
    agent = UserFactory(perms=["tickets.view_all_tickets"])
    before = state(quotas)

    responses = responses_at_once(
        lambda: upload(client_for(ticket.created_by), ticket, 2), lambda: upload(client_for(agent), ticket, 2)
    )

    assert sorted(r.status_code for r in responses) == [201, 409]
    assert Attachment.objects.filter(ticket=ticket).count() == MAX_COUNT
    assert state(quotas) == (before[0] + 1, before[1] + 1, before[2] + 1)
