"""Messages as mail clients send them, built with the standard library, for the gateway's tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from io import BytesIO, StringIO

from django.core.management import call_command

from mailgate.models import InboundMessage, InboundSource
from mailgate.services import ingest_message
from notifications.tokens import reply_address

# People write from their own mail system: Message-IDs at a domain that is not ours.
THEIR_DOMAIN = "mail.example.org"


def message(
    *,
    sender: str,
    to: str | list[str],
    subject: str = "Hello",
    body: str = "Hello from the mailbox.",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    files: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    message_id: str | None = None,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(to) if isinstance(to, list) else to
    mail["Subject"] = subject
    mail["Message-ID"] = message_id or make_msgid(domain=THEIR_DOMAIN)
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for file_name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=file_name)
    return mail


def reply(*, user, ticket, body: str = "Thanks, that helps.", sender: str | None = None, **kwargs) -> EmailMessage:
    """A reply by `user` to a notification about `ticket`: to its Reply-To address, quoting the mail below."""
    header = "On Mon, 30 Nov 2026 at 09:00, Tickets <tickets@example.com> wrote:"
    quoted = f"{body}\n\n{header}\n> [{ticket.key}] {ticket.title}\n> Earlier text\n"
    kwargs.setdefault("subject", f"Re: [{ticket.key}] {ticket.title}")
    return message(sender=sender or user.email, to=reply_address(ticket_id=ticket.pk, user_id=user.pk), body=quoted, **kwargs)


def ingest(mail: EmailMessage) -> InboundMessage:
    """The message through the gateway, as the MTA pipe hands it over."""
    return ingest_message(mail.as_bytes(), source=InboundSource.PIPE)


def piped(mail: EmailMessage | bytes) -> str:
    """The message through `manage.py ingest_mail` on stdin; what the command printed."""
    out = StringIO()
    raw = mail if isinstance(mail, bytes) else mail.as_bytes()
    call_command("ingest_mail", stdin=BytesIO(raw), stdout=out)
    return out.getvalue().strip()
