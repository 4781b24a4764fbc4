"""Polling an IMAP mailbox into the mail gateway (`manage.py fetch_mail`, docs/email.md).

Each run logs in, selects the folder, takes at most `limit` messages not yet marked processed (oldest first), and for
each one fetches its raw bytes without marking it read, hands them to `ingest_message`, then marks it processed:

- Where the folder allows keywords (PERMANENTFLAGS with `\\*`: dovecot, Gmail, most servers), the mark is `\\Seen` plus
  the keyword `$TicketsiteProcessed`, and a run looks only at messages without the keyword. Someone reading the mailbox
  in a mail client (which sets `\\Seen`) then hides nothing from the help desk.
- Elsewhere the mark is `\\Seen` alone and a run looks at unseen messages: the mailbox must be the help desk's alone.
- A message is marked after `ingest_message` committed what it did. A run cut off in between fetches it again next time,
  and `ingest_message` knows it by its message key and changes nothing: a message is never acted on twice, whether the
  mark or two overlapping runs (cron and a loop) bring it back.
- A message whose processing raised changed nothing (its own transaction) and stays unmarked: it is logged with its
  traceback, counted as an error, and tried again by the next run; the messages after it are processed.
- Messages marked \\Deleted are left alone. Nothing is deleted, moved or expunged: the mailbox is the archive.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from imap_tools import BaseMailBox, ImapToolsError, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage

from mailgate.models import InboundOutcome, InboundSource
from mailgate.services import ingest_message

logger = logging.getLogger(__name__)

PROCESSED_KEYWORD = "$TicketsiteProcessed"
# Seconds to wait for the server to connect and for each answer: a run from cron must end, not hang.
TIMEOUT_SECONDS = 60


class ImapSecurity(StrEnum):
    SSL = "ssl"  # imaps://, imap+ssl:// (port 993)
    STARTTLS = "starttls"  # imap+starttls:// (port 143)
    PLAIN = "plain"  # imap:// (port 143): no encryption, for a server on the same host or the tests


_SECURITY_BY_SCHEME = {
    "imaps": ImapSecurity.SSL,
    "imap+ssl": ImapSecurity.SSL,
    "imap+starttls": ImapSecurity.STARTTLS,
    "imap": ImapSecurity.PLAIN,
}
_DEFAULT_PORTS = {ImapSecurity.SSL: 993, ImapSecurity.STARTTLS: 143, ImapSecurity.PLAIN: 143}


@dataclass(frozen=True)
class ImapMailboxAddress:
    """Where fetch_mail polls: MAIL_IMAP_URL parsed."""

    security: ImapSecurity
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str

    def __str__(self) -> str:
        # For messages and logs: never the password.
        return f"{self.folder} of {self.user} at {self.host}:{self.port} ({self.security})"


def parse_imap_url(url: str) -> ImapMailboxAddress:
    """`scheme://user:password@host:port/FOLDER`; user, password and folder percent-encoded; the folder INBOX when the
    URL names none. Raises ImproperlyConfigured, naming what is wrong (never the password)."""
    parts = urlsplit(url.strip())
    security = _SECURITY_BY_SCHEME.get(parts.scheme.lower())
    if security is None:
        raise ImproperlyConfigured(
            f"MAIL_IMAP_URL: unknown scheme {parts.scheme!r}; use imaps:// (or imap+ssl://), imap+starttls:// or imap://."
        )
    if not parts.hostname:
        raise ImproperlyConfigured("MAIL_IMAP_URL names no host.")
    try:
        port = parts.port or _DEFAULT_PORTS[security]
    except ValueError as error:
        raise ImproperlyConfigured("MAIL_IMAP_URL: the port is not a number from 1 to 65535.") from error
    if not parts.username:
        raise ImproperlyConfigured("MAIL_IMAP_URL names no user.")
    return ImapMailboxAddress(
        security=security,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


class MailboxUnavailable(Exception):
    """The mailbox could not be reached, logged into, or worked with (the server or the network failed)."""


@dataclass
class FetchSummary:
    fetched: int = 0
    # Became a comment, a ticket or an approval decision.
    processed: int = 0
    ignored: int = 0
    refused: int = 0
    # Already ingested before (a run cut off before marking it, or an overlapping run): nothing done again.
    repeated: int = 0
    # Processing raised: left unmarked for the next run (logged).
    errors: int = 0

    def __str__(self) -> str:
        return (
            f"fetched {self.fetched}, processed {self.processed}, ignored {self.ignored}, refused {self.refused}, "
            f"repeated {self.repeated}, errors {self.errors}"
        )


class _RawMailMessage(MailMessage):
    """imap_tools' message, keeping the bytes as the server sent them: the gateway parses those, not a re-serialisation."""

    def __init__(self, fetch_data: list[object]) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


def current_oauth2_token() -> str:
    """The XOAUTH2 access token for this run: MAIL_IMAP_OAUTH2_TOKEN_FILE read now (a refresher outside the app keeps
    it current; tokens last about an hour), else MAIL_IMAP_OAUTH2_TOKEN; empty: log in with the URL's password."""
    if settings.MAIL_IMAP_OAUTH2_TOKEN_FILE:
        try:
            return Path(settings.MAIL_IMAP_OAUTH2_TOKEN_FILE).read_text().strip()
        except OSError as error:
            raise MailboxUnavailable(f"cannot read MAIL_IMAP_OAUTH2_TOKEN_FILE: {error.strerror}") from error
    return str(settings.MAIL_IMAP_OAUTH2_TOKEN)


def fetch_mail(address: ImapMailboxAddress, *, oauth2_token: str = "", limit: int) -> FetchSummary:
    """Process at most `limit` unprocessed messages of the mailbox (see the module's docstring). Raises
    MailboxUnavailable when the server fails; what was processed until then stays processed and marked."""
    summary = FetchSummary()
    try:
        with _logged_in(address, oauth2_token=oauth2_token) as client:
            if _keywords_allowed(client):
                criteria, marks = f"UNKEYWORD {PROCESSED_KEYWORD} UNDELETED", f"(\\Seen {PROCESSED_KEYWORD})"
            else:
                logger.warning("fetch_mail: %s allows no keywords; \\Seen alone marks what was processed", address)
                criteria, marks = "UNSEEN UNDELETED", "(\\Seen)"
            uids = client.uids(criteria)[:limit]
            # An empty uid_list would make imap_tools search ALL.
            for message in client.fetch(uid_list=uids, mark_seen=False) if uids else ():
                summary.fetched += 1
                if _ingest(cast(_RawMailMessage, message), address, summary):
                    # STORE directly: imap_tools' flag() also EXPUNGEs, which would delete what others marked \Deleted.
                    result = client.client.uid("STORE", str(message.uid), "+FLAGS.SILENT", marks)
                    if result[0] != "OK":
                        raise MailboxUnavailable(f"{address}: marking message UID {message.uid} failed: {result[1]!r}")
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as error:
        raise MailboxUnavailable(f"{address}: {error}") from error
    return summary


def _ingest(message: _RawMailMessage, address: ImapMailboxAddress, summary: FetchSummary) -> bool:
    """Hand one message to the gateway and count what became of it; False when it raised (logged, left unmarked)."""
    started = timezone.now()
    try:
        # Its own transaction, whatever ingest_message does: a message that raised leaves no row behind.
        with transaction.atomic():
            record = ingest_message(message.raw, source=InboundSource.IMAP)
    except Exception:
        # One message that breaks the gateway must not stop the mail queued behind it.
        logger.exception("fetch_mail: message UID %s in %s raised; left unmarked for the next run", message.uid, address)
        summary.errors += 1
        return False
    if record.created_at < started:
        summary.repeated += 1
    elif record.outcome == InboundOutcome.IGNORED:
        summary.ignored += 1
    elif record.outcome == InboundOutcome.REFUSED:
        summary.refused += 1
    else:
        summary.processed += 1
    return True


@contextmanager
def _logged_in(address: ImapMailboxAddress, *, oauth2_token: str) -> Iterator[BaseMailBox]:
    """A client logged in (password, or XOAUTH2 with `oauth2_token`) with the folder selected; logs out at the end."""
    client = _connect(address)
    client.email_message_class = _RawMailMessage
    try:
        if oauth2_token:
            client.xoauth2(address.user, oauth2_token, initial_folder=None)
        else:
            client.login(address.user, address.password, initial_folder=None)
        client.folder.set(address.folder)
        yield client
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error, ImapToolsError):
            # Done with the server either way (or it is gone): a failed goodbye changes nothing already processed.
            logger.warning("fetch_mail: logging out of %s failed", address)


def _connect(address: ImapMailboxAddress) -> BaseMailBox:
    if address.security == ImapSecurity.SSL:
        return MailBox(address.host, address.port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context())
    if address.security == ImapSecurity.STARTTLS:
        return MailBoxStartTls(address.host, address.port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context())
    return MailBoxUnencrypted(address.host, address.port, timeout=TIMEOUT_SECONDS)


def _keywords_allowed(client: BaseMailBox) -> bool:
    """Whether the selected folder keeps keywords: its PERMANENTFLAGS (sent with SELECT) list `\\*` or ours."""
    _, permanent_flags = client.client.response("PERMANENTFLAGS")
    flags = b" ".join(flag for flag in permanent_flags if isinstance(flag, bytes)).lower()
    return b"\\*" in flags or PROCESSED_KEYWORD.lower().encode() in flags
