"""New tickets by e-mail: mail to MAIL_INTAKE_ADDRESS from exactly one active user's address becomes their ticket,
submitted like the workspace's form does, and they get an acknowledgement with its key; unknown senders are refused
unless MAIL_INTAKE_FALLBACK_USER opens it for them."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail

from approvals.tests.factories import template_with
from mailgate.models import InboundOutcome
from mailgate.tests.mails import ingest, message, piped
from notifications.models import Notification, NotificationEvent
from notifications.services import email_preference_set
from notifications.tokens import reply_address
from tests.factories import UserFactory
from tickets.models import Attachment, EventType, Ticket, TicketStatus
from tickets.tests.factories import TicketTemplateFactory
from tickets.timeline_words import describe_all, person_name
from ticketsite.limits import TITLE_MAX_LENGTH

pytestmark = pytest.mark.django_db

INTAKE = "help@example.com"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def intake(settings):
    settings.MAIL_INTAKE_ADDRESS = f"Help desk <{INTAKE}>"


def to_intake(sender: str, **kwargs):
    kwargs.setdefault("subject", "Fwd: RE: Printer on floor 3 jams")
    kwargs.setdefault("body", "The printer jams on every page.\n\n-- \nAlice, floor 3")
    return message(sender=sender, to=INTAKE, **kwargs)


def test_mail_to_the_intake_address_becomes_the_senders_submitted_ticket(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record = ingest(to_intake("Alice <ALICE@Example.com>", files=[("jam.png", "image/png", PNG)]))

    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.created_by, ticket.status) == ("Printer on floor 3 jams", alice, TicketStatus.OPEN)
    assert ticket.description == "The printer jams on every page.\n\n-- \nAlice, floor 3"
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.file_name, attachment.created_by, attachment.note) == ("jam.png", alice, None)
    assert list(ticket.notes.filter(system=True).values_list("event_type", flat=True).order_by("id")) == [
        EventType.CREATED,
        EventType.ATTACHMENT_ADD,
        EventType.STATUS_CHANGE,
    ]
    created = ticket.notes.get(event_type=EventType.CREATED)
    assert created.event_details["via"] == "email"
    assert describe_all([created])[0].text == f'{person_name(alice)} created the ticket "Printer on floor 3 jams" by e-mail'
    assert (record.outcome, record.reason, record.user, record.ticket, record.recipient) == (
        InboundOutcome.TICKET,
        "",
        alice,
        ticket,
        INTAKE,
    )
    acknowledgement = Notification.objects.get(recipient=alice)
    assert (acknowledgement.event_type, acknowledgement.in_app) == (NotificationEvent.TICKET_CREATED, False)
    (sent,) = django_mail.outbox
    assert (sent.to, sent.subject) == (["alice@example.com"], f"[{ticket.key}] Printer on floor 3 jams")
    assert sent.reply_to == [reply_address(ticket_id=ticket.pk, user_id=alice.pk)]


def test_the_intake_template_and_its_approval_are_used(alice, settings):
    erin = UserFactory(username="erin")
    TicketTemplateFactory(name="E-mail request", approval_template=template_with(("all", [erin])))
    settings.MAIL_INTAKE_TEMPLATE = "E-mail request"

    record = ingest(to_intake(alice.email))

    ticket = record.ticket
    assert (ticket.template.name, ticket.status) == ("E-mail request", TicketStatus.WAITING_APPROVAL)


def test_a_refused_submit_keeps_the_draft_and_says_why(alice, settings):
    TicketTemplateFactory(name="E-mail request", approval_template=template_with(("all", [alice])))
    settings.MAIL_INTAKE_TEMPLATE = "E-mail request"

    record = ingest(to_intake(alice.email))

    assert record.outcome == InboundOutcome.TICKET
    assert record.ticket.status == TicketStatus.DRAFT
    assert record.reason.startswith("Kept as a draft, not submitted: ")


def test_a_missing_intake_template_is_named_and_the_ticket_made_without(alice, settings):
    settings.MAIL_INTAKE_TEMPLATE = "Gone"

    record = ingest(to_intake(alice.email))

    assert (record.outcome, record.ticket.template) == (InboundOutcome.TICKET, None)
    assert record.reason == "The intake template 'Gone' does not exist; none was used."


def test_the_title_is_cut_to_its_limit_and_an_empty_subject_takes_the_first_line(alice):
    long_one = ingest(to_intake(alice.email, subject="Re: " + "x" * 300)).ticket
    no_subject = ingest(to_intake(alice.email, subject="", body="\nVPN drops at noon\nevery day")).ticket

    assert (len(long_one.title), long_one.title[-1]) == (TITLE_MAX_LENGTH, "…")
    assert no_subject.title == "VPN drops at noon"


def test_no_acknowledgement_for_a_sender_who_turned_it_off(alice, django_capture_on_commit_callbacks):
    email_preference_set(user=alice, event_type=NotificationEvent.TICKET_CREATED, email=False, actor=alice)

    with django_capture_on_commit_callbacks(execute=True):
        ingest(to_intake(alice.email))

    assert Ticket.objects.count() == 1
    assert django_mail.outbox == []


@pytest.mark.parametrize("case", ["unknown", "inactive", "shared address"])
def test_unknown_inactive_and_ambiguous_senders_are_refused(alice, case):
    sender = {"unknown": "stranger@mail.example.org"}.get(case, alice.email)
    if case == "inactive":
        alice.is_active = False
        alice.save(update_fields=["is_active"])
    if case == "shared address":
        UserFactory(username="alice2", email="Alice@example.com")

    record = ingest(to_intake(sender))

    assert record.outcome == InboundOutcome.REFUSED
    assert (
        record.reason
        == {
            "unknown": "The sender stranger@mail.example.org is no active user's address.",
            "inactive": "The sender alice@example.com is no active user's address.",
            "shared address": "The sender alice@example.com is the address of more than one active user.",
        }[case]
    )
    assert not Ticket.objects.exists()


def test_the_fallback_user_opens_an_unknown_senders_ticket_without_acknowledging(settings, django_capture_on_commit_callbacks):
    desk = UserFactory(username="maildesk")
    settings.MAIL_INTAKE_FALLBACK_USER = "maildesk"

    with django_capture_on_commit_callbacks(execute=True):
        output = piped(to_intake("stranger@mail.example.org", subject="Need access"))

    ticket = Ticket.objects.get()
    assert output == "ticket"
    assert (ticket.created_by, ticket.title) == (desk, "Need access")
    assert ticket.description.startswith("From: stranger@mail.example.org\n\nThe printer jams")
    assert django_mail.outbox == []


def test_mail_to_the_intake_address_with_intake_off_is_refused(alice, settings):
    settings.MAIL_INTAKE_ADDRESS = ""

    record = ingest(to_intake(alice.email))

    assert record.outcome == InboundOutcome.REFUSED
    assert not Ticket.objects.exists()


def test_a_reply_to_our_mail_without_its_token_opens_no_ticket(alice, settings):
    settings.MAIL_INTAKE_ADDRESS = settings.DEFAULT_FROM_EMAIL
    answer = to_intake(alice.email, subject="Re: [TCK-1] Printer", headers={"In-Reply-To": "<ticket-1@example.com>"})
    answer.replace_header("To", settings.DEFAULT_FROM_EMAIL)

    record = ingest(answer)

    assert (record.outcome, record.reason) == (
        InboundOutcome.REFUSED,
        "A reply to one of our mails without its reply address (and token): it was not sent to Reply-To.",
    )
    assert not Ticket.objects.exists()
