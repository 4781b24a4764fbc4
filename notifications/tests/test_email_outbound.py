"""Outbound mail as a mail client gets it: each event goes through the API, the e-mail task sends it with Django's SMTP
backend to a real SMTP server (aiosmtpd, notifications/tests/smtp_server.py), and the tests read the bytes it received:
subject, threading, reply and list headers, both bodies, the ticket, approval and unsubscribe links, and the tokens in
them read back by notifications.tokens. The default notification rules are active, as in production."""

import re
from email.message import EmailMessage
from typing import Any

import pytest

from approvals.models import ApprovalProcessStepApprover
from approvals.tests.factories import DelegationFactory, template_with
from notifications import tokens
from notifications.models import Channel, EmailStatus, Notification, NotificationEvent, NotificationRule
from notifications.tests.factories import NotificationRuleFactory
from notifications.tests.smtp_server import Received, SmtpServer
from tests.factories import RoleFactory, UserFactory
from tickets.models import Ticket, TicketStatus, TicketVisibility
from tickets.tests.factories import TicketFactory
from tickets.timeline_words import person_name

pytestmark = pytest.mark.django_db

SITE = "https://desk.example.org"
TITLE = "Printer on fire"


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "Help desk <desk@example.org>"


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """Run a request and then its on-commit callbacks (the e-mail task), as a committed request does."""

    def run(call: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            response = call()
        assert response.status_code in (200, 201), response.content
        return response

    return run


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content().replace("\r\n", "\n"), html.get_content()


def only_mail_to(server: SmtpServer, user: Any) -> tuple[Received, EmailMessage]:
    received = [message for message in server.messages if message.recipients == [user.email]]
    assert len(received) == 1, [message.recipients for message in server.messages]
    return received[0], received[0].parsed()


def link_token(link: str, route: str) -> str:
    match = re.fullmatch(rf"{re.escape(SITE)}/mail/{route}/([^/]+)/", link)
    assert match, link
    return match.group(1)


def resolve(client: Any, ticket: Ticket, comment: str = "") -> Any:
    return client.post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "resolved", "comment": comment}, format="json")


@pytest.fixture
def worked_ticket() -> tuple[Any, Any, Ticket]:
    creator, agent = UserFactory(), UserFactory(perms=["tickets.work_on_ticket"])
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS, created_by=creator, assignee=agent, title=TITLE)
    return creator, agent, ticket


def test_a_status_change_mail_names_the_ticket_threads_and_can_be_replied_to_and_unsubscribed(
    smtp_server: SmtpServer, client_for: Any, committed: Any, worked_ticket: Any
) -> None:
    creator, agent, ticket = worked_ticket

    committed(lambda: resolve(client_for(agent), ticket, "Replaced the toner <cartridge>"))

    received, message = only_mail_to(smtp_server, creator)
    assert received.sender == "desk@example.org"
    assert message["Subject"] == f"[{ticket.key}] {TITLE}"
    assert re.fullmatch(r"<[^<>@\s]+@example\.org>", message["Message-ID"])
    assert message["In-Reply-To"] == message["References"] == f"<ticket-{ticket.pk}@example.org>"
    assert message["Auto-Submitted"] == "auto-generated"
    reply_token = tokens.token_from_address(message["Reply-To"])
    assert reply_token is not None
    assert tokens.read_reply_token(reply_token) == tokens.ReplyToken(ticket_id=ticket.pk, user_id=creator.pk)

    unsubscribe = message["List-Unsubscribe"].strip()  # Python keeps the space of the folded line
    assert unsubscribe.startswith("<") and unsubscribe.endswith(">")
    unsubscribe_link = unsubscribe[1:-1]
    assert tokens.read_unsubscribe_token(link_token(unsubscribe_link, "unsubscribe")) == tokens.UnsubscribeToken(
        user_id=creator.pk, event_type=NotificationEvent.STATUS_CHANGED
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The link as written, folded onto a line of its own rather than hidden in RFC 2047 encoded words.
    assert f"List-Unsubscribe:\r\n <{unsubscribe_link}>\r\n".encode() in received.raw

    text, html = bodies(message)
    ticket_link = f"{SITE}/tickets/{ticket.key}/"
    said = f"{person_name(agent)} moved the ticket from In progress to Resolved: Replaced the toner <cartridge>"
    assert said in text
    assert f"{ticket.key} {TITLE}" in text
    assert f"Open the ticket: {ticket_link}" in text
    assert "Reply to this e-mail to add a comment to the ticket." in text
    assert unsubscribe_link in text
    assert f"Choose which e-mails you get: {SITE}/notifications/preferences/" in text
    assert "Replaced the toner &lt;cartridge&gt;" in html and "<cartridge>" not in html
    assert f'href="{ticket_link}"' in html
    assert f'href="{unsubscribe_link}"' in html
    assert f'href="{SITE}/notifications/preferences/"' in html
    assert Notification.objects.get(recipient=creator).email_status == EmailStatus.SENT


def test_the_mails_of_one_ticket_are_one_thread_each_with_its_own_message_id(
    smtp_server: SmtpServer, client_for: Any, committed: Any, worked_ticket: Any
) -> None:
    creator, agent, ticket = worked_ticket
    other = TicketFactory(status=TicketStatus.IN_PROGRESS, created_by=creator, assignee=agent)
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=[Channel.EMAIL])
    comment = f"/api/v1/tickets/{ticket.pk}/comments/"

    committed(lambda: client_for(agent).post(comment, {"note": "Toner ordered."}, format="json"))
    committed(lambda: client_for(agent).post(comment, {"note": "Toner arrived."}, format="json"))
    committed(lambda: resolve(client_for(agent), other))

    first, second, elsewhere = (received.parsed() for received in smtp_server.messages)
    thread = f"<ticket-{ticket.pk}@example.org>"
    assert (first["References"], second["References"], elsewhere["References"]) == (
        thread,
        thread,
        f"<ticket-{other.pk}@example.org>",
    )
    assert len({first["Message-ID"], second["Message-ID"], elsewhere["Message-ID"]}) == 3
    # A comment reads as the timeline tells it, with its text: the mail is worth reading without opening the ticket.
    assert f"{person_name(agent)} commented: Toner ordered." in bodies(first)[0]
    assert f"{person_name(agent)} commented: Toner arrived." in bodies(second)[0]


def test_a_comment_redacted_before_its_mail_leaves_is_sent_redacted(
    smtp_server: SmtpServer, client_for: Any, django_capture_on_commit_callbacks: Any, worked_ticket: Any
) -> None:
    creator, agent, ticket = worked_ticket
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=[Channel.EMAIL])
    client = client_for(agent)
    with django_capture_on_commit_callbacks(execute=False) as mail_task:
        posted = client.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"note": "The password is hunter2"}, format="json")
    assert posted.status_code == 201, posted.content

    redact = f"/api/v1/tickets/{ticket.pk}/comments/{posted.json()['id']}/redact/"
    assert client.post(redact, {"reason": "A password"}, format="json").status_code == 200
    for callback in mail_task:  # the worker gets to the e-mail after the redaction
        callback()

    received, message = only_mail_to(smtp_server, creator)
    assert b"hunter2" not in received.raw
    assert f"{person_name(agent)} commented" in bodies(message)[0]


def approval_links(text: str) -> list[tuple[str, str]]:
    return re.findall(r"Approve: (\S+)\n\s*Reject: (\S+)", text)


def submit(client_for: Any, ticket: Ticket) -> Any:
    return client_for(ticket.created_by).post(
        f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "waiting_approval"}, format="json"
    )


def test_an_approver_gets_approve_and_reject_links_for_their_slot(
    smtp_server: SmtpServer, client_for: Any, committed: Any
) -> None:
    approver = UserFactory()
    ticket = TicketFactory(created_by=UserFactory(), title=TITLE, approval_template=template_with(("any", [approver])))

    committed(lambda: submit(client_for, ticket))

    _, message = only_mail_to(smtp_server, approver)
    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket)
    text, html = bodies(message)
    assert "Step 1" in text and "started: waiting for" in text  # the step as the timeline tells it
    [(approve, reject)] = approval_links(text)
    assert tokens.read_approval_token(link_token(approve, "approval")) == tokens.ApprovalToken(slot.pk, approver.pk, True)
    assert tokens.read_approval_token(link_token(reject, "approval")) == tokens.ApprovalToken(slot.pk, approver.pk, False)
    assert 'You may also reply to this e-mail with "approve", or "reject: <your reason>".' in text
    assert f'href="{approve}"' in html and f'href="{reject}"' in html
    assert "reject: your reason" in html


def test_an_approver_who_may_decide_two_slots_of_the_step_gets_links_for_each_named(
    smtp_server: SmtpServer, client_for: Any, committed: Any
) -> None:
    managers = RoleFactory(name="Managers")
    approver = UserFactory(roles=[managers])
    ticket = TicketFactory(created_by=UserFactory(), approval_template=template_with(("all", [approver, managers])))

    committed(lambda: submit(client_for, ticket))

    _, message = only_mail_to(smtp_server, approver)
    text, _ = bodies(message)
    by_user, by_role = ApprovalProcessStepApprover.objects.filter(ticket=ticket).order_by("id")
    assert f"{person_name(approver)}:\n  Approve: " in text and "Role Managers:\n  Approve: " in text
    assert [tokens.read_approval_token(link_token(approve, "approval")) for approve, _ in approval_links(text)] == [
        tokens.ApprovalToken(by_user.pk, approver.pk, True),
        tokens.ApprovalToken(by_role.pk, approver.pk, True),
    ]


def test_a_delegate_gets_the_links_of_the_slot_they_stand_in_for(
    smtp_server: SmtpServer, client_for: Any, committed: Any
) -> None:
    approver, deputy = UserFactory(), UserFactory()
    DelegationFactory(delegator=approver, delegate=deputy)
    ticket = TicketFactory(created_by=UserFactory(), approval_template=template_with(("any", [approver])))

    committed(lambda: submit(client_for, ticket))

    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket)
    for person in (approver, deputy):
        _, message = only_mail_to(smtp_server, person)
        text, _ = bodies(message)
        [(approve, reject)] = approval_links(text)
        # Each link acts as its recipient: the deputy's decision is recorded as theirs, for the approver.
        assert tokens.read_approval_token(link_token(approve, "approval")) == tokens.ApprovalToken(slot.pk, person.pk, True)
        assert tokens.read_approval_token(link_token(reject, "approval")) == tokens.ApprovalToken(slot.pk, person.pk, False)
    _, deputy_mail = only_mail_to(smtp_server, deputy)
    assert f"for {person_name(approver)} (you stand in for them)" in bodies(deputy_mail)[0]


def test_other_recipients_of_an_approval_mail_get_no_approval_links(
    smtp_server: SmtpServer, client_for: Any, committed: Any
) -> None:
    approver, watcher = UserFactory(), UserFactory(perms=["tickets.view_all_tickets"])
    ticket = TicketFactory(created_by=UserFactory(), approval_template=template_with(("any", [approver])))
    NotificationRuleFactory(event_type=NotificationEvent.APPROVAL_REQUESTED, users=[watcher], channels=[Channel.EMAIL])

    committed(lambda: submit(client_for, ticket))

    _, message = only_mail_to(smtp_server, watcher)
    text, html = bodies(message)
    assert approval_links(text) == []
    assert "/mail/approval/" not in text + html


def test_an_event_type_turned_off_sends_no_mail_but_keeps_the_inbox(
    smtp_server: SmtpServer, client_for: Any, committed: Any, worked_ticket: Any
) -> None:
    creator, agent, ticket = worked_ticket
    response = client_for(creator).patch("/api/v1/me/notification-preferences/", {"status_changed": False}, format="json")
    assert response.status_code == 200, response.content

    committed(lambda: resolve(client_for(agent), ticket))

    assert smtp_server.messages == []
    notification = Notification.objects.get(recipient=creator)
    assert (notification.event_type, notification.in_app) == (NotificationEvent.STATUS_CHANGED, True)
    assert notification.email_status == EmailStatus.NOT_REQUESTED
    assert client_for(creator).get("/api/v1/notifications/").json()["count"] == 1

    # Turned on again, the next change mails again.
    client_for(creator).patch("/api/v1/me/notification-preferences/", {"status_changed": True}, format="json")
    committed(lambda: client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "closed"}))
    only_mail_to(smtp_server, creator)


def test_a_rule_asking_only_for_e_mail_gives_nothing_to_who_turned_it_off(
    smtp_server: SmtpServer, client_for: Any, committed: Any, worked_ticket: Any
) -> None:
    creator, agent, ticket = worked_ticket
    NotificationRule.objects.filter(event_type=NotificationEvent.COMMENT_ADDED).update(is_active=False)  # the in-app one
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=[Channel.EMAIL])
    client_for(creator).patch("/api/v1/me/notification-preferences/", {"comment_added": False}, format="json")

    committed(lambda: client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/comments/", {"note": "Done."}, format="json"))

    assert smtp_server.messages == []
    assert not Notification.objects.filter(recipient=creator, event_type=NotificationEvent.COMMENT_ADDED).exists()


def test_a_requester_who_cannot_see_the_ticket_hears_the_decision_without_its_title_or_links(
    smtp_server: SmtpServer, client_for: Any, committed: Any
) -> None:
    requester = UserFactory()
    ticket = TicketFactory(title=TITLE, visibility=TicketVisibility.RESTRICTED)
    asked = committed(
        lambda: client_for(requester).post(f"/api/v1/tickets/{ticket.pk}/access-requests/", {"reason": "I fix printers"})
    )

    deny = f"/api/v1/access-requests/{asked.json()['id']}/deny/"
    committed(lambda: client_for(ticket.created_by).post(deny, {"comment": "No"}))

    received, message = only_mail_to(smtp_server, requester)
    assert message["Subject"] == f"[Ticket #{ticket.pk}] Access decided"
    assert message["Reply-To"] is None
    raw = received.raw.decode()
    for secret in (TITLE, ticket.key, "/tickets/", "/mail/approval/"):
        assert secret not in raw
    text, _ = bodies(message)
    assert f"denied the request of {requester.username} for access to ticket #{ticket.pk}." in text
    assert message["In-Reply-To"] == f"<ticket-{ticket.pk}@example.org>"
    assert tokens.read_unsubscribe_token(link_token(message["List-Unsubscribe"].strip()[1:-1], "unsubscribe")) == (
        tokens.UnsubscribeToken(user_id=requester.pk, event_type=NotificationEvent.ACCESS_DECIDED)
    )
