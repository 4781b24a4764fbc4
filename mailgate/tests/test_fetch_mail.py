"""`manage.py fetch_mail` against a real IMAP server (dovecot, mailgate/tests/imap_server.py): messages go in by IMAP
APPEND, the command polls them through the real gateway (mailgate.services.ingest_message), and the tests look at the
rows it made and the flags it left on the server. Each test has a folder of its own on one dovecot per module."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from approvals.models import ApprovalProcessStepApprover, SlotStatus
from approvals.tests.factories import template_with
from mailgate import imap
from mailgate.imap import PROCESSED_KEYWORD, ImapMailboxAddress, ImapSecurity, parse_imap_url
from mailgate.models import InboundMessage, InboundOutcome, InboundSource
from mailgate.tests.imap_server import ImapServer, imap_folder, imap_server  # noqa: F401  (the fixtures)
from mailgate.tests.mails import message, reply
from notifications.tokens import reply_address
from tests.factories import UserFactory
from tickets.models import Ticket, TicketNote, TicketStatus
from tickets.services import tickets as ticket_services
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

INTAKE = "help@example.com"
PROCESSED = {"\\Seen", PROCESSED_KEYWORD}


@dataclass
class Mailbox:
    """The test's folder on the server, as a person or a mail system sees it."""

    server: ImapServer
    folder: str

    def deliver(self, mail: EmailMessage, *, flags: tuple[str, ...] = ()) -> None:
        with self.server.connect() as client:
            client.append(mail.as_bytes(), self.folder, flag_set=flags)

    def flags(self) -> dict[str, set[str]]:
        """Each message's flags, by subject (but \\Recent, which only says which session saw the message first)."""
        with self.server.connect() as client:
            client.folder.set(self.folder)
            return {mail.subject: set(mail.flags) - {"\\Recent"} for mail in client.fetch(mark_seen=False, headers_only=True)}

    def unflag(self, subject: str, flag: str) -> None:
        with self.server.connect() as client:
            client.folder.set(self.folder)
            client.client.uid("STORE", client.uids(f'SUBJECT "{subject}"')[0], "-FLAGS", f"({flag})")


@pytest.fixture
def mailbox(imap_server, imap_folder, settings) -> Mailbox:  # noqa: F811
    settings.MAIL_INTAKE_ADDRESS = INTAKE
    return Mailbox(imap_server, imap_folder)


def fetch_mail(*args: str) -> str:
    out = StringIO()
    call_command("fetch_mail", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def summary(*, fetched=0, processed=0, ignored=0, refused=0, repeated=0, errors=0) -> str:
    return (
        f"fetch_mail: fetched {fetched}, processed {processed}, ignored {ignored}, refused {refused}, "
        f"repeated {repeated}, errors {errors}\n"
    )


# --- what messages become ----------------------------------------------------------------------------------------------


def test_a_reply_becomes_a_comment_and_is_marked_processed_on_the_server(mailbox):
    alice = UserFactory()
    ticket = TicketFactory(created_by=alice)
    mailbox.deliver(reply(user=alice, ticket=ticket, subject="Re: printer"))

    assert fetch_mail() == summary(fetched=1, processed=1)

    comment = TicketNote.objects.get(ticket=ticket, system=False)
    assert (comment.note, comment.created_by, comment.event_details) == ("Thanks, that helps.", alice, {"via": "email"})
    record = InboundMessage.objects.get()
    assert (record.source, record.outcome, record.user, record.ticket) == (InboundSource.IMAP, "comment", alice, ticket)
    assert mailbox.flags() == {"Re: printer": PROCESSED}


def test_an_approvers_reply_approve_decides_the_approval(mailbox):
    alice, erin = UserFactory(), UserFactory()
    draft = ticket_services.ticket_create(actor=alice, title="New laptop", approval_template=template_with(("all", [erin])))
    ticket = ticket_services.ticket_transition(ticket=draft, actor=alice, to_status=TicketStatus.WAITING_APPROVAL)
    mailbox.deliver(reply(user=erin, ticket=ticket, subject="Re: laptop", body="Approve\nWithin budget."))

    assert fetch_mail() == summary(fetched=1, processed=1)

    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket)
    assert (slot.status, slot.acted_by, slot.comment) == (SlotStatus.APPROVED, erin, "Within budget.")
    assert InboundMessage.objects.get().outcome == InboundOutcome.APPROVAL
    assert mailbox.flags() == {"Re: laptop": PROCESSED}


def test_mail_to_the_intake_address_from_a_known_user_becomes_a_ticket(mailbox):
    bob = UserFactory()
    mailbox.deliver(message(sender=bob.email, to=INTAKE, subject="VPN is down", body="Since this morning."))

    assert fetch_mail() == summary(fetched=1, processed=1)

    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.description, ticket.created_by) == ("VPN is down", "Since this morning.", bob)
    record = InboundMessage.objects.get()
    assert (record.outcome, record.user, record.ticket) == (InboundOutcome.TICKET, bob, ticket)
    assert mailbox.flags() == {"VPN is down": PROCESSED}


def test_a_forged_a_tokenless_and_a_strangers_message_change_nothing_and_are_recorded_refused(mailbox):
    alice, mallory = UserFactory(), UserFactory()
    ticket = TicketFactory(created_by=alice)
    forged = reply_address(ticket_id=ticket.pk, user_id=alice.pk).replace(f"-{alice.pk}-", f"-{mallory.pk}-")
    mailbox.deliver(message(sender=mallory.email, to=forged, subject="Forged"))
    mailbox.deliver(message(sender=alice.email, to="tickets@example.com", subject="Tokenless"))
    mailbox.deliver(message(sender="stranger@elsewhere.example", to=INTAKE, subject="Stranger"))

    assert fetch_mail() == summary(fetched=3, refused=3)

    assert not TicketNote.objects.filter(ticket=ticket).exists()
    assert list(Ticket.objects.all()) == [ticket]
    assert sorted(InboundMessage.objects.values_list("subject", "outcome")) == [
        ("Forged", "refused"),
        ("Stranger", "refused"),
        ("Tokenless", "refused"),
    ]
    # Refused is what became of them: marked, never fetched again.
    assert mailbox.flags() == {"Forged": PROCESSED, "Tokenless": PROCESSED, "Stranger": PROCESSED}


def test_automatic_mail_is_ignored_and_marked(mailbox):
    mailbox.deliver(
        message(
            sender="robot@elsewhere.example", to=INTAKE, subject="Out of office", headers={"Auto-Submitted": "auto-replied"}
        )
    )

    assert fetch_mail() == summary(fetched=1, ignored=1)

    assert not Ticket.objects.exists()
    assert InboundMessage.objects.get().outcome == InboundOutcome.IGNORED
    assert mailbox.flags() == {"Out of office": PROCESSED}


def test_an_oversize_message_is_refused_and_marked(mailbox, settings):
    settings.MAIL_MAX_MESSAGE_BYTES = 2000
    mailbox.deliver(message(sender=UserFactory().email, to=INTAKE, subject="Huge", body="x" * 3000))

    assert fetch_mail() == summary(fetched=1, refused=1)

    assert not Ticket.objects.exists()
    assert "more than the limit of 2000" in InboundMessage.objects.get().reason
    assert mailbox.flags() == {"Huge": PROCESSED}


# --- once and only once ----------------------------------------------------------------------------------------------


def test_a_second_run_processes_nothing_twice(mailbox):
    alice = UserFactory()
    ticket = TicketFactory(created_by=alice)
    mailbox.deliver(reply(user=alice, ticket=ticket, subject="Re: one"))
    mailbox.deliver(message(sender=alice.email, to=INTAKE, subject="Two"))
    assert fetch_mail() == summary(fetched=2, processed=2)

    assert fetch_mail() == summary()

    assert TicketNote.objects.filter(ticket=ticket, system=False).count() == 1
    assert Ticket.objects.count() == 2
    assert InboundMessage.objects.count() == 2
    assert mailbox.flags() == {"Re: one": PROCESSED, "Two": PROCESSED}


def test_a_message_marked_processed_is_not_fetched(mailbox):
    alice = UserFactory()
    mailbox.deliver(message(sender=alice.email, to=INTAKE, subject="Done elsewhere"), flags=(PROCESSED_KEYWORD,))

    assert fetch_mail() == summary()

    assert not InboundMessage.objects.exists()
    assert not Ticket.objects.exists()


def test_a_message_processed_but_not_marked_is_fetched_again_and_changes_nothing(mailbox):
    """A run cut off between the gateway's commit and the mark: the next run meets the message again."""
    alice = UserFactory()
    ticket = TicketFactory(created_by=alice)
    mailbox.deliver(reply(user=alice, ticket=ticket, subject="Re: cut off"))
    fetch_mail()
    mailbox.unflag("Re: cut off", PROCESSED_KEYWORD)

    assert fetch_mail() == summary(fetched=1, repeated=1)

    assert TicketNote.objects.filter(ticket=ticket, system=False).count() == 1
    assert InboundMessage.objects.count() == 1
    assert mailbox.flags() == {"Re: cut off": PROCESSED}


def test_a_message_someone_read_is_processed_and_a_deleted_one_left_alone(mailbox):
    alice = UserFactory()
    mailbox.deliver(message(sender=alice.email, to=INTAKE, subject="Read in a mail client"), flags=("\\Seen",))
    mailbox.deliver(message(sender=alice.email, to=INTAKE, subject="Deleted"), flags=("\\Deleted",))

    assert fetch_mail() == summary(fetched=1, processed=1)

    assert list(Ticket.objects.values_list("title", flat=True)) == ["Read in a mail client"]
    assert mailbox.flags() == {"Read in a mail client": PROCESSED, "Deleted": {"\\Deleted"}}


def test_without_keywords_seen_marks_what_was_processed(mailbox):
    """A folder that keeps no keywords (PERMANENTFLAGS without \\*): unseen mail is fetched, then marked seen."""
    mailbox.server.forbid_keywords(mailbox.folder)
    alice = UserFactory()
    mailbox.deliver(message(sender=alice.email, to=INTAKE, subject="Unseen"))
    mailbox.deliver(message(sender=alice.email, to=INTAKE, subject="Seen"), flags=("\\Seen",))

    assert fetch_mail() == summary(fetched=1, processed=1)
    assert fetch_mail() == summary()

    assert list(Ticket.objects.values_list("title", flat=True)) == ["Unseen"]
    assert mailbox.flags() == {"Unseen": {"\\Seen"}, "Seen": {"\\Seen"}}


def test_limit_bounds_a_run_oldest_first(mailbox):
    alice = UserFactory()
    for subject in ("First", "Second", "Third"):
        mailbox.deliver(message(sender=alice.email, to=INTAKE, subject=subject))

    assert fetch_mail("--limit", "2") == summary(fetched=2, processed=2)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == ["First", "Second"]
    assert mailbox.flags()["Third"] == set()

    assert fetch_mail("--limit", "2") == summary(fetched=1, processed=1)
    assert Ticket.objects.count() == 3


def test_a_message_whose_processing_raises_is_logged_left_unmarked_and_the_rest_processed(mailbox, monkeypatch, caplog):
    alice = UserFactory()
    mailbox.deliver(
        message(sender=alice.email, to=INTAKE, subject="Breaks the gateway", message_id="<breaks@mail.example.org>")
    )
    mailbox.deliver(message(sender=alice.email, to=INTAKE, subject="Fine"))
    real_ingest = imap.ingest_message

    def ingest_breaking_on_one(raw: bytes, *, source: InboundSource) -> InboundMessage:
        record = real_ingest(raw, source=source)
        if record.message_key == "<breaks@mail.example.org>":
            raise RuntimeError("a bug in the gateway")
        return record

    monkeypatch.setattr(imap, "ingest_message", ingest_breaking_on_one)

    with pytest.raises(CommandError, match=r"1 message\(s\) could not be processed"):
        fetch_mail()

    # What the failing message wrote is taken back; the other one went through.
    assert list(Ticket.objects.values_list("title", flat=True)) == ["Fine"]
    assert list(InboundMessage.objects.values_list("subject", flat=True)) == ["Fine"]
    assert mailbox.flags() == {"Breaks the gateway": set(), "Fine": PROCESSED}
    assert "a bug in the gateway" in caplog.text

    monkeypatch.setattr(imap, "ingest_message", real_ingest)
    assert fetch_mail() == summary(fetched=1, processed=1)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == ["Breaks the gateway", "Fine"]


# --- logging in -------------------------------------------------------------------------------------------------------


def test_xoauth2_logs_in_with_the_token_instead_of_the_password(mailbox, settings):
    # The test server takes the password as the access token (imap_server.py); the URL carries none.
    server = mailbox.server
    settings.MAIL_IMAP_URL = f"imap://{server.user}@{server.host}:{server.port}/{mailbox.folder}"
    settings.MAIL_IMAP_OAUTH2_TOKEN = server.password
    mailbox.deliver(message(sender=UserFactory().email, to=INTAKE, subject="By XOAUTH2"))

    assert fetch_mail() == summary(fetched=1, processed=1)

    settings.MAIL_IMAP_OAUTH2_TOKEN = "expired-token"
    with pytest.raises(CommandError, match="Authentication failed"):
        fetch_mail()


def test_a_token_file_is_read_afresh_on_every_run(mailbox, settings, tmp_path):
    """A refresher outside the app rewrites the file as access tokens expire; a running loop picks up the new one."""
    server = mailbox.server
    token_file = tmp_path / "imap-token"
    settings.MAIL_IMAP_URL = f"imap://{server.user}@{server.host}:{server.port}/{mailbox.folder}"
    settings.MAIL_IMAP_OAUTH2_TOKEN, settings.MAIL_IMAP_OAUTH2_TOKEN_FILE = "", str(token_file)
    token_file.write_text("expired-token\n")
    mailbox.deliver(message(sender=UserFactory().email, to=INTAKE, subject="After the refresh"))

    with pytest.raises(CommandError, match="Authentication failed"):
        fetch_mail()
    token_file.write_text(f"{server.password}\n")
    assert fetch_mail() == summary(fetched=1, processed=1)

    token_file.unlink()
    with pytest.raises(CommandError, match="cannot read MAIL_IMAP_OAUTH2_TOKEN_FILE"):
        fetch_mail()


def test_a_wrong_password_fails_the_run_without_showing_the_password(mailbox, settings):
    server = mailbox.server
    settings.MAIL_IMAP_URL = server.url(mailbox.folder).replace(server.password, "wrong-secret")
    mailbox.deliver(message(sender=UserFactory().email, to=INTAKE, subject="Waits"))

    with pytest.raises(CommandError, match="Authentication failed") as failure:
        fetch_mail()

    assert "wrong-secret" not in str(failure.value)
    assert f"{mailbox.folder} of {server.user} at 127.0.0.1:{server.port}" in str(failure.value)
    assert not InboundMessage.objects.exists()
    assert mailbox.flags() == {"Waits": set()}


def test_a_server_that_does_not_answer_fails_the_run(settings):
    settings.MAIL_IMAP_URL = "imap://someone:secret@127.0.0.1:1/INBOX"

    with pytest.raises(CommandError, match=r"INBOX of someone at 127.0.0.1:1 \(plain\): .*refused"):
        fetch_mail()


# --- the loop ---------------------------------------------------------------------------------------------------------


class StopLooping(KeyboardInterrupt):
    """Ctrl-C, from the test's sleep."""


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The loop's sleeps; the second one stops it. Between runs the loop also replaces stale database connections,
    which here would close the test's transaction (Django's test client keeps that from happening the same way)."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 2:
            raise StopLooping

    monkeypatch.setattr("mailgate.management.commands.fetch_mail.time.sleep", sleep)
    monkeypatch.setattr("mailgate.management.commands.fetch_mail.close_old_connections", lambda: None)
    return slept


def test_the_loop_goes_on_at_once_after_a_full_batch_and_sleeps_when_the_mailbox_is_empty(mailbox, sleeps):
    alice = UserFactory()
    mailbox.deliver(message(sender=alice.email, to=INTAKE, subject="First"))
    mailbox.deliver(message(sender=alice.email, to=INTAKE, subject="Second"))

    output = fetch_mail("--loop", "--limit", "1", "--interval", "5")

    assert output == summary(fetched=1, processed=1) * 2 + summary() * 2 + "Stopped.\n"
    assert sleeps == [5, 5]
    assert Ticket.objects.count() == 2


def test_the_loop_waits_after_a_full_batch_with_a_failed_message(mailbox, sleeps, monkeypatch):
    """Else the failed message would be fetched again at once, forever."""
    mailbox.deliver(message(sender=UserFactory().email, to=INTAKE, subject="Breaks the gateway"))

    def ingest_breaking(raw: bytes, *, source: InboundSource) -> InboundMessage:
        raise RuntimeError("a bug in the gateway")

    monkeypatch.setattr(imap, "ingest_message", ingest_breaking)

    output = fetch_mail("--loop", "--limit", "1", "--interval", "5")

    assert output == summary(fetched=1, errors=1) * 2 + "Stopped.\n"
    assert sleeps == [5, 5]
    assert mailbox.flags() == {"Breaks the gateway": set()}


def test_the_loop_survives_a_failing_server(settings, sleeps):
    settings.MAIL_IMAP_URL = "imap://someone:secret@127.0.0.1:1/INBOX"
    errors = StringIO()

    call_command("fetch_mail", "--loop", stdout=StringIO(), stderr=errors)

    assert sleeps == [60, 60]
    assert errors.getvalue().count("fetch_mail: INBOX of someone at 127.0.0.1:1 (plain): ") == 2


# --- settings and options ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "imaps://support%40example.com:p%40ss%3Aword%2F@imap.example.com/INBOX",
            ("ssl", "imap.example.com", 993, "support@example.com", "p@ss:word/", "INBOX"),
        ),
        ("imap+ssl://u:p@imap.example.com:1993/Help%20desk", ("ssl", "imap.example.com", 1993, "u", "p", "Help desk")),
        ("imap+starttls://u:p@mail.internal", ("starttls", "mail.internal", 143, "u", "p", "INBOX")),
        ("IMAP://u:p@127.0.0.1:14300/", ("plain", "127.0.0.1", 14300, "u", "p", "INBOX")),
        ("imaps://u@[::1]/Tickets/In", ("ssl", "::1", 993, "u", "", "Tickets/In")),
    ],
)
def test_the_imap_url_is_read(url, expected):
    address = parse_imap_url(url)

    assert (address.security, address.host, address.port, address.user, address.password, address.folder) == expected


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("pop3://u:p@host/INBOX", "unknown scheme 'pop3'"),
        ("imaps:///INBOX", "names no host"),
        ("imaps://host/INBOX", "names no user"),
        ("imaps://u:p@host:99999/INBOX", "the port is not a number"),
    ],
)
def test_a_bad_imap_url_is_refused_with_what_is_wrong(settings, url, error):
    settings.MAIL_IMAP_URL = url

    with pytest.raises(CommandError, match=error) as failure:
        fetch_mail()

    assert failure.value.returncode == 2


def test_the_address_never_shows_its_password():
    address = ImapMailboxAddress(ImapSecurity.SSL, "imap.example.com", 993, "u", "s3cret-password", "INBOX")

    assert "s3cret-password" not in repr(address)
    assert str(address) == "INBOX of u at imap.example.com:993 (ssl)"


@pytest.mark.parametrize(
    ("options", "url", "token", "error"),
    [
        (("--limit", "0"), "imaps://u:p@host/INBOX", "", "--limit must be at least 1"),
        (("--loop", "--interval", "0"), "imaps://u:p@host/INBOX", "", "--interval must be at least 1"),
        ((), "", "", "MAIL_IMAP_URL is not set"),
        ((), "imaps://u@host/INBOX", "", "no password, and neither MAIL_IMAP_OAUTH2_TOKEN nor"),
    ],
)
def test_bad_options_and_settings_are_refused_before_connecting(settings, options, url, token, error):
    settings.MAIL_IMAP_URL, settings.MAIL_IMAP_OAUTH2_TOKEN = url, token

    with pytest.raises(CommandError, match=error) as failure:
        fetch_mail(*options)

    assert failure.value.returncode == 2
