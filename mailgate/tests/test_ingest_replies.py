"""Replies to our mails become comments by the token's user (mailgate.services.ingest_message), through the same
checks as the web: active, can still see the ticket; quoted history and signature cut; files through the upload
checks. Every refusal changes nothing and says why."""

from __future__ import annotations

import os

import pytest
from django.core.management.base import CommandError
from django.db import OperationalError

from mailgate.models import InboundMessage, InboundOutcome, InboundSource
from mailgate.services import ingest_message
from mailgate.tests.mails import ingest, message, piped, reply
from notifications.tokens import reply_address
from tests.factories import UserFactory
from tickets.models import Attachment, TicketNote, TicketStatus
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WINDOWS_PROGRAM = b"MZ\x90\x00" + b"\x00" * 64


def comments(ticket) -> list[tuple[str, str, dict]]:
    return [(n.created_by.username, n.note, n.event_details) for n in TicketNote.objects.filter(ticket=ticket, system=False)]


def nothing_changed(ticket) -> bool:
    return not TicketNote.objects.filter(ticket=ticket).exists() and not Attachment.objects.filter(ticket=ticket).exists()


def test_a_reply_becomes_a_comment_by_the_tokens_user_with_the_quote_cut(alice, ticket):
    record = ingest(reply(user=alice, ticket=ticket))

    assert comments(ticket) == [("alice", "Thanks, that helps.", {"via": "email"})]
    assert (record.outcome, record.reason, record.user, record.ticket) == (InboundOutcome.COMMENT, "", alice, ticket)
    assert (record.sender, record.recipient) == ("alice@example.com", reply_address(ticket_id=ticket.pk, user_id=alice.pk))
    assert record.subject == f"Re: [{ticket.key}] {ticket.title}"


def test_the_signature_and_an_outlook_quote_block_are_cut(alice, ticket):
    body = (
        "The printer works again.\n\nBest regards,\nAlice\n\n"
        "From: Tickets <tickets@example.com>\nSent: Monday, 30 November 2026 09:00\nTo: Alice\nSubject: old\n\nold text"
    )

    ingest(message(sender=alice.email, to=reply_address(ticket_id=ticket.pk, user_id=alice.pk), body=body))

    assert comments(ticket) == [("alice", "The printer works again.", {"via": "email"})]


def test_an_html_only_reply_is_read_as_text(alice, ticket):
    mail = message(sender=alice.email, to=reply_address(ticket_id=ticket.pk, user_id=alice.pk), body="")
    markup = "<html><head><style>p {}</style></head><body><p>Fixed &amp; done.</p><p>Thanks</p></body></html>"
    mail.set_content(markup, subtype="html")

    ingest(mail)

    assert comments(ticket) == [("alice", "Fixed & done.\n\nThanks", {"via": "email"})]


def test_the_token_may_come_in_cc_or_the_delivery_header_in_any_case(alice, ticket):
    address = reply_address(ticket_id=ticket.pk, user_id=alice.pk).upper()
    mail = message(sender=alice.email, to="someone@example.org", headers={"Delivered-To": address}, body="Seen it.")

    record = ingest(mail)

    assert record.outcome == InboundOutcome.COMMENT
    assert comments(ticket) == [("alice", "Seen it.", {"via": "email"})]


def test_files_become_attachments_of_the_comment_and_a_refused_file_is_named(alice, ticket):
    files = [("screen.png", "image/png", PNG), ("setup.exe", "application/octet-stream", WINDOWS_PROGRAM)]

    record = ingest(reply(user=alice, ticket=ticket, files=files))

    comment = TicketNote.objects.get(ticket=ticket, system=False)
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.note, attachment.file_name, attachment.content_type, attachment.created_by) == (
        comment,
        "screen.png",
        "image/png",
        alice,
    )
    assert record.outcome == InboundOutcome.COMMENT
    assert record.reason.startswith("File 'setup.exe' refused: Files of type application/")


def test_files_without_text_make_a_comment_naming_them(alice, ticket):
    address = reply_address(ticket_id=ticket.pk, user_id=alice.pk)
    mail = message(sender=alice.email, to=address, body="", files=[("a.png", "image/png", PNG)])

    ingest(mail)

    assert comments(ticket) == [("alice", "Files sent by e-mail: a.png", {"via": "email"})]
    assert Attachment.objects.get(ticket=ticket).file_name == "a.png"


def test_a_closed_ticket_takes_the_comment_but_not_the_file(alice):
    closed = TicketFactory(created_by=alice, status=TicketStatus.CLOSED)

    record = ingest(reply(user=alice, ticket=closed, files=[("a.png", "image/png", PNG)]))

    assert comments(closed) == [("alice", "Thanks, that helps.", {"via": "email"})]
    assert not Attachment.objects.filter(ticket=closed).exists()
    assert record.reason == "File 'a.png' refused: The ticket is closed: it takes no more attachments."


def test_a_reply_from_an_address_nobody_has_is_accepted_and_noted(alice, ticket):
    record = ingest(reply(user=alice, ticket=ticket, sender="alice.private@mail.example.org"))

    assert comments(ticket) == [("alice", "Thanks, that helps.", {"via": "email"})]
    assert record.reason == "Sent from alice.private@mail.example.org, not alice's address."


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("inactive", "The user alice is inactive."),
        ("blind", "The user alice can no longer see TST-"),
        ("forged", "The reply address carries no valid token (forged or damaged)."),
        ("other user's address", "The reply token is alice's, but the sender bob@example.com is bob's address."),
        ("quote only", "The reply has no text of its own (after quotes and signature) and no files."),
        ("no token", "The message is neither a reply to one of our mails nor addressed to the intake address."),
    ],
)
def test_refused_replies_change_nothing_and_say_why(alice, case, reason, caplog):
    ticket = RestrictedTicketFactory(status=TicketStatus.OPEN) if case == "blind" else TicketFactory(created_by=alice)
    mail = reply(user=alice, ticket=ticket)
    if case == "inactive":
        alice.is_active = False
        alice.save(update_fields=["is_active"])
    if case == "forged":
        mail.replace_header("To", reply_address(ticket_id=ticket.pk, user_id=alice.pk).replace(f"-{alice.pk}-", "-999-"))
    if case == "other user's address":
        mail.replace_header("From", UserFactory(username="bob").email)
    if case == "quote only":
        mail.set_content(f"On Mon, 30 Nov 2026, Tickets wrote:\n> [{ticket.key}] {ticket.title}\n")
    if case == "no token":
        mail.replace_header("To", "tickets@example.com")

    record = ingest(mail)

    assert record.outcome == InboundOutcome.REFUSED
    assert record.reason.startswith(reason)
    assert nothing_changed(ticket)
    assert reason in caplog.text
    assert [r.name for r in caplog.records if reason in r.getMessage()] == ["mailgate"]


def test_the_same_message_twice_does_nothing_the_second_time(alice, ticket):
    raw = reply(user=alice, ticket=ticket).as_bytes()

    first = ingest_message(raw, source=InboundSource.IMAP)
    second = ingest_message(raw, source=InboundSource.PIPE)

    assert second.pk == first.pk
    assert second.source == InboundSource.IMAP
    assert len(comments(ticket)) == 1
    assert InboundMessage.objects.count() == 1


def test_a_message_without_message_id_is_known_by_its_bytes(alice, ticket):
    mail = reply(user=alice, ticket=ticket)
    del mail["Message-ID"]

    first, second = ingest(mail), ingest(mail)

    assert first.message_key.startswith("sha256:")
    assert second.pk == first.pk
    assert len(comments(ticket)) == 1


def test_ingest_mail_reads_stdin_and_prints_the_outcome(alice, ticket):
    assert piped(reply(user=alice, ticket=ticket)) == "comment"
    assert comments(ticket) == [("alice", "Thanks, that helps.", {"via": "email"})]
    assert InboundMessage.objects.get().source == InboundSource.PIPE


def test_ingest_mail_exits_normally_for_a_refusal(alice):
    stranger = message(sender="someone@mail.example.org", to="tickets@example.com")

    assert piped(stranger) == "refused: The message is neither a reply to one of our mails nor addressed to the intake address."


def test_ingest_mail_asks_the_mta_to_retry_when_the_database_is_away(alice, ticket, monkeypatch):
    def database_away(raw, *, source):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("mailgate.management.commands.ingest_mail.ingest_message", database_away)

    with pytest.raises(CommandError) as failure:
        piped(reply(user=alice, ticket=ticket))

    assert failure.value.returncode == os.EX_TEMPFAIL
    assert nothing_changed(ticket)


def test_ingest_mail_fails_on_empty_input():
    with pytest.raises(CommandError, match="No message on stdin"):
        piped(b"")

    assert not InboundMessage.objects.exists()
