"""The upload checks as plain functions: name sanitising, text rule, type detection; and the service's own limits
(the admin and commands call it without the API's upload handler)."""

import pytest
from django.core.files.base import ContentFile

from tests.factories import UserFactory
from tickets.models import Attachment
from tickets.services.attachments import (
    attachment_create,
    file_name_for_type,
    inspect_upload,
    sanitize_file_name,
)
from tickets.tests.factories import TicketFactory, TicketTemplateFactory
from tickets.tests.test_attachments_api import EXE, PDF, png_bytes
from ticketsite.errors import DomainPermissionDenied, DomainValidationError, PayloadTooLarge, UnsupportedMediaType


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..", "attachment"),
        ("", "attachment"),
        ("....", "attachment"),
        ("dir\\sub\\file.pdf", "file.pdf"),
        (".bashrc", "bashrc"),
        ("a\x00b\x07c\r\n.txt", "abc.txt"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("e\u0301.txt", "\u00e9.txt"),
        ('what?<>:"|*.txt', "what_______.txt"),
        ("  spaced \t out  .txt  ", "spaced out.txt"),
        ("lpt1.tar.gz", "_lpt1.tar.gz"),
        ("name.with-a-very-long-extension-part", "name.with-a-very-long-extension-part"),
    ],
)
def test_sanitize_file_name(raw, clean):
    assert sanitize_file_name(raw) == clean


def test_sanitize_caps_the_length_and_keeps_the_extension():
    name = sanitize_file_name("é" * 500 + ".xlsx")

    assert len(name) == 200
    assert name.endswith("é.xlsx")


@pytest.mark.parametrize(
    ("name", "content_type", "result"),
    [
        ("photo.JPG", "image/jpeg", "photo.JPG"),
        ("photo", "image/jpeg", "photo.jpg"),
        ("page.html", "text/plain", "page.html.txt"),
        ("data.csv", "text/csv", "data.csv"),
        ("weird", "application/x-unknown-to-everyone", "weird"),
    ],
)
def test_file_name_for_type(name, content_type, result):
    assert file_name_for_type(name, content_type) == result


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"plain words\n", "text/plain"),
        (b"\xef\xbb\xbfwith a BOM\n", "text/plain"),
        ("unicode ✓ 漢字\n".encode(), "text/plain"),
        (PDF, "application/pdf"),
        (png_bytes(), "image/png"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64 + b"\xff\xd9", "image/jpeg"),
    ],
)
def test_inspect_detects_the_type_from_the_bytes(content, content_type):
    inspected = inspect_upload(ContentFile(content, name="upload"), claimed_type="application/octet-stream")

    assert inspected.content_type == content_type
    assert inspected.size == len(content)


@pytest.mark.parametrize(
    "content",
    [
        EXE,
        b"\xef\xbb\xbf  <html>",  # a BOM does not hide markup
        b"\n\n<?xml version='1.0'?><x/>",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,  # legacy OLE (.doc with macros)
        b"%!PS-Adobe-3.0\n",
        b"PK\x03\x04 not really a zip",
        "split multibyte at the end \u00e9".encode()[:-1],
    ],
)
def test_inspect_refuses_what_is_not_allowed(content):
    with pytest.raises(UnsupportedMediaType):
        inspect_upload(ContentFile(content, name="x.txt"), claimed_type="text/plain")


@pytest.mark.django_db
def test_the_service_enforces_the_limits_without_the_api(settings, media_root):
    settings.ATTACHMENT_MAX_SIZE = 10
    ticket = TicketFactory()

    with pytest.raises(PayloadTooLarge):
        attachment_create(actor=ticket.created_by, upload=ContentFile(b"x" * 11, name="a.txt"), ticket=ticket)
    with pytest.raises(DomainValidationError):
        attachment_create(actor=ticket.created_by, upload=ContentFile(b"", name="a.txt"), ticket=ticket)
    with pytest.raises(DomainPermissionDenied):
        attachment_create(actor=UserFactory(), upload=ContentFile(PDF, name="a.pdf"), template=TicketTemplateFactory())

    assert not Attachment.all_objects.exists()
    assert [p for p in media_root.rglob("*") if p.is_file()] == []


@pytest.mark.django_db
def test_the_service_stores_a_template_attachment_for_an_editor():
    editor = UserFactory(perms=["tickets.change_tickettemplate"])
    template = TicketTemplateFactory()

    attachment = attachment_create(actor=editor, upload=ContentFile(PDF, name="../form.pdf"), template=template)

    assert (attachment.template, attachment.ticket, attachment.file_name) == (template, None, "form.pdf")
    assert attachment.file.read() == PDF
