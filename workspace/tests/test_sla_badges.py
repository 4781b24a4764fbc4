"""Service levels in the queues and on the ticket page (docs/workspace/service-levels.md): a badge per row in words
(status and time to or since the due moment), the SLA filter and sorts, the "At risk" queue, and the ticket page's
panel with the policy and its targets. SLA figures are set on the rows directly: the clock is the sla app's, tested
there; these tests read what it stores."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from sla.tests.factories import SlaPolicyFactory
from tests.factories import UserFactory
from tickets.models import SlaStatus, Ticket, TicketStatus
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory
from workspace.templatetags.sla_badges import span

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<a class="key" href="[^"]*">([^<]+)</a></td>.*?<td data-label="Status">(.*?)</td>', re.S)
SLA_LINE = re.compile(r'<span class="sla-line">(.*)</span>', re.S)
TAG = re.compile(r"<[^>]+>")
BLOCK_END = re.compile(r"</(?:dt|dd|h\d|p|th|td|li)>")
MARGIN = timedelta(seconds=30)  # a due time this much past a whole minute still reads as that minute


def words(html: str) -> str:
    return " ".join(TAG.sub("", BLOCK_END.sub(" ", html)).split())


def badges_on(response: Any) -> dict[str, str]:
    """Each row's key -> its service-level badge (under the status) in words, as a screen reader reads it (the hidden
    prefix included); "" for a ticket without a service level."""
    return {key: words("".join(SLA_LINE.findall(cell))) for key, cell in ROW.findall(response.content.decode())}


def with_sla(key: str, *, status: str = TicketStatus.OPEN, **sla: Any) -> Ticket:
    """A ticket with service-level figures as the sla app's clock stores them (set on the row, like the clock does)."""
    ticket = TicketFactory(key=key, status=status)
    Ticket.objects.filter(pk=ticket.pk).update(**sla)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def agent():
    return UserFactory(username="agent", perms=["tickets.work_on_ticket"])


# --- the wording -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0.5, "under 1 min"), (1, "1 min"), (35, "35 min"), (60, "1 h"), (130, "2 h 10 min"), (1440, "1 d"), (1500, "1 d 1 h")],
)
def test_a_span_is_said_in_at_most_two_units(minutes, expected):
    assert span(minutes) == expected


def test_each_row_says_its_service_level_in_words(agent, page_for):
    now = timezone.now()
    with_sla(
        "ON-TRACK",
        sla_status=SlaStatus.OK,
        first_response_due_at=now + timedelta(hours=5),
        resolution_due_at=now + timedelta(hours=2, minutes=10) + MARGIN,
    )
    with_sla("ANSWER-SOON", sla_status=SlaStatus.WARNING, first_response_due_at=now + timedelta(minutes=25) + MARGIN)
    with_sla(
        "LATE",
        status=TicketStatus.IN_PROGRESS,
        sla_status=SlaStatus.BREACHED,
        first_responded_at=now - timedelta(hours=3),
        first_response_due_at=now - timedelta(hours=2),
        resolution_due_at=now - timedelta(minutes=35) - MARGIN,
    )
    with_sla(
        "ANSWERED-LATE",
        status=TicketStatus.IN_PROGRESS,
        sla_status=SlaStatus.BREACHED,
        first_responded_at=now - timedelta(minutes=10),
        first_response_due_at=now - timedelta(minutes=20),
        resolution_due_at=now + timedelta(hours=1) + MARGIN,
    )
    with_sla("WAITING", sla_status=SlaStatus.PAUSED, sla_remaining_minutes=200)
    with_sla("DONE", status=TicketStatus.RESOLVED, sla_status=SlaStatus.MET, resolution_due_at=now + timedelta(hours=1))
    with_sla("DONE-LATE", status=TicketStatus.RESOLVED, sla_status=SlaStatus.BREACHED, resolution_due_at=now)
    TicketFactory(key="NO-SLA", status=TicketStatus.OPEN)

    badges = badges_on(page_for(agent).get("/queues/all/"))

    assert badges == {
        "ON-TRACK": "Service level: On track: resolution due in 2 h 10 min",
        "ANSWER-SOON": "Service level: Warning: first response due in 25 min",
        "LATE": "Service level: Breached 35 min ago (resolution)",
        "ANSWERED-LATE": "Service level: Breached: resolution due in 1 h",
        "WAITING": "Service level: Paused",
        "DONE": "Service level: Met",
        "DONE-LATE": "Service level: Breached",
        "NO-SLA": "",
    }


def test_a_badge_carries_its_status_as_a_class_and_the_exact_due_time(agent, page_for):
    due = timezone.now() + timedelta(hours=1)
    with_sla("SOON", sla_status=SlaStatus.WARNING, resolution_due_at=due)

    body = page_for(agent).get("/queues/all/").content.decode()

    assert '<span class="badge sla sla-warning">' in body
    assert f'<time datetime="{due.isoformat()}" title="{due:%Y-%m-%d %H:%M} UTC">due in 59 min</time>' in body


# --- filters, sorts and the At risk queue ----------------------------------------------------------------------------


@pytest.fixture
def risky():
    now = timezone.now()
    return {
        "BREACHED": with_sla("BREACHED", sla_status=SlaStatus.BREACHED, resolution_due_at=now - timedelta(hours=1)),
        "WARNED": with_sla(
            "WARNED", status=TicketStatus.IN_PROGRESS, sla_status=SlaStatus.WARNING, resolution_due_at=now + timedelta(hours=1)
        ),
        "FINE": with_sla("FINE", sla_status=SlaStatus.OK, resolution_due_at=now + timedelta(minutes=30)),
        "PAUSED-BREACHED": with_sla("PAUSED-BREACHED", sla_status=SlaStatus.BREACHED),  # no due time while paused
        "RESOLVED-LATE": with_sla("RESOLVED-LATE", status=TicketStatus.RESOLVED, sla_status=SlaStatus.BREACHED),
        "NONE": with_sla("NONE"),
        "HIDDEN": RestrictedTicketFactory(key="HIDDEN", status=TicketStatus.OPEN, sla_status=SlaStatus.BREACHED),
    }


def test_at_risk_lists_open_work_nearly_or_already_late_soonest_due_first(agent, risky, page_for):
    response = page_for(agent).get("/queues/at-risk/")

    assert response.status_code == 200
    assert list(badges_on(response)) == ["BREACHED", "WARNED", "PAUSED-BREACHED"]  # no due time: last
    assert 'href="/queues/at-risk/" aria-current="page"' in response.content.decode()


def test_at_risk_is_a_work_queue_refused_to_a_requester(risky, page_for):
    response = page_for(UserFactory()).get("/queues/at-risk/")

    assert response.status_code == 403
    assert b"BREACHED" not in response.content


def test_an_auditor_reads_at_risk_with_the_restricted_tickets_they_see(risky, page_for):
    auditor = UserFactory(perms=["tickets.view_all_tickets"])

    response = page_for(auditor).get("/queues/at-risk/")

    assert response.status_code == 200
    assert "HIDDEN" in badges_on(response)


def test_the_sla_status_filter_narrows_a_queue(agent, risky, page_for):
    response = page_for(agent).get("/queues/all/", {"sla_status": ["ok", "paused"]})

    assert list(badges_on(response)) == ["FINE"]
    assert '<input type="checkbox" name="sla_status" value="ok" checked>' in response.content.decode()


def test_an_unknown_sla_status_is_a_400_page_saying_why(agent, risky, page_for):
    response = page_for(agent).get("/queues/all/", {"sla_status": "late"})

    assert response.status_code == 400
    assert "Service level:" in words(response.content.decode())
    assert badges_on(response) == {}


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("resolution_due_at", ["BREACHED", "FINE", "WARNED"]),
        ("-resolution_due_at", ["WARNED", "FINE", "BREACHED"]),
    ],
)
def test_sorting_by_resolution_due_puts_tickets_without_one_last(ordering, expected, agent, risky, page_for):
    response = page_for(agent).get("/queues/all/", {"ordering": ordering})

    keys = list(badges_on(response))
    assert keys[:3] == expected
    assert set(keys[3:]) == {"PAUSED-BREACHED", "RESOLVED-LATE", "NONE"}


def test_the_sort_select_offers_the_due_times_and_keeps_the_one_chosen(agent, risky, page_for):
    body = page_for(agent).get("/queues/all/", {"ordering": "-resolution_due_at"}).content.decode()

    assert '<option value="-resolution_due_at" selected>Resolution due, latest first</option>' in body
    assert '<option value="first_response_due_at">First response due, soonest first</option>' in body


# --- the ticket page -------------------------------------------------------------------------------------------------


def test_the_ticket_page_shows_the_policy_and_each_target(page_for):
    requester = UserFactory()
    policy = SlaPolicyFactory(name="Gold support", first_response_minutes=60, resolution_minutes=480)
    now = timezone.now()
    ticket = TicketFactory(key="GOLD-1", status=TicketStatus.IN_PROGRESS, created_by=requester)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_policy=policy,
        sla_status=SlaStatus.WARNING,
        first_response_due_at=now - timedelta(minutes=10),
        first_responded_at=now - timedelta(minutes=5),
        resolution_due_at=now + timedelta(hours=1) + MARGIN,
        sla_remaining_minutes=95,
    )

    response = page_for(requester).get("/tickets/GOLD-1/")

    text = words(response.content.decode())
    assert response.status_code == 200
    assert "Service level Service level: Warning: resolution due in 1 h" in text
    assert "Policy Gold support" in text
    assert "First response (1 h of business time) Answered" in text and "after its due time" in text
    assert "Resolution (8 h of business time) Due" in text and "(due in 1 h)" in text
    assert "Business time left 1 h 35 min to resolve" in text


def test_a_resolved_ticket_in_time_says_so(page_for):
    agent = UserFactory(perms=["tickets.work_on_ticket"])
    policy = SlaPolicyFactory(name="Silver", first_response_minutes=None, resolution_minutes=240)
    now = timezone.now()
    ticket = TicketFactory(key="SILVER-1", status=TicketStatus.RESOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_policy=policy, sla_status=SlaStatus.MET, resolved_at=now, resolution_due_at=now + timedelta(hours=1)
    )

    text = words(page_for(agent).get("/tickets/SILVER-1/").content.decode())

    assert "Service level: Met" in text
    assert "First response (" not in text  # the policy sets no first-response target
    assert "Resolution (4 h of business time) Resolved" in text and "in time" in text


def test_a_paused_ticket_says_the_clock_waits(page_for):
    requester = UserFactory()
    policy = SlaPolicyFactory(name="Bronze")
    ticket = TicketFactory(key="BRONZE-1", status=TicketStatus.WAITING_APPROVAL, created_by=requester)
    Ticket.objects.filter(pk=ticket.pk).update(sla_policy=policy, sla_status=SlaStatus.PAUSED, sla_remaining_minutes=240)

    text = words(page_for(requester).get("/tickets/BRONZE-1/").content.decode())

    assert "Service level: Paused" in text
    assert "Resolution (4 h of business time) Paused: the clock runs again when work can go on" in text
    assert "Business time left 4 h to resolve" in text


def test_a_ticket_without_a_service_level_has_no_panel_and_a_hidden_one_is_not_found(page_for):
    requester = UserFactory()
    TicketFactory(key="PLAIN-1", status=TicketStatus.OPEN, created_by=requester)
    hidden = RestrictedTicketFactory(key="SECRET-1", status=TicketStatus.OPEN)
    Ticket.objects.filter(pk=hidden.pk).update(sla_policy=SlaPolicyFactory(name="Secret policy"), sla_status="ok")

    plain = page_for(requester).get("/tickets/PLAIN-1/")
    refused = page_for(requester).get("/tickets/SECRET-1/")

    assert plain.status_code == 200 and 'id="sla-heading"' not in plain.content.decode()
    assert refused.status_code == 404 and b"Secret policy" not in refused.content
