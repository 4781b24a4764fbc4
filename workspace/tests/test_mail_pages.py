"""The pages mail links open, and the e-mail preferences page.

Approval by link: GET shows the request and asks to confirm (never acts: mail scanners follow links), POST decides as
the token's user (signed in or not; as proxy for a delegate), recorded "by e-mail"; every refusal is a clear page with
its status that changes nothing. Unsubscribe: GET asks, POST (our button or a mail client's RFC 8058 one-click, without
CSRF token or session) turns that e-mail off. Preferences: every event type with an e-mail checkbox.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client, override_settings
from django.utils.html import escape

from approvals.models import ApprovalProcessStepApprover as Slot
from approvals.models import ProcessStatus, SlotStatus
from approvals.services import approval_decide
from approvals.tests.factories import DelegationFactory, template_with
from mailgate import approval_links
from notifications import selectors as notification_selectors
from notifications.models import NotificationEvent, NotificationPreference
from notifications.tokens import approval_token, unsubscribe_token
from tests.factories import RoleFactory, UserFactory
from tickets.models import EventType, TicketNote, TicketStatus, TicketVisibility
from tickets.services import tickets as ticket_services
from tickets.tests.factories import TicketFactory
from tickets.timeline_words import describe_all

pytestmark = pytest.mark.django_db


def named(username: str):
    return UserFactory(username=username, first_name=username.capitalize(), last_name="")


def submitted(creator, *steps, **fields):
    """A restricted ticket of `creator` waiting for the approval described by `steps` (as template_with)."""
    ticket = TicketFactory(
        created_by=creator, visibility=TicketVisibility.RESTRICTED, approval_template=template_with(*steps), **fields
    )
    ticket_services.ticket_transition(ticket=ticket, actor=creator, to_status=TicketStatus.WAITING_APPROVAL)
    ticket.refresh_from_db()
    return ticket


def approval_url(slot: Slot, user, *, approve: bool) -> str:
    return f"/mail/approval/{approval_token(slot_id=slot.pk, user_id=user.pk, approve=approve)}/"


def unsubscribe_url(user, event_type: str) -> str:
    return f"/mail/unsubscribe/{unsubscribe_token(user_id=user.pk, event_type=event_type)}/"


def decisions(ticket) -> list[TicketNote]:
    events = [EventType.APPROVAL_GIVEN, EventType.APPROVAL_REJECTED]
    return list(TicketNote.objects.filter(ticket=ticket, event_type__in=events).order_by("id"))


def state_of(ticket) -> tuple:
    """Everything a decision would change: the ticket's status, its slots and its timeline."""
    ticket.refresh_from_db()
    slots = list(Slot.all_objects.filter(ticket=ticket).order_by("id").values_list("status", "acted_by", "comment"))
    return ticket.status, slots, TicketNote.objects.filter(ticket=ticket).count()


@pytest.fixture
def people():
    return {name: named(name) for name in ("rita", "erin", "frank", "dave", "olga")}


@pytest.fixture
def request_for_erin(people):
    """Rita's "Standing desk" (restricted), waiting for Erin's approval."""
    ticket = submitted(people["rita"], ("all", [people["erin"]]), title="Standing desk")
    return ticket, Slot.objects.get(ticket=ticket)


# --- approval by link: deciding ------------------------------------------------------------------------------------


def test_approving_by_link_asks_first_then_decides_as_the_tokens_user_by_email(people, request_for_erin):
    ticket, slot = request_for_erin
    url = approval_url(slot, people["erin"], approve=True)
    anonymous = Client()
    before = state_of(ticket)

    confirmation = anonymous.get(url)

    body = confirmation.content.decode()
    assert confirmation.status_code == 200
    assert f"Approve {ticket.key}?" in body
    assert "Standing desk" in body
    assert "Step 1" in body
    assert "Nothing is decided until you confirm below." in body
    assert f'<form class="decision" method="post" action="{url}">' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert state_of(ticket) == before

    done = anonymous.post(url, {"comment": "Good for the back"})

    assert done.status_code == 200
    assert f'You approved <a href="/tickets/{ticket.key}/">{ticket.key}</a>' in done.content.decode()
    slot.refresh_from_db()
    ticket.refresh_from_db()
    assert (slot.status, slot.acted_by, slot.on_behalf_of, slot.comment) == (
        SlotStatus.APPROVED,
        people["erin"],
        None,
        "Good for the back",
    )
    assert ticket.status == TicketStatus.OPEN
    [decision] = decisions(ticket)
    assert decision.event_details["via"] == "email"
    assert describe_all([decision])[0].text == 'Erin approved "Step 1" by e-mail: Good for the back'


def test_the_ticket_page_tells_the_decision_by_email(page_for, people, request_for_erin):
    ticket, slot = request_for_erin
    Client().post(approval_url(slot, people["erin"], approve=True), {"comment": ""})

    body = page_for(people["erin"]).get(f"/tickets/{ticket.key}/").content.decode()

    assert "<em>Step 1</em> by e-mail" in body


def test_rejecting_by_link_needs_a_reason_and_then_rejects(people, request_for_erin):
    ticket, slot = request_for_erin
    url = approval_url(slot, people["erin"], approve=False)
    client = Client()
    before = state_of(ticket)

    confirmation = client.get(url).content.decode()
    without_reason = client.post(url, {"comment": "  "})

    assert f"Reject {ticket.key}?" in confirmation
    assert re.search(r'<textarea name="comment"[^>]*required', confirmation)
    assert without_reason.status_code == 200
    assert "This field is required." in without_reason.content.decode()
    assert state_of(ticket) == before

    rejected = client.post(url, {"comment": "No budget this year"})

    assert rejected.status_code == 200
    assert "You rejected" in rejected.content.decode()
    slot.refresh_from_db()
    ticket.refresh_from_db()
    assert (slot.status, slot.comment, ticket.status) == (SlotStatus.REJECTED, "No budget this year", TicketStatus.REJECTED)
    assert describe_all(decisions(ticket))[0].text == 'Erin rejected "Step 1" by e-mail: No budget this year'


def test_the_token_user_signed_in_decides_too(page_for, people, request_for_erin):
    _, slot = request_for_erin
    client = page_for(people["erin"])
    url = approval_url(slot, people["erin"], approve=True)

    assert client.get(url).status_code == 200
    assert client.post(url, {"comment": ""}).status_code == 200

    slot.refresh_from_db()
    assert (slot.status, slot.acted_by) == (SlotStatus.APPROVED, people["erin"])


def test_the_form_is_protected_by_csrf_without_a_session(people, request_for_erin):
    ticket, slot = request_for_erin
    url = approval_url(slot, people["erin"], approve=True)
    browser = Client(enforce_csrf_checks=True)
    before = state_of(ticket)

    page = browser.get(url).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    forged_elsewhere = browser.post(url, {"comment": ""})

    assert forged_elsewhere.status_code == 403
    assert state_of(ticket) == before

    confirmed = browser.post(url, {"comment": "", "csrfmiddlewaretoken": csrf})

    assert confirmed.status_code == 200
    slot.refresh_from_db()
    assert slot.status == SlotStatus.APPROVED


def test_a_delegates_link_decides_as_proxy(people):
    DelegationFactory(delegator=people["frank"], delegate=people["dave"])
    ticket = submitted(people["rita"], ("all", [people["frank"]]), title="Conference trip")
    slot = Slot.objects.get(ticket=ticket)
    url = approval_url(slot, people["dave"], approve=True)
    client = Client()

    confirmation = client.get(url).content.decode()
    done = client.post(url, {"comment": "Frank is away; fine"})

    assert "Dave, as proxy for Frank" in confirmation
    assert "for Frank" in done.content.decode()
    slot.refresh_from_db()
    assert (slot.status, slot.acted_by, slot.on_behalf_of) == (SlotStatus.APPROVED, people["dave"], people["frank"])
    assert describe_all(decisions(ticket))[0].text == 'Dave approved "Step 1" for Frank by e-mail: Frank is away; fine'


def test_a_role_members_link_decides_through_the_role(people):
    role = RoleFactory(name="Facilities")
    people["olga"].groups.add(role)
    ticket = submitted(people["rita"], ("all", [role]))
    slot = Slot.objects.get(ticket=ticket)

    Client().post(approval_url(slot, people["olga"], approve=True), {"comment": ""})

    slot.refresh_from_db()
    assert (slot.status, slot.acted_by) == (SlotStatus.APPROVED, people["olga"])


# --- approval by link: refusals ------------------------------------------------------------------------------------


def assert_refused(response, status: int, headline: str, ticket) -> None:
    body = response.content.decode()
    assert response.status_code == status, body
    assert escape(headline) in body
    assert ticket.key not in body
    assert ticket.title not in body


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_link_is_not_valid(people, request_for_erin, method):
    ticket, _ = request_for_erin
    before = state_of(ticket)

    response = getattr(Client(), method)("/mail/approval/not-a-token/", {"comment": "x"})

    assert_refused(response, 404, "This link is not valid", ticket)
    assert state_of(ticket) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_with_another_users_id_fails_the_signature(people, request_for_erin, method):
    ticket, slot = request_for_erin
    real = approval_token(slot_id=slot.pk, user_id=people["erin"].pk, approve=True)
    _, stamp, signature = real.split(":")
    payload = approval_token(slot_id=slot.pk, user_id=people["dave"].pk, approve=True).split(":")[0]
    before = state_of(ticket)

    response = getattr(Client(), method)(f"/mail/approval/{payload}:{stamp}:{signature}/", {"comment": "x"})

    assert_refused(response, 404, "This link is not valid", ticket)
    assert state_of(ticket) == before


@override_settings(MAIL_APPROVAL_LINK_MAX_AGE_DAYS=7)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_is_gone(people, request_for_erin, method):
    ticket, slot = request_for_erin
    with mock.patch("django.core.signing.time.time", return_value=time.time() - timedelta(days=8).total_seconds()):
        url = approval_url(slot, people["erin"], approve=True)
    before = state_of(ticket)

    response = getattr(Client(), method)(url, {"comment": "x"})

    assert_refused(response, 410, "This link has expired", ticket)
    assert state_of(ticket) == before


def test_a_used_link_cannot_be_replayed(people, request_for_erin):
    ticket, slot = request_for_erin
    url = approval_url(slot, people["erin"], approve=True)
    Client().post(url, {"comment": "First"})
    after_first = state_of(ticket)

    replay = Client().post(url, {"comment": "Second"})
    reopened = Client().get(url)

    assert_refused(replay, 409, "Already decided", ticket)
    assert "already decided (approved)" in replay.content.decode()
    assert_refused(reopened, 409, "Already decided", ticket)
    assert state_of(ticket) == after_first


def test_the_other_decisions_link_after_deciding_is_refused(people, request_for_erin):
    ticket, slot = request_for_erin
    Client().post(approval_url(slot, people["erin"], approve=True), {"comment": ""})
    after = state_of(ticket)

    response = Client().post(approval_url(slot, people["erin"], approve=False), {"comment": "Changed my mind"})

    assert_refused(response, 409, "Already decided", ticket)
    assert state_of(ticket) == after


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_person_signed_in_is_refused(page_for, people, request_for_erin, method):
    ticket, slot = request_for_erin
    before = state_of(ticket)

    response = getattr(page_for(people["dave"]), method)(approval_url(slot, people["erin"], approve=True), {"comment": ""})

    assert_refused(response, 403, "This link is someone else's", ticket)
    assert state_of(ticket) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_inactive_users_link_is_refused(people, request_for_erin, method):
    ticket, slot = request_for_erin
    people["erin"].is_active = False
    people["erin"].save(update_fields=["is_active"])
    before = state_of(ticket)

    response = getattr(Client(), method)(approval_url(slot, people["erin"], approve=True), {"comment": ""})

    assert_refused(response, 403, "This link can no longer be used", ticket)
    assert state_of(ticket) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_no_longer_eligible_is_refused(people, method):
    role = RoleFactory()
    people["olga"].groups.add(role)
    ticket = submitted(people["rita"], ("all", [role]))
    slot = Slot.objects.get(ticket=ticket)
    people["olga"].groups.remove(role)
    before = state_of(ticket)

    response = getattr(Client(), method)(approval_url(slot, people["olga"], approve=True), {"comment": ""})

    assert_refused(response, 403, "You can no longer decide this", ticket)
    assert state_of(ticket) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cancelled_process_is_refused(people, request_for_erin, method):
    ticket, slot = request_for_erin
    ticket_services.ticket_transition(ticket=ticket, actor=people["rita"], to_status=TicketStatus.DRAFT)
    before = state_of(ticket)

    response = getattr(Client(), method)(approval_url(slot, people["erin"], approve=True), {"comment": ""})

    assert_refused(response, 409, "The request was withdrawn", ticket)
    assert Slot.all_objects.get(pk=slot.pk).process.status == ProcessStatus.CANCELLED
    assert state_of(ticket) == before


def test_a_decision_made_elsewhere_after_the_link_was_read_is_the_services_409_page(people, request_for_erin):
    """The link was fine when read; another decision came first: approval_decide refuses under its locks and the
    workspace's error page says so with its status (not a 500)."""
    _, slot = request_for_erin
    read = approval_links.approval_link

    def read_then_someone_decides(*args, **kwargs):
        link = read(*args, **kwargs)
        approval_decide(slot=slot, actor=people["erin"], approve=False, comment="From the approvals page")
        return link

    with mock.patch.object(approval_links, "approval_link", side_effect=read_then_someone_decides):
        response = Client().post(approval_url(slot, people["erin"], approve=True), {"comment": "From the mail"})

    body = response.content.decode()
    assert response.status_code == 409
    assert "Not possible right now" in body
    assert "This approval process is rejected; nothing can be decided." in body
    slot.refresh_from_db()
    assert (slot.status, slot.comment) == (SlotStatus.REJECTED, "From the approvals page")


def test_mail_scanners_following_every_link_change_nothing(people, request_for_erin):
    ticket, slot = request_for_erin
    links = [
        approval_url(slot, people["erin"], approve=True),
        approval_url(slot, people["erin"], approve=False),
        unsubscribe_url(people["erin"], NotificationEvent.APPROVAL_REQUESTED),
    ]
    before = state_of(ticket), list(NotificationPreference.objects.values_list("user", "event_type", "email"))
    scanner = Client()

    statuses = [getattr(scanner, method)(url).status_code for url in links for method in ("get", "head", "get")]

    assert statuses == [200] * 9
    assert (state_of(ticket), list(NotificationPreference.objects.values_list("user", "event_type", "email"))) == before


def test_other_methods_are_not_allowed(people, request_for_erin):
    _, slot = request_for_erin

    assert Client().put(approval_url(slot, people["erin"], approve=True)).status_code == 405
    assert Client().delete(unsubscribe_url(people["erin"], NotificationEvent.COMMENT_ADDED)).status_code == 405


# --- unsubscribe ---------------------------------------------------------------------------------------------------


def wants(user, event_type: str) -> bool:
    return notification_selectors.email_preferences(user)[event_type]


def test_unsubscribe_asks_then_turns_that_email_off(people):
    url = unsubscribe_url(people["erin"], NotificationEvent.COMMENT_ADDED)
    client = Client()

    question = client.get(url)

    body = question.content.decode()
    assert question.status_code == 200
    assert "Stop e-mails about “Comment added”?" in body
    assert f'<form method="post" action="{url}">' in body
    assert wants(people["erin"], NotificationEvent.COMMENT_ADDED)

    done = client.post(url)

    assert done.status_code == 200
    assert "will no longer get e-mails about “Comment added”" in done.content.decode()
    assert not wants(people["erin"], NotificationEvent.COMMENT_ADDED)
    assert wants(people["erin"], NotificationEvent.STATUS_CHANGED)
    preference = NotificationPreference.objects.get(user=people["erin"])
    assert (preference.event_type, preference.email, preference.created_by) == ("comment_added", False, None)


def test_one_click_unsubscribe_from_a_mail_client_needs_no_csrf_token_or_session(people):
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        unsubscribe_url(people["erin"], NotificationEvent.STATUS_CHANGED),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not wants(people["erin"], NotificationEvent.STATUS_CHANGED)


def test_unsubscribing_twice_is_fine(people):
    url = unsubscribe_url(people["erin"], NotificationEvent.COMMENT_ADDED)

    assert [Client().post(url).status_code for _ in range(2)] == [200, 200]
    assert NotificationPreference.objects.filter(user=people["erin"]).count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_unsubscribe_link_is_not_valid_and_changes_nothing(people, method):
    real = unsubscribe_token(user_id=people["erin"].pk, event_type=NotificationEvent.COMMENT_ADDED)
    payload = unsubscribe_token(user_id=people["dave"].pk, event_type=NotificationEvent.COMMENT_ADDED).split(":")[0]
    forged = f"{payload}:{real.split(':', 1)[1]}"

    responses = [getattr(Client(), method)(f"/mail/unsubscribe/{token}/") for token in (forged, "garbage")]

    for response in responses:
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_inactive_users_or_unknown_event_types_unsubscribe_link_is_not_valid(people, method):
    people["erin"].is_active = False
    people["erin"].save(update_fields=["is_active"])
    urls = [unsubscribe_url(people["erin"], NotificationEvent.COMMENT_ADDED), unsubscribe_url(people["dave"], "no_such")]

    statuses = [getattr(Client(), method)(url).status_code for url in urls]

    assert statuses == [404, 404]
    assert not NotificationPreference.objects.exists()


# --- e-mail preferences --------------------------------------------------------------------------------------------

PREFERENCES = "/notifications/preferences/"


def test_preferences_need_signing_in():
    response = Client().get(PREFERENCES)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={PREFERENCES}"


def test_preferences_list_every_event_type_checked_by_default(page_for, people):
    response = page_for(people["erin"]).get(PREFERENCES)

    body = response.content.decode()
    assert response.status_code == 200
    for event_type, label in NotificationEvent.choices:
        assert re.search(rf'<input type="checkbox" name="{event_type}"[^>]*checked', body), event_type
        assert label in body


def test_saving_preferences_turns_emails_off_and_on(page_for, people):
    client = page_for(people["erin"])
    wanted = [value for value in NotificationEvent.values if value not in ("comment_added", "sla_warning")]

    saved = client.post(PREFERENCES, dict.fromkeys(wanted, "on"), follow=True)

    assert "Your e-mail preferences are saved." in saved.content.decode()
    preferences = notification_selectors.email_preferences(people["erin"])
    assert [event for event, email in preferences.items() if not email] == ["comment_added", "sla_warning"]
    body = client.get(PREFERENCES).content.decode()
    assert re.search(r'<input type="checkbox" name="comment_added"(?![^>]*checked)[^>]*>', body)

    client.post(PREFERENCES, dict.fromkeys([*wanted, "comment_added"], "on"))

    preferences = notification_selectors.email_preferences(people["erin"])
    assert [event for event, email in preferences.items() if not email] == ["sla_warning"]
    assert not NotificationPreference.objects.filter(user=people["dave"]).exists()


def test_saving_unchanged_preferences_changes_nothing(page_for, people):
    response = page_for(people["erin"]).post(PREFERENCES, dict.fromkeys(NotificationEvent.values, "on"), follow=True)

    assert "Nothing changed." in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_the_inbox_and_the_account_menu_link_to_the_preferences(page_for, people):
    body = page_for(people["erin"]).get("/notifications/").content.decode()

    assert body.count(f'href="{PREFERENCES}"') == 2
