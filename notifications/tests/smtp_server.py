"""A real SMTP server for tests (aiosmtpd, in a thread), on a free port of 127.0.0.1, keeping the raw bytes of every
message it receives. Django's SMTP backend talks to it as it would to a production relay, so a test asserts the bytes
that would leave, headers and MIME parts as a mail client reads them.

Use the `smtp_server` fixture (one server per test, MAILERS pointed at it), or `running_smtp_server()` directly."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.test import override_settings


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the raw bytes of the message."""

    sender: str
    recipients: list[str]
    raw: bytes

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Inbox:
    """What the server received, in order."""

    messages: list[Received] = field(default_factory=list)

    # aiosmtpd calls the handler by this name.
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        recipients = [str(address) for address in envelope.rcpt_tos]
        self.messages.append(Received(sender=str(envelope.mail_from), recipients=recipients, raw=raw))
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """Binds port 0 (the system picks a free port) and reads the port back before the first connection."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    inbox: Inbox

    @property
    def messages(self) -> list[Received]:
        return self.inbox.messages

    def mailers(self) -> dict[str, Any]:
        """A MAILERS setting that sends through this server with Django's SMTP backend."""
        backend = "django.core.mail.backends.smtp.EmailBackend"
        return {"default": {"BACKEND": backend, "OPTIONS": {"host": self.host, "port": self.port, "timeout": 10}}}


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    inbox = Inbox()
    # decode_data False: the handler gets the bytes as sent (original_content), not a re-encoded text.
    controller = _FreePortController(inbox, hostname="127.0.0.1", port=0, decode_data=False)
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=controller.port, inbox=inbox)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A fresh SMTP server for one test, with Django's mail going to it."""
    with running_smtp_server() as server, override_settings(MAILERS=server.mailers()):
        yield server
