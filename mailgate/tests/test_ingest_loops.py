"""Loops and abuse: automatic mail is ignored, too much or too large mail refused, before anything acts; each is
recorded with its reason. And one message delivered twice at once acts once (PostgreSQL, threads)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from mailgate.models import InboundMessage, InboundOutcome, InboundSource
from mailgate.services import ingest_message
from mailgate.tests.mails import ingest, reply
from notifications.outbound import message_id
from tickets.models import TicketNote

pytestmark = pytest.mark.django_db


def no_comment(ticket) -> bool:
    return not TicketNote.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Message-ID": message_id()}, "Our own message came back (its Message-ID is one of ours)."),
        ({"Message-ID": "<ticket-7@example.com>"}, "Our own message came back (its Message-ID is one of ours)."),
        ({"From": "Tickets <tickets@example.com>"}, "The sender tickets@example.com is one of our own addresses."),
        ({"Auto-Submitted": "auto-replied"}, "Automatic mail (Auto-Submitted: auto-replied)."),
        ({"Auto-Submitted": "Auto-Generated"}, "Automatic mail (Auto-Submitted: auto-generated)."),
        ({"Precedence": "bulk"}, "Bulk or list mail (Precedence: bulk)."),
        ({"Precedence": "list"}, "Bulk or list mail (Precedence: list)."),
        ({"Precedence": "junk"}, "Bulk or list mail (Precedence: junk)."),
        ({"Return-Path": "<>"}, "A bounce (empty Return-Path)."),
        ({"From": "MAILER-DAEMON@mx.example.org"}, "A bounce (from mailer-daemon@mx.example.org)."),
        ({"From": "postmaster@mx.example.org"}, "A bounce (from postmaster@mx.example.org)."),
    ],
)
def test_automatic_mail_is_ignored_with_its_reason(alice, ticket, headers, reason, caplog):
    mail = reply(user=alice, ticket=ticket)
    for name, value in headers.items():
        del mail[name]
        mail[name] = value

    record = ingest(mail)

    assert (record.outcome, record.reason) == (InboundOutcome.IGNORED, reason)
    assert no_comment(ticket)
    assert [r.name for r in caplog.records if reason in r.getMessage()] == ["mailgate"]


def test_a_delivery_status_report_is_ignored(alice, ticket):
    report = reply(user=alice, ticket=ticket)
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')

    record = ingest(report)

    assert (record.outcome, record.reason) == (InboundOutcome.IGNORED, "A bounce (a delivery status report).")
    assert no_comment(ticket)


@pytest.mark.parametrize(
    "colleagues_id",
    # Exchange's; another Python program's (email.utils.make_msgid without our mark)
    ["<DB9PR01MB1234.eurprd01.prod@example.com>", "<176480012345.4242.9876543210123456789@example.com>"],
)
def test_auto_submitted_no_and_a_colleagues_message_id_at_our_domain_are_mail_from_people(alice, ticket, colleagues_id):
    mail = reply(user=alice, ticket=ticket, headers={"Auto-Submitted": "no", "Return-Path": "<alice@example.com>"})
    mail.replace_header("Message-ID", colleagues_id)

    assert ingest(mail).outcome == InboundOutcome.COMMENT


def test_a_sender_past_the_hourly_rate_is_refused(alice, ticket, settings):
    settings.MAIL_SENDER_RATE_PER_HOUR = 2
    old = ingest(reply(user=alice, ticket=ticket, body="An hour ago."))
    InboundMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1, minutes=1))
    accepted = [ingest(reply(user=alice, ticket=ticket, body=f"Reply {n}.")).outcome for n in (1, 2)]

    record = ingest(reply(user=alice, ticket=ticket, body="One too many.", sender="ALICE@example.com"))

    assert accepted == [InboundOutcome.COMMENT, InboundOutcome.COMMENT]
    assert (record.outcome, record.reason) == (
        InboundOutcome.REFUSED,
        "The sender alice@example.com sent more than 2 messages in the last hour.",
    )
    assert not TicketNote.objects.filter(note="One too many.").exists()


def test_an_oversize_message_is_refused_unparsed_and_recorded(alice, ticket, settings):
    mail = reply(user=alice, ticket=ticket)
    raw = mail.as_bytes()
    settings.MAIL_MAX_MESSAGE_BYTES = len(raw) - 1

    record = ingest_message(raw, source=InboundSource.IMAP)

    assert (record.outcome, record.reason) == (
        InboundOutcome.REFUSED,
        f"The message is {len(raw)} bytes, more than the limit of {len(raw) - 1}.",
    )
    assert (record.message_key, record.sender, record.subject, record.size) == (
        mail["Message-ID"],
        "alice@example.com",
        mail["Subject"],
        len(raw),
    )
    assert no_comment(ticket)
    assert ingest_message(raw, source=InboundSource.IMAP).pk == record.pk


def test_a_message_without_sender_is_refused(alice, ticket):
    mail = reply(user=alice, ticket=ticket)
    del mail["From"]

    record = ingest(mail)

    assert (record.outcome, record.reason) == (InboundOutcome.REFUSED, "The message has no sender address.")
    assert no_comment(ticket)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\xff not a mail at all \r\n\r\n\xfe",
        b"From: =?bogus?Q?x?= <a@b.c>\r\nTo: <<<>>>\r\nSubject: \xff\xfe\r\n\r\nbody",
        b"From: a@b.c\r\nTo: x@b.c\r\nReturn-Path: garbage<<\r\nContent-Type: text/plain; charset=nonexistent\r\n\r\n\xe9t\xe9",
        b"From: a@b.c\r\nTo: x@b.c\r\nContent-Type: multipart/alternative\r\n\r\nno boundary",
    ],
    ids=["not a mail", "broken headers", "unknown charset", "multipart without boundary"],
)
def test_broken_mail_is_refused_not_an_error(raw):
    record = ingest_message(raw, source=InboundSource.PIPE)

    assert record.outcome == InboundOutcome.REFUSED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_message_delivered_twice_at_once_makes_one_comment(postgres_only, alice, ticket):
    raw = reply(user=alice, ticket=ticket).as_bytes()
    start = threading.Barrier(2)
    records: list[InboundMessage] = []

    def deliver(source: InboundSource) -> None:
        try:
            start.wait()
            records.append(ingest_message(raw, source=source))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(source,)) for source in (InboundSource.IMAP, InboundSource.PIPE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(records) == 2
    assert records[0].pk == records[1].pk
    assert TicketNote.objects.filter(ticket=ticket, system=False).count() == 1
    assert InboundMessage.objects.get().outcome == InboundOutcome.COMMENT
