"""Attachments (SPEC §9): inspect an upload (size, type from the bytes, name, SHA-256), store it, delete and restore.

Nothing is stored before every check passed; a file stored for a database change that then failed is removed again.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import mimetypes
import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import puremagic
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Sum

from tickets import signals
from tickets.models import Attachment, Ticket, TicketNote, TicketTemplate
from tickets.services.tickets import ticket_create
from tickets.statemachine import is_final
from ticketsite.errors import (
    DomainConflict,
    DomainNotFound,
    DomainPermissionDenied,
    DomainValidationError,
    PayloadTooLarge,
    UnsupportedMediaType,
)

logger = logging.getLogger(__name__)

CHANGE_TEMPLATE_PERMISSION = "tickets.change_tickettemplate"
DELETE_ATTACHMENT_PERMISSION = "tickets.delete_attachment"

MAX_FILE_NAME_LENGTH = 200  # well under the column's 255, leaving room for an appended extension
MAX_EXTENSION_LENGTH = 16
DEFAULT_FILE_NAME = "attachment"
OCTET_STREAM = "application/octet-stream"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOCM = "application/vnd.ms-word.document.macroenabled.12"
XLSM = "application/vnd.ms-excel.sheet.macroenabled.12"
PPTM = "application/vnd.ms-powerpoint.presentation.macroenabled.12"
TEXT_TYPES = ("text/plain", "text/csv")

# Extensions a downloaded file may keep for its detected type; any other extension gets the first one appended.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/gif": (".gif",),
    "text/plain": (".txt", ".text", ".log", ".md"),
    "text/csv": (".csv",),
    "application/zip": (".zip",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    PPTX: (".pptx",),
}

_WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)})
_UNSAFE_CHARS = re.compile(r'[<>:"|?*]')
_EXTENSION = re.compile(rf"^\.[A-Za-z0-9]{{1,{MAX_EXTENSION_LENGTH}}}$")
# What browsers skip before sniffing markup (WHATWG MIME sniffing: HTAB, LF, FF, CR, SP).
_SNIFF_WHITESPACE = b"\t\n\x0c\r "
_UTF8_BOM = codecs.BOM_UTF8


# --- file names ------------------------------------------------------------------------------------------------------


def split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if dot and stem and _EXTENSION.match(f".{ext}"):
        return stem, f".{ext}"
    return name, ""


def sanitize_file_name(raw: str) -> str:
    """A display/download name that is safe everywhere: no path, no control or bidi characters, NFC, capped length."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Category C: control, format (bidi overrides that fake an extension, zero-width), surrogate, private, unassigned.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _UNSAFE_CHARS.sub("_", name)
    name = " ".join(name.split())
    name = name.strip(" .")  # leading dots hide files; trailing dots and spaces vanish on Windows
    stem, ext = split_extension(name)
    if stem.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    stem = stem[: MAX_FILE_NAME_LENGTH - len(ext)].rstrip(" .")
    if not stem:
        stem = DEFAULT_FILE_NAME
    return unicodedata.normalize("NFC", f"{stem}{ext}")


def file_name_for_type(name: str, content_type: str) -> str:
    """Append the detected type's extension when the name claims another one (`page.html` holding text -> `page.html.txt`),
    so the downloaded file is opened by the program matching its bytes."""
    accepted = EXTENSIONS.get(content_type) or tuple(mimetypes.guess_all_extensions(content_type))
    if not accepted:
        return name
    _, ext = split_extension(name)
    if ext.lower() in accepted:
        return name
    return f"{name}{accepted[0]}"


# --- content inspection ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectedUpload:
    file_name: str
    size: int
    content_type: str
    sha256: str


@dataclass
class _Scan:
    """One pass over the bytes: size, SHA-256, and whether they are safe plain text."""

    size: int = 0
    sha256: str = ""
    is_text: bool = False


def _scan(stream: File) -> _Scan:
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    size = 0
    text = True
    first_byte: bytes | None = None
    for chunk in stream.chunks():
        # A UTF-8 byte order mark is not content: it neither breaks text nor hides a leading "<".
        chunk_for_text = chunk[len(_UTF8_BOM) :] if size == 0 and chunk.startswith(_UTF8_BOM) else chunk
        size += len(chunk)
        digest.update(chunk)
        if not text:
            continue
        if b"\x00" in chunk_for_text:
            text = False
            continue
        try:
            decoder.decode(chunk_for_text)
        except UnicodeDecodeError:
            text = False
            continue
        if first_byte is None:
            stripped = chunk_for_text.lstrip(_SNIFF_WHITESPACE)
            if stripped:
                first_byte = stripped[:1]
    if text:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            text = False
    # Text starting with "<" is what browsers sniff as HTML/XML/SVG: never accepted as plain text.
    text = text and first_byte is not None and first_byte != b"<"
    return _Scan(size=size, sha256=digest.hexdigest(), is_text=text)


# ZIP structures (PKWARE APPNOTE 4.3): the end-of-central-directory record, the ZIP64 locator and record, and the
# fixed part of a central directory header.
_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL_HEADER_SIZE = 46
_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_EOCD64_SIGNATURE = b"PK\x06\x06"
_CENTRAL_HEADER_SIGNATURE = b"PK\x01\x02"
_UTF8_NAME_FLAG = 0x800
_MAX_ZIP_COMMENT = 0xFFFF


@dataclass(frozen=True)
class _CentralDirectory:
    entries: int  # as the archive declares it; the walk does not trust it
    start: int
    size: int


def _central_directory(stream: IO[bytes]) -> _CentralDirectory | None:
    """Where the central directory is and how many entries it declares (ZIP64 included); None: not a readable ZIP."""
    stream.seek(0, io.SEEK_END)
    file_size = stream.tell()
    tail_start = max(0, file_size - _EOCD.size - _MAX_ZIP_COMMENT)
    stream.seek(tail_start)
    tail = stream.read()
    found = tail.rfind(_EOCD_SIGNATURE)
    if found < 0 or len(tail) - found < _EOCD.size:
        return None
    _, disk, cd_disk, _, entries, size, _, _ = _EOCD.unpack_from(tail, found)
    location = tail_start + found
    locator_at = found - _EOCD64_LOCATOR.size
    record_at = locator_at - _EOCD64.size
    if record_at >= 0 and tail[locator_at : locator_at + 4] == _EOCD64_LOCATOR_SIGNATURE:
        if tail[record_at : record_at + 4] != _EOCD64_SIGNATURE:
            return None
        _, _, _, _, disk, cd_disk, _, entries, size, _ = _EOCD64.unpack_from(tail, record_at)
        location = tail_start + record_at
    if disk != 0 or cd_disk != 0 or size > location:
        return None  # spanned over several disks, or a directory larger than what precedes its end
    # The directory ends where the end records start: prepended data (a self-extracting stub) shifts the offsets.
    return _CentralDirectory(entries=entries, start=location - size, size=size)


def _too_many_zip_entries(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The archive has more than {limit} entries.", code="too_many_zip_entries")


def zip_member_names(stream: IO[bytes]) -> set[str] | None:
    """The member names of a ZIP, reading at most ATTACHMENT_ZIP_MAX_ENTRIES directory entries (413 beyond);
    None: not a readable ZIP.

    `zipfile.ZipFile` parses the whole central directory when it opens, whatever its size (200,000 entries cost
    seconds), and the declared entry count can lie; so the directory is walked here and the walk stops at the cap.
    """
    limit: int = settings.ATTACHMENT_ZIP_MAX_ENTRIES
    directory = _central_directory(stream)
    if directory is None:
        return None
    if directory.entries > limit:
        raise _too_many_zip_entries(limit)
    stream.seek(directory.start)
    data = stream.read(directory.size)
    if len(data) != directory.size:
        return None
    names: set[str] = set()
    read = position = 0
    while position < len(data):
        if read == limit:
            raise _too_many_zip_entries(limit)
        header_end = position + _CENTRAL_HEADER_SIZE
        if header_end > len(data) or data[position : position + 4] != _CENTRAL_HEADER_SIGNATURE:
            return None
        (flags,) = struct.unpack_from("<H", data, position + 8)
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, position + 28)
        raw_name = data[header_end : header_end + name_length]
        names.add(raw_name.decode("utf-8" if flags & _UTF8_NAME_FLAG else "cp437", errors="replace"))
        position = header_end + name_length + extra_length + comment_length
        read += 1
    return names


def _zip_content_type(stream: IO[bytes]) -> str:
    """ZIP containers: Office Open XML documents are told apart by their parts (puremagic cannot: it guesses docx)."""
    names = zip_member_names(stream)
    if names is None:
        return OCTET_STREAM
    if "[Content_Types].xml" in names:
        for folder, plain, macro in (("word/", DOCX, DOCM), ("xl/", XLSX, XLSM), ("ppt/", PPTX, PPTM)):
            if any(name.startswith(folder) for name in names):
                return macro if f"{folder}vbaProject.bin" in names else plain
    return "application/zip"


def _magic_content_type(stream: IO[bytes]) -> str | None:
    """The best match of the byte signatures, preferring an allowed type among equally confident ones; None: no match."""
    matches = [m for m in puremagic.magic_stream(stream) if m.mime_type]
    if not matches:
        return None
    best = max(m.confidence for m in matches)
    candidates = [m.mime_type.lower() for m in matches if m.confidence == best]
    allowed = {t.lower() for t in settings.ATTACHMENT_ALLOWED_CONTENT_TYPES}
    return next((c for c in candidates if c in allowed), candidates[0])


def detect_content_type(stream: File, *, is_text: bool, file_name: str, claimed_type: str | None) -> str:
    """The content type judged on the bytes; the client's claim only picks between text/csv and text/plain."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head in (b"PK\x03\x04", b"PK\x05\x06"):
        return _zip_content_type(stream)
    detected = _magic_content_type(stream)
    stream.seek(0)
    if detected is not None:
        return detected
    if not is_text:
        return OCTET_STREAM
    claims_csv = (claimed_type or "").split(";")[0].strip().lower() == "text/csv"
    return "text/csv" if claims_csv or file_name.lower().endswith(".csv") else "text/plain"


def inspect_upload(upload: File, *, claimed_type: str | None = None) -> InspectedUpload:
    """Every check of an upload, before anything is stored: 400 empty, 413 too large, 415 type not allowed."""
    max_size: int = settings.ATTACHMENT_MAX_SIZE
    if upload.size is not None and upload.size > max_size:
        raise PayloadTooLarge(f"The file is larger than the limit of {max_size} bytes.")
    scan = _scan(upload)
    if scan.size == 0:
        raise DomainValidationError("The submitted file is empty.", field="file", code="empty")
    if scan.size > max_size:
        raise PayloadTooLarge(f"The file is larger than the limit of {max_size} bytes.")
    name = sanitize_file_name(upload.name or "")
    content_type = detect_content_type(upload, is_text=scan.is_text, file_name=name, claimed_type=claimed_type)
    allowed = {t.lower() for t in settings.ATTACHMENT_ALLOWED_CONTENT_TYPES}
    if content_type not in allowed:
        raise UnsupportedMediaType(f"Files of type {content_type} are not allowed.")
    return InspectedUpload(
        file_name=file_name_for_type(name, content_type), size=scan.size, content_type=content_type, sha256=scan.sha256
    )


# --- policy ----------------------------------------------------------------------------------------------------------


def _is_active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def can_upload_to_template(user: Any) -> bool:
    return _is_active(user) and bool(user.has_perm(CHANGE_TEMPLATE_PERMISSION))


def is_attachment_moderator(user: Any) -> bool:
    """Staff holding tickets.delete_attachment delete any attachment, also on final tickets (e.g. a leaked secret)."""
    return _is_active(user) and bool(user.is_staff) and bool(user.has_perm(DELETE_ATTACHMENT_PERMISSION))


def can_delete_attachment(user: Any, attachment: Attachment) -> bool:
    if not _is_active(user):
        return False
    return attachment.created_by_id == user.pk or is_attachment_moderator(user)


def check_quotas(*, actor: Any, ticket: Ticket | None, size: int) -> None:
    """409 when one more file of `size` bytes would pass the ticket's file count or byte quota, or the uploader's byte
    quota; only live (not deleted) attachments count.

    The caller holds the ticket's row lock; the uploader's row is locked here, so two uploads at once cannot both pass
    on the same totals. FOR NO KEY UPDATE: it does not block the writes that merely reference the user.
    """
    get_user_model().objects.select_for_update(no_key=True).only("pk").get(pk=actor.pk)
    if ticket is not None:
        on_ticket = Attachment.objects.filter(ticket=ticket).aggregate(count=Count("id"), size=Sum("size", default=0))
        max_count: int = settings.ATTACHMENT_TICKET_MAX_COUNT
        if on_ticket["count"] >= max_count:
            raise DomainConflict(
                f"The ticket already has {max_count} attachments, the most it takes.", code="too_many_attachments"
            )
        ticket_quota: int = settings.ATTACHMENT_TICKET_QUOTA_BYTES
        if on_ticket["size"] + size > ticket_quota:
            raise DomainConflict(
                f"This file would take the ticket's attachments past their quota of {ticket_quota} bytes.",
                code="ticket_quota_exceeded",
            )
    user_quota: int = settings.ATTACHMENT_USER_QUOTA_BYTES
    uploaded = Attachment.objects.filter(created_by=actor).aggregate(size=Sum("size", default=0))["size"]
    if uploaded + size > user_quota:
        raise DomainConflict(
            f"This file would take your attachments past your quota of {user_quota} bytes; delete some first.",
            code="user_quota_exceeded",
        )


# --- writes ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def attachment_create(
    *,
    actor: Any,
    upload: File,
    ticket: Ticket | None = None,
    note: TicketNote | None = None,
    template: TicketTemplate | None = None,
    claimed_type: str | None = None,
) -> Attachment:
    """Attach `upload` to a ticket (optionally to one of its comments) or to a template.

    The caller has resolved `ticket` through the actor's visible set. Anyone who sees a ticket may attach to it while
    it is not final; a comment takes files from its author only; templates take files from holders of
    tickets.change_tickettemplate.
    """
    if (ticket is None) == (template is None) or (note is not None and ticket is None):
        raise ValueError("attach to exactly one of a ticket (optionally a comment of it) or a template")
    if not _is_active(actor):
        raise DomainPermissionDenied()
    if ticket is not None:
        # Lock the ticket so a concurrent close cannot slip between the status check and the insert.
        ticket = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
        if ticket is None:
            raise DomainNotFound()
        if is_final(ticket.status):
            raise DomainConflict(f"The ticket is {ticket.status}: it takes no more attachments.", code="ticket_final")
        if note is not None:
            if note.ticket_id != ticket.pk or note.system or note.is_deleted:
                raise DomainValidationError("No such comment on this ticket.", field="note", code="does_not_exist")
            if note.created_by_id != actor.pk:
                raise DomainPermissionDenied("Only the author of a comment may attach files to it.")
    elif not can_upload_to_template(actor):
        raise DomainPermissionDenied("Attaching files to templates needs the tickets.change_tickettemplate permission.")

    inspected = inspect_upload(upload, claimed_type=claimed_type)
    check_quotas(actor=actor, ticket=ticket, size=inspected.size)
    attachment = Attachment(
        ticket=ticket,
        note=note,
        template=template,
        file_name=inspected.file_name,
        size=inspected.size,
        content_type=inspected.content_type,
        sha256=inspected.sha256,
    )
    attachment.stamp(actor, created=True)
    _store_and_announce(attachment, upload, actor=actor)
    return attachment


def _store_and_announce(attachment: Attachment, upload: File, *, actor: Any) -> None:
    """Store the file, insert the row and send attachment_added; any failure after the write removes the file.

    A failure inside this function (the insert, a receiver) is covered here; if an *outer* transaction of the caller
    rolls back later, the file stays behind without a row (see docs/attachments.md, "orphan files").
    """
    upload.seek(0)
    attachment.file.save(attachment.file_name, upload, save=False)
    stored_name = str(attachment.file.name)
    storage = attachment.file.storage
    try:
        with transaction.atomic():
            attachment.save(force_insert=True)
            signals.attachment_added.send(sender=Attachment, ticket=attachment.ticket, attachment=attachment, actor=actor)
    except BaseException:
        storage.delete(stored_name)
        raise


@transaction.atomic
def ticket_create_with_attachments(*, actor: Any, uploads: Sequence[UploadedFile], **fields: Any) -> Ticket:
    """ticket_create with `fields`, then each upload attached to the new draft, all or nothing: a refused file (empty,
    too large, a type not allowed, past a quota) leaves no ticket, no attachment, no timeline event and no stored file.
    (The workspace's "New request" form sends its files with the request.)"""
    ticket = ticket_create(actor=actor, **fields)
    attached: list[Attachment] = []
    try:
        for upload in uploads:
            attached.append(attachment_create(actor=actor, upload=upload, ticket=ticket, claimed_type=upload.content_type))
    except BaseException:
        # The rollback takes the rows back; the bytes stored for the files accepted before the refused one go too.
        for attachment in attached:
            attachment.file.storage.delete(str(attachment.file.name))
        raise
    return ticket


@transaction.atomic
def attachment_delete(*, actor: Any, attachment: Attachment) -> Attachment:
    """Soft delete by the uploader (while the ticket is not final) or by an attachment moderator (any time)."""
    attachment = Attachment.all_objects.select_for_update().get(pk=attachment.pk)
    if attachment.is_deleted:
        raise DomainNotFound()
    if not can_delete_attachment(actor, attachment):
        raise DomainPermissionDenied("Only the uploader or an administrator may delete this attachment.")
    ticket = attachment.ticket
    if ticket is not None and is_final(ticket.status) and not is_attachment_moderator(actor):
        raise DomainConflict(f"The ticket is {ticket.status}: its attachments can no longer change.", code="ticket_final")
    attachment.soft_delete(actor=actor)
    signals.attachment_removed.send(sender=Attachment, ticket=ticket, attachment=attachment, actor=actor)
    return attachment


@transaction.atomic
def attachment_restore(*, actor: Any, attachment: Attachment) -> Attachment:
    """Undo a soft delete (the admin's restore); the timeline shows the attachment added again."""
    attachment = Attachment.all_objects.select_for_update().get(pk=attachment.pk)
    if not attachment.is_deleted:
        return attachment
    attachment.restore(actor=actor)
    signals.attachment_added.send(sender=Attachment, ticket=attachment.ticket, attachment=attachment, actor=actor)
    return attachment


@transaction.atomic
def attachment_purge(*, attachment: Attachment, deleted_before: datetime) -> bool:
    """Remove the row and the stored bytes of an attachment deleted before the cutoff: the retention policy, the one
    documented exception to soft delete. False when it was restored (or purged) in the meantime.

    The bytes go inside the transaction, after the row: should the commit fail, the row is left without its file, and
    the next run removes it; should the file removal fail, the row stays for the next run. A file already missing
    from storage is no error (storage backends ignore it).
    """
    locked = (
        Attachment.all_objects.select_for_update()
        .filter(pk=attachment.pk, is_deleted=True, deleted_at__lt=deleted_before)
        .first()
    )
    if locked is None:
        return False
    stored_name = str(locked.file.name)
    storage = locked.file.storage
    locked.delete()
    storage.delete(stored_name)
    return True


def open_attachment_file(attachment: Attachment) -> File:
    """The stored bytes for streaming; a file missing from storage is logged and answered as not found."""
    try:
        return attachment.file.storage.open(str(attachment.file.name), "rb")
    except FileNotFoundError:
        logger.error("attachment %s: file %s is missing from storage", attachment.pk, attachment.file.name)
        raise DomainNotFound("The file of this attachment is missing.") from None
