"""One RFC 822 message read into what the gateway acts on (docs/email.md): addresses, threading headers, the text the
person wrote (quoted history and signature stripped) and the attached files. Both ingestion paths use it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

MESSAGE_KEY_MAX_LENGTH = 255
# Headers naming where a message was delivered, besides To and Cc (an MTA pipe or a mailbox sees the envelope here).
DELIVERY_HEADERS = ("Delivered-To", "X-Original-To")
# Every language the reply parser knows how "On … wrote:" and "Sent from my phone" read in.
REPLY_LANGUAGES = [language for language in MAIL_LANGUAGES if len(language) == 2]

# More text than any ticket or comment takes (20,000 characters) is cut before the regular expressions read it, so a
# huge body costs no more than a large one.
TEXT_MAX_LENGTH = 100_000
HTML_MAX_LENGTH = 10 * TEXT_MAX_LENGTH  # markup is mostly tags

# Tags that end a line of text, and elements whose content is no text to read.
_BLOCK_TAGS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})
_INVISIBLE_TAGS = frozenset({"script", "style", "head", "title"})
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class MailFile:
    file_name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str
    sender: str  # the From address, lower-case ("" when there is none)
    null_return_path: bool  # Return-Path: <> (RFC 5321's null sender: a bounce or another delivery report)
    recipients: list[str]  # To, Cc and the delivery headers, lower-case, each once, in that order
    subject: str
    in_reply_to: str
    references: list[str]
    auto_submitted: str
    precedence: str
    is_delivery_report: bool
    text: str  # the whole text body (text/plain, or the HTML part as text)
    files: list[MailFile] = field(default_factory=list)

    @property
    def reply(self) -> str:
        """What the person wrote: the text without quoted history, quoted lines and signature."""
        return reply_text(self.text)


def message_key(message_id: str, raw: bytes) -> str:
    """The unique key of a message: its Message-ID, or the SHA-256 of its bytes when it has none (or an absurdly long
    one, which could not be stored)."""
    if message_id and len(message_id) <= MESSAGE_KEY_MAX_LENGTH:
        return message_id
    source = message_id.encode() if message_id else raw
    return f"sha256:{hashlib.sha256(source).hexdigest()}"


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _message_id(message: Message) -> str:
    return _header(message, "Message-ID")


def _address(value: str) -> str:
    return parseaddr(value)[1].strip().lower()


def read_headers(raw: bytes) -> tuple[str, str, str]:
    """(Message-ID, sender, subject) from the headers alone: what an oversize message is recorded with, unparsed."""
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    return _message_id(headers), _address(_header(headers, "From")), _header(headers, "Subject")


def _recipients(message: Message) -> list[str]:
    values = [str(value) for name in ("To", "Cc", *DELIVERY_HEADERS) for value in message.get_all(name, [])]
    seen: dict[str, None] = {}
    for _, address in getaddresses(values):
        address = address.strip().lower()
        if address and "@" in address:
            seen.setdefault(address)
    return list(seen)


class _TextOfHtml(HTMLParser):
    """The standard library's HTML tokenizer (linear in the input, unlike regular expressions over markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE_TAGS:
            self.hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE_TAGS:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """A simple reading of an HTML body: no scripts or styles, line breaks at block ends, tags dropped, entities
    decoded. Enough for a comment; a mail client that sends only HTML still gets its words through."""
    reader = _TextOfHtml()
    reader.feed(markup)
    reader.close()
    lines = [" ".join(line.split()) for line in "".join(reader.parts).splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: read what decodes
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content[:HTML_MAX_LENGTH])
    return content[:TEXT_MAX_LENGTH]


def _files(message: EmailMessage) -> list[MailFile]:
    files = []
    for part in message.iter_attachments():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue  # a forwarded message or a nested multipart is no file a person attached
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        files.append(MailFile(file_name=part.get_filename() or "attachment", content_type=part.get_content_type(), data=data))
    return files


def parse_message(raw: bytes) -> ParsedMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return ParsedMessage(
        message_id=_message_id(message),
        sender=_address(_header(message, "From")),
        null_return_path=message.get("Return-Path") is not None and _header(message, "Return-Path") in ("<>", ""),
        recipients=_recipients(message),
        subject=_header(message, "Subject"),
        in_reply_to=_header(message, "In-Reply-To"),
        references=_header(message, "References").split(),
        auto_submitted=_header(message, "Auto-Submitted").lower(),
        precedence=_header(message, "Precedence").lower(),
        is_delivery_report=message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status",
        text=_text_body(message),
        files=_files(message),
    )


def reply_text(text: str) -> str:
    """The newest reply of a mail body: mail-parser-reply cuts the quoted history ("On … wrote:", Outlook's "From:"
    block) and the signature; lines still quoted with ">" (a reply written above a bare quote) go too."""
    latest = EmailReplyParser(languages=REPLY_LANGUAGES).read(text).replies
    body = latest[0].body if latest else ""
    kept = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip()
