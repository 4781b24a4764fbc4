"""A ZIP's directory is read up to ATTACHMENT_ZIP_MAX_ENTRIES entries (issue 12, item 7): more is a 413
`too_many_zip_entries` that stores nothing.

`zipfile.ZipFile` parsed every entry on open (200,000 entries cost seconds of a worker). Without a clock, the tests show
where reading stops: a directory corrupted *after* the cap would make a reader that goes on answer "not a ZIP" (415);
a refusal with 413 shows it stopped at the cap.
"""

import io
import struct
import zipfile
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.models import Attachment, TicketNote, TicketStatus
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

SMALL_CAP = 20
EOCD = struct.Struct("<4s4H2LH")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def close_as_zip64(archive: zipfile.ZipFile) -> None:
    """Close with the ZIP64 end records zipfile writes past 65,535 entries, forced here for a few entries."""
    with mock.patch.object(zipfile, "ZIP_FILECOUNT_LIMIT", 0):
        archive.close()


def zip_of(count: int, *, zip64: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(count):
            archive.writestr(f"part-{index}.txt", b"")
        if zip64:
            close_as_zip64(archive)
    return buffer.getvalue()


def eocd_at(content: bytes) -> int:
    return content.rindex(b"PK\x05\x06")


def with_declared_count(content: bytes, count: int) -> bytes:
    """The same archive, its end record declaring `count` entries (a lie the reader must not trust)."""
    at = eocd_at(content)
    fields = list(EOCD.unpack_from(content, at))
    fields[3] = fields[4] = count
    return content[:at] + EOCD.pack(*fields) + content[at + EOCD.size :]


def with_garbage_after_the_directory(content: bytes) -> bytes:
    """Bytes that are no directory entry, appended to the central directory (its size grows to cover them)."""
    at = eocd_at(content)
    garbage = b"\x00" * 64
    fields = list(EOCD.unpack_from(content, at))
    fields[5] += len(garbage)
    return content[:at] + garbage + EOCD.pack(*fields) + content[at + EOCD.size :]


def with_broken_first_entry(content: bytes) -> bytes:
    at = eocd_at(content)
    start = EOCD.unpack_from(content, at)[6]
    return content[:start] + b"XX" + content[start + 2 :]


@pytest.fixture(scope="module")
def over_the_default_cap() -> bytes:
    """Built once: one entry more than the default ATTACHMENT_ZIP_MAX_ENTRIES (10,000)."""
    return zip_of(10_001)


def upload(client, ticket, content: bytes):
    file = SimpleUploadedFile("bundle.zip", content, content_type="application/zip")
    return client.post(f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": file}, format="multipart")


def assert_refused(response, ticket, media_root, *, status=413, code="too_many_zip_entries"):
    assert response.status_code == status, response.content
    assert response.json()["errors"][0]["code"] == code
    assert not Attachment.all_objects.exists()
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    assert not TicketNote.objects.filter(ticket=ticket, system=True).exists()


def new_ticket():
    return TicketFactory(status=TicketStatus.IN_PROGRESS)


def test_a_zip_with_more_entries_than_the_default_cap_is_refused(client_for, media_root, over_the_default_cap):
    ticket = new_ticket()

    response = upload(client_for(ticket.created_by), ticket, over_the_default_cap)

    assert_refused(response, ticket, media_root)
    assert "10000 entries" in response.json()["errors"][0]["detail"]


def test_the_declared_count_refuses_before_the_directory_is_read(client_for, media_root, over_the_default_cap):
    ticket = new_ticket()

    response = upload(client_for(ticket.created_by), ticket, with_broken_first_entry(over_the_default_cap))

    assert_refused(response, ticket, media_root)


@pytest.mark.parametrize("zip64", [False, True], ids=["zip", "zip64"])
def test_up_to_the_cap_is_a_zip_one_more_is_refused(zip64, client_for, media_root, settings):
    settings.ATTACHMENT_ZIP_MAX_ENTRIES = SMALL_CAP
    ticket = new_ticket()
    client = client_for(ticket.created_by)

    refused = upload(client, ticket, zip_of(SMALL_CAP + 1, zip64=zip64))
    assert_refused(refused, ticket, media_root)

    accepted = upload(client, ticket, zip_of(SMALL_CAP, zip64=zip64))
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["content_type"] == "application/zip"


def test_a_lying_entry_count_does_not_lift_the_cap_and_reading_stops_at_it(client_for, media_root, settings):
    settings.ATTACHMENT_ZIP_MAX_ENTRIES = SMALL_CAP
    ticket = new_ticket()
    client = client_for(ticket.created_by)
    # Under the cap, garbage after the directory's entries makes it no readable ZIP (415)...
    unreadable = upload(client, ticket, with_garbage_after_the_directory(zip_of(2)))
    assert_refused(unreadable, ticket, media_root, status=415, code="unsupported_media_type")

    content = with_garbage_after_the_directory(with_declared_count(zip_of(SMALL_CAP + 1), 1))
    response = upload(client, ticket, content)

    # ...past it, neither entry SMALL_CAP + 1 nor the garbage after it is read.
    assert_refused(response, ticket, media_root)
