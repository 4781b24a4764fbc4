"""The mail gateway's one entry point (docs/email.md): both ingestion paths (`fetch_mail`, `ingest_mail`) hand it the
raw bytes of one RFC 822 message."""

from __future__ import annotations

from mailgate.models import InboundMessage, InboundSource


def ingest_message(raw: bytes, *, source: InboundSource) -> InboundMessage:
    """Parse one message and act on it: a reply becomes a comment or an approval decision, mail to the intake address
    a ticket; anything else is refused or ignored with its reason. A message already seen (same key) returns its first
    record and changes nothing."""
    raise NotImplementedError  # being built (issue 15)
