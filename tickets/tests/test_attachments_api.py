"""Attachments through the API (SPEC §9, §12): upload limits, content checks, names, visibility, download, delete."""

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.tests.factories import ApprovalSlotFactory
from permissions.tests.factories import GrantFactory
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets import signals
from tickets.models import Attachment, EventType, TicketNote, TicketStatus
from tickets.tests.factories import (
    AttachmentFactory,
    CommentFactory,
    RestrictedTicketFactory,
    TicketFactory,
    TicketTemplateFactory,
)

pytestmark = pytest.mark.django_db


# --- sample files ----------------------------------------------------------------------------------------------------


def png_bytes() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HTML = b"  <!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


def docx_bytes(*, macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00macro")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- fixtures --------------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def ticket_url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/attachments/"


def post_file(client, ticket, name, content, content_type="application/octet-stream", **extra):
    return client.post(ticket_url(ticket), {"file": upload(name, content, content_type), **extra}, format="multipart")


def post_raw_name(client, ticket, raw_name: str, content: bytes, content_type: str = "text/plain"):
    """A hand-made multipart body, so the file name reaches the server exactly as sent (test helpers strip paths)."""
    boundary = "----attachment-test-boundary"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{raw_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    return client.post(ticket_url(ticket), body, content_type=f"multipart/form-data; boundary={boundary}")


def download(client, attachment_id):
    return client.get(f"/api/v1/attachments/{attachment_id}/download/")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def error_code(response) -> str:
    return response.json()["errors"][0]["code"]


# --- upload ----------------------------------------------------------------------------------------------------------


def test_creator_uploads_a_png_and_gets_the_spec_shape(client_for, media_root):
    ticket = TicketFactory()
    content = png_bytes()

    response = post_file(client_for(ticket.created_by), ticket, "screen shot.png", content, "image/png")

    assert response.status_code == 201, response.json()
    body = response.json()
    attachment = Attachment.objects.get()
    assert body == {
        "id": attachment.pk,
        "ticket": ticket.pk,
        "note": None,
        "template": None,
        "file_name": "screen shot.png",
        "size": len(content),
        "content_type": "image/png",
        "sha256": hashlib.sha256(content).hexdigest(),
        "created_by": ticket.created_by.pk,
        "created_at": body["created_at"],
        "download_url": f"http://testserver/api/v1/attachments/{attachment.pk}/download/",
    }
    assert attachment.created_by == ticket.created_by
    # Stored under a random name in MEDIA_ROOT, never under the client's name.
    [stored] = stored_files(media_root)
    assert stored.read_bytes() == content
    assert "screen" not in stored.name
    event = TicketNote.objects.get(ticket=ticket, system=True, event_type=EventType.ATTACHMENT_ADD)
    assert event.created_by == ticket.created_by
    assert event.event_details == {"attachment": attachment.pk, "file_name": "screen shot.png", "note": None}


def test_audit_and_owner_fields_in_the_body_are_not_writable(client_for):
    ticket = TicketFactory()
    other_ticket, intruder = TicketFactory(), UserFactory()

    body = {"file": upload("a.txt", b"plain text\n", "text/plain"), "created_by": intruder.pk, "ticket": other_ticket.pk}
    body["sha256"] = "0" * 64
    response = client_for(ticket.created_by).post(ticket_url(ticket), body, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "read_only"
    assert not Attachment.objects.exists()


def test_any_user_who_sees_an_internal_ticket_may_attach(client_for):
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS)

    response = post_file(client_for(UserFactory()), ticket, "notes.txt", b"seen it too\n", "text/plain")

    assert response.status_code == 201


@pytest.mark.parametrize("status", [TicketStatus.CLOSED, TicketStatus.CANCELLED])
def test_a_final_ticket_takes_no_attachments(client_for, media_root, status):
    ticket = TicketFactory(status=status)

    response = post_file(client_for(ticket.created_by), ticket, "late.txt", b"too late\n", "text/plain")

    assert response.status_code == 409
    assert error_code(response) == "ticket_final"
    assert not Attachment.all_objects.exists()
    assert stored_files(media_root) == []


def test_upload_to_an_invisible_ticket_is_not_found(client_for, media_root):
    ticket = RestrictedTicketFactory()

    response = post_file(client_for(UserFactory()), ticket, "x.txt", b"let me in\n", "text/plain")

    assert response.status_code == 404
    assert not Attachment.all_objects.exists()
    assert stored_files(media_root) == []


def test_a_request_without_the_file_part_is_a_validation_error(client_for):
    ticket = TicketFactory()

    response = client_for(ticket.created_by).post(ticket_url(ticket), {"note": ""}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "file"


def test_json_bodies_are_refused_on_the_upload_endpoint(client_for):
    ticket = TicketFactory()

    response = client_for(ticket.created_by).post(ticket_url(ticket), {"file": "aGVsbG8="}, format="json")

    assert response.status_code == 415


# --- limits ----------------------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_413_and_leaves_nothing(client_for, settings, media_root):
    settings.ATTACHMENT_MAX_SIZE = 1024
    ticket = TicketFactory()

    response = post_file(client_for(ticket.created_by), ticket, "big.txt", b"a" * 1025, "text/plain")

    assert response.status_code == 413
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "payload_too_large", "detail": "The file is larger than the limit of 1024 bytes.", "attr": None}],
    }
    assert not Attachment.all_objects.exists()
    assert stored_files(media_root) == []
    assert not TicketNote.objects.filter(ticket=ticket, system=True).exists()


def test_an_oversized_upload_is_stopped_while_streaming_before_the_service(client_for, settings, monkeypatch):
    settings.ATTACHMENT_MAX_SIZE = 1024
    ticket = TicketFactory()

    def never(**kwargs):
        raise AssertionError("the upload handler should have refused the body")

    monkeypatch.setattr("tickets.services.attachments.attachment_create", never)
    response = post_file(client_for(ticket.created_by), ticket, "big.bin", b"a" * 5000, "text/plain")

    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


def test_a_file_of_exactly_the_limit_is_accepted(client_for, settings):
    settings.ATTACHMENT_MAX_SIZE = 1024
    ticket = TicketFactory()

    response = post_file(client_for(ticket.created_by), ticket, "full.txt", b"a" * 1024, "text/plain")

    assert response.status_code == 201
    assert response.json()["size"] == 1024


def test_an_empty_file_is_400(client_for, media_root):
    ticket = TicketFactory()

    response = post_file(client_for(ticket.created_by), ticket, "empty.txt", b"", "text/plain")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "empty", "detail": "The submitted file is empty.", "attr": "file"}]
    assert not Attachment.all_objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("report.pdf", EXE, "application/pdf"),  # an executable claiming to be a PDF
        ("photo.png", HTML, "image/png"),  # markup claiming to be an image
        ("notes.txt", HTML, "text/plain"),  # markup is never plain text
        ("notes.txt", b"hello\x00world", "text/plain"),  # NUL bytes: binary, not text
        ("notes.txt", b"caf\xe9 latin-1", "text/plain"),  # not UTF-8
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        ("letter.docx", docx_bytes(macros=True), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_content_not_on_the_allow_list_judged_on_the_bytes_is_415(client_for, media_root, name, content, claimed):
    ticket = TicketFactory()

    response = post_file(client_for(ticket.created_by), ticket, name, content, claimed)

    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"
    assert not Attachment.all_objects.exists()
    assert stored_files(media_root) == []


def test_the_allow_list_comes_from_settings(client_for, settings):
    settings.ATTACHMENT_ALLOWED_CONTENT_TYPES = ["application/pdf"]
    ticket = TicketFactory()
    client = client_for(ticket.created_by)

    assert post_file(client, ticket, "a.png", png_bytes(), "image/png").status_code == 415
    assert post_file(client, ticket, "a.pdf", PDF, "application/pdf").status_code == 201


def test_bytes_decide_the_type_not_the_claim(client_for):
    ticket = TicketFactory()

    # A real PDF sent as "photo.png"/image/png: stored as a PDF, and the name gets the matching extension.
    response = post_file(client_for(ticket.created_by), ticket, "photo.png", PDF, "image/png")

    assert response.status_code == 201
    assert response.json()["content_type"] == "application/pdf"
    assert response.json()["file_name"] == "photo.png.pdf"


def test_office_documents_are_told_apart_from_plain_zips(client_for):
    ticket = TicketFactory()
    client = client_for(ticket.created_by)
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hi")

    docx = post_file(client, ticket, "letter.docx", docx_bytes(), "application/octet-stream")
    archive_response = post_file(client, ticket, "bundle.zip", plain_zip.getvalue(), "application/zip")

    assert docx.json()["content_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert archive_response.json()["content_type"] == "application/zip"


def test_text_is_csv_only_when_named_or_claimed_so(client_for):
    ticket = TicketFactory()
    client = client_for(ticket.created_by)

    csv = post_file(client, ticket, "export.csv", b"\xef\xbb\xbfid,name\n1,Zo\xc3\xab\n", "application/vnd.ms-excel")
    page = post_file(client, ticket, "page.html", b"just words, no markup\n", "text/html")

    assert (csv.json()["content_type"], csv.json()["file_name"]) == ("text/csv", "export.csv")
    # Text under a markup name is stored as text and can no longer be opened as a web page after download.
    assert (page.json()["content_type"], page.json()["file_name"]) == ("text/plain", "page.html.txt")


# --- file names ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("..\\..\\windows\\system32\\boot.ini", "boot.ini.txt"),
        ("/var/www/.htaccess", "htaccess.txt"),
        ("C:\\Users\\me\\..\\..\\report .txt. ", "report.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe.txt"),  # a right-to-left override would display "evilexe.txt"
        ("re\u0301sume\u0301.txt", "r\u00e9sum\u00e9.txt"),  # NFD in, NFC stored
        ("報告書 2024.txt", "報告書 2024.txt"),
        ("CON.txt", "_CON.txt"),
    ],
)
def test_file_names_are_sanitised(client_for, media_root, sent, stored):
    ticket = TicketFactory()

    response = post_raw_name(client_for(ticket.created_by), ticket, sent, b"some text\n")

    assert response.status_code == 201, response.json()
    assert response.json()["file_name"] == stored
    [path] = stored_files(media_root)
    assert path.resolve().is_relative_to(media_root.resolve() / "attachments")


def test_long_names_are_capped_keeping_the_extension(client_for):
    ticket = TicketFactory()

    response = post_file(client_for(ticket.created_by), ticket, "x" * 300 + ".pdf", PDF, "application/pdf")

    name = response.json()["file_name"]
    assert len(name) == 200
    assert name.endswith("x.pdf")


# --- comments --------------------------------------------------------------------------------------------------------


def test_the_author_of_a_comment_attaches_files_to_it(client_for):
    comment = CommentFactory()

    response = post_file(client_for(comment.created_by), comment.ticket, "log.txt", b"trace\n", "text/plain", note=comment.pk)

    assert response.status_code == 201
    assert response.json()["note"] == comment.pk
    assert response.json()["ticket"] == comment.ticket_id


def test_a_note_of_another_ticket_or_a_system_event_is_not_found(client_for):
    ticket = TicketFactory()
    foreign_comment = CommentFactory(created_by=ticket.created_by)
    system_event = TicketNote.objects.filter(pk=CommentFactory(ticket=ticket).pk)
    system_event.update(system=True, event_type=EventType.CREATED)
    client = client_for(ticket.created_by)

    for note_id in (foreign_comment.pk, system_event.get().pk, 2**62):
        response = post_file(client, ticket, "x.txt", b"text\n", "text/plain", note=note_id)
        assert response.status_code == 400
        assert response.json()["errors"][0] == {
            "code": "does_not_exist",
            "detail": "No such comment on this ticket.",
            "attr": "note",
        }
    assert not Attachment.all_objects.exists()


def test_only_the_comment_author_attaches_to_a_comment(client_for):
    comment = CommentFactory()

    response = post_file(client_for(UserFactory()), comment.ticket, "x.txt", b"text\n", "text/plain", note=comment.pk)

    assert response.status_code == 403
    assert not Attachment.all_objects.exists()


def test_attachments_of_a_deleted_comment_disappear(client_for):
    comment = CommentFactory()
    attachment = AttachmentFactory(ticket=comment.ticket, note=comment)
    comment.soft_delete(actor=comment.created_by)
    client = client_for(comment.created_by)

    assert client.get(f"/api/v1/attachments/{attachment.pk}/").status_code == 404
    assert client.get(ticket_url(comment.ticket)).json()["count"] == 0


# --- failure after the file was stored -------------------------------------------------------------------------------


def test_a_failure_after_storing_removes_the_file_and_the_row(client_for, media_root):
    ticket = TicketFactory()

    def explode(**kwargs):
        raise RuntimeError("receiver failed")

    signals.attachment_added.connect(explode, dispatch_uid="test-explode")
    try:
        with pytest.raises(RuntimeError):
            post_file(client_for(ticket.created_by), ticket, "a.txt", b"text\n", "text/plain")
    finally:
        signals.attachment_added.disconnect(dispatch_uid="test-explode")

    assert not Attachment.all_objects.exists()
    assert stored_files(media_root) == []
    assert not TicketNote.objects.filter(ticket=ticket, system=True).exists()


# --- reading and downloading -----------------------------------------------------------------------------------------


def test_download_streams_the_bytes_with_safe_headers(client_for):
    attachment = AttachmentFactory(file_name="résumé final.txt")

    response = download(client_for(attachment.created_by), attachment.pk)

    assert response.status_code == 200
    assert body_of(response) == b"hello attachment\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"resume final.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.txt"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Length"] == "17"


def test_download_names_that_need_quoting_cannot_break_the_header(client_for):
    attachment = AttachmentFactory(file_name='a";b=c\\.txt')

    response = download(client_for(attachment.created_by), attachment.pk)

    assert response["Content-Disposition"] == ("attachment; filename=\"a__b_c.txt\"; filename*=UTF-8''a%22%3Bb%3Dc%5C.txt")


def test_download_ignores_the_accept_header(client_for):
    attachment = AttachmentFactory()

    response = client_for(attachment.created_by).get(
        f"/api/v1/attachments/{attachment.pk}/download/", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 200


def test_media_urls_are_not_served(client_for):
    attachment = AttachmentFactory()

    response = client_for(attachment.created_by).get(f"/media/{attachment.file.name}")

    assert response.status_code == 404


def _role_user(kind: str, ticket):
    """A user standing in `kind` relation to the restricted `ticket`."""
    if kind == "creator":
        return ticket.created_by
    if kind == "assignee":
        return ticket.assignee
    if kind == "user grant":
        return GrantFactory(ticket=ticket, user=UserFactory()).user
    if kind == "role grant":
        role = RoleFactory()
        GrantFactory(ticket=ticket, user=None, role=role)
        return UserFactory(roles=[role])
    if kind == "approver":
        return ApprovalSlotFactory(step__process__ticket=ticket).user
    if kind == "auditor":
        return UserFactory(perms=["tickets.view_all_tickets"])
    if kind == "admin":
        return AdminFactory()
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["creator", "assignee", "user grant", "role grant", "approver", "auditor", "admin"])
def test_everyone_who_sees_a_restricted_ticket_reads_and_downloads_its_attachments(client_for, kind):
    ticket = RestrictedTicketFactory(assignee=UserFactory())
    attachment = AttachmentFactory(ticket=ticket)
    client = client_for(_role_user(kind, ticket))

    assert download(client, attachment.pk).status_code == 200
    assert client.get(f"/api/v1/attachments/{attachment.pk}/").json()["id"] == attachment.pk
    assert client.get(ticket_url(ticket)).json()["count"] == 1


def test_an_unrelated_user_reads_internal_attachments_but_not_restricted_ones(client_for):
    internal = AttachmentFactory()
    restricted = AttachmentFactory(ticket=RestrictedTicketFactory())
    revoked = GrantFactory(ticket=RestrictedTicketFactory(), user=UserFactory())
    revoked_attachment = AttachmentFactory(ticket=revoked.ticket)
    revoked.soft_delete(actor=None)
    client = client_for(UserFactory())

    assert download(client, internal.pk).status_code == 200
    for attachment in (restricted, revoked_attachment):
        for response in (
            download(client, attachment.pk),
            client.get(f"/api/v1/attachments/{attachment.pk}/"),
            client.get(ticket_url(attachment.ticket)),
            client.delete(f"/api/v1/attachments/{attachment.pk}/"),
        ):
            assert response.status_code == 404
            assert error_code(response) == "not_found"


def test_anonymous_and_inactive_users_get_nothing(api_client, client_for):
    attachment = AttachmentFactory()

    assert download(api_client, attachment.pk).status_code == 401
    assert download(client_for(UserFactory(is_active=False)), attachment.pk).status_code == 404


def test_malformed_and_huge_ids_are_not_found(client_for):
    client = client_for(UserFactory())

    for attachment_id in ("abc", "0", str(2**70)):
        assert download(client, attachment_id).status_code == 404
    assert client.get(f"/api/v1/tickets/{2**70}/attachments/").status_code == 404


def test_a_missing_file_in_storage_is_not_found_not_a_crash(client_for):
    attachment = AttachmentFactory()
    attachment.file.storage.delete(attachment.file.name)

    response = download(client_for(attachment.created_by), attachment.pk)

    assert response.status_code == 404


def test_the_list_pages_oldest_first_with_comment_attachments(client_for):
    ticket = TicketFactory()
    first = AttachmentFactory(ticket=ticket)
    second = AttachmentFactory(ticket=ticket, note=CommentFactory(ticket=ticket))
    AttachmentFactory()  # another ticket's
    AttachmentFactory(ticket=ticket, is_deleted=True)

    body = client_for(ticket.created_by).get(ticket_url(ticket), {"page_size": 1}).json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [first.pk]
    assert body["next"] is not None
    assert second.pk not in [row["id"] for row in body["results"]]


@pytest.mark.parametrize("rows", [3, 6])
def test_the_list_runs_a_constant_number_of_queries(client_for, django_assert_num_queries, rows):
    ticket = RestrictedTicketFactory()
    for _ in range(rows):
        AttachmentFactory(ticket=ticket, note=CommentFactory(ticket=ticket))
    client = client_for(GrantFactory(ticket=ticket, user=UserFactory()).user)
    client.get(ticket_url(ticket))  # warms the user's permission cache

    # The visible ticket, the count, the page.
    with django_assert_num_queries(3):
        response = client.get(ticket_url(ticket))

    assert response.json()["count"] == rows


# --- delete ----------------------------------------------------------------------------------------------------------


def test_the_uploader_deletes_softly_and_the_file_is_gone_from_the_api(client_for, media_root):
    attachment = AttachmentFactory()
    client = client_for(attachment.created_by)

    response = client.delete(f"/api/v1/attachments/{attachment.pk}/")

    assert response.status_code == 204
    attachment.refresh_from_db()
    assert (attachment.is_deleted, attachment.deleted_by) == (True, attachment.created_by)
    assert download(client, attachment.pk).status_code == 404
    assert client.get(f"/api/v1/attachments/{attachment.pk}/").status_code == 404
    assert client.get(ticket_url(attachment.ticket)).json()["count"] == 0
    assert len(stored_files(media_root)) == 1  # soft delete: the bytes stay for a restore
    event = TicketNote.objects.get(ticket=attachment.ticket, event_type=EventType.ATTACHMENT_REMOVE)
    assert event.event_details["attachment"] == attachment.pk


def test_another_user_may_not_delete(client_for):
    attachment = AttachmentFactory()

    response = client_for(UserFactory()).delete(f"/api/v1/attachments/{attachment.pk}/")

    assert response.status_code == 403
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_staff_with_the_delete_permission_may_delete_even_on_a_closed_ticket(client_for):
    attachment = AttachmentFactory(ticket=TicketFactory(status=TicketStatus.CLOSED))
    moderator = UserFactory(is_staff=True, perms=["tickets.delete_attachment", "tickets.view_all_tickets"])

    refused = client_for(attachment.created_by).delete(f"/api/v1/attachments/{attachment.pk}/")
    allowed = client_for(moderator).delete(f"/api/v1/attachments/{attachment.pk}/")

    assert (refused.status_code, error_code(refused)) == (409, "ticket_final")
    assert allowed.status_code == 204


def test_the_permission_without_staff_status_is_not_enough(client_for):
    attachment = AttachmentFactory()

    response = client_for(UserFactory(perms=["tickets.delete_attachment"])).delete(f"/api/v1/attachments/{attachment.pk}/")

    assert response.status_code == 403


# --- templates -------------------------------------------------------------------------------------------------------


def template_url(template) -> str:
    return f"/api/v1/ticket-templates/{template.pk}/attachments/"


def test_template_editors_attach_and_everyone_reads(client_for):
    template = TicketTemplateFactory()
    editor = UserFactory(perms=["tickets.change_tickettemplate"])
    reader = UserFactory()

    created = client_for(editor).post(template_url(template), {"file": upload("form.pdf", PDF)}, format="multipart")
    refused = client_for(reader).post(template_url(template), {"file": upload("x.pdf", PDF)}, format="multipart")

    assert created.status_code == 201
    assert created.json()["template"] == template.pk
    assert created.json()["ticket"] is None
    assert refused.status_code == 403
    listed = client_for(reader).get(template_url(template)).json()
    assert [row["id"] for row in listed["results"]] == [created.json()["id"]]
    assert download(client_for(reader), created.json()["id"]).status_code == 200
    assert not TicketNote.objects.exists()  # templates have no timeline


def test_a_deleted_template_has_no_attachments(client_for):
    template = TicketTemplateFactory()
    attachment = AttachmentFactory(ticket=None, template=template, created_by=UserFactory())
    template.soft_delete(actor=None)
    client = client_for(UserFactory())

    assert client.get(template_url(template)).status_code == 404
    assert download(client, attachment.pk).status_code == 404
