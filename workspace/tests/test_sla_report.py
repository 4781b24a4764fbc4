"""The service-level compliance report (docs/workspace/service-levels.md): met and breached targets per policy in a
month, the median time to first response, inside the reader's visible set; for agents and auditors only; a bad month
is a 400 page; the same queries at N and 10N tickets; and the figures of tickets run by the real clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sla.models import SlaPolicy
from sla.reports import sla_compliance
from sla.tests.factories import SlaPolicyFactory, TicketClockFactory
from tests.factories import UserFactory
from tickets.models import Ticket, TicketStatus
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = "/reports/service-levels/"
ROW = re.compile(r'<th scope="row" data-label="Policy">(.*?)</tr>', re.S)
CELL = re.compile(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', re.S)
TAG = re.compile(r"<[^>]+>")


def nov(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def outcome(policy: SlaPolicy, *, factory_class: Any = TicketFactory, clock: dict[str, Any], **sla: Any) -> Ticket:
    """A ticket under `policy` with stored figures and its clock, as the sla app would have left them."""
    ticket = factory_class(status=TicketStatus.IN_PROGRESS)
    Ticket.objects.filter(pk=ticket.pk).update(sla_policy=policy, **sla)
    TicketClockFactory(ticket=ticket, **clock)
    return ticket


def figures(response: Any) -> dict[str, dict[str, str]]:
    """The report's table: policy name -> column -> the cell in words."""
    table = {}
    for row in ROW.findall(response.content.decode()):
        name = " ".join(TAG.sub("", row.split("</th>")[0]).split())
        table[name] = {column: " ".join(TAG.sub("", cell).split()) for column, cell in CELL.findall(row)}
    return table


@pytest.fixture
def agent():
    return UserFactory(perms=["tickets.work_on_ticket"])


@pytest.fixture
def november():
    """Gold has outcomes in November (and around it), Silver is active with none, Retired is inactive with none."""
    gold = SlaPolicyFactory(name="Gold", order=1)
    SlaPolicyFactory(name="Silver", order=2)
    SlaPolicyFactory(name="Retired", order=3, is_active=False)
    # Both targets met in November.
    # Priorities differ: the figures are per policy, whatever else the tickets differ in.
    outcome(gold, priority="urgent", first_responded_at=nov(10), resolved_at=nov(11), clock={"response_used": 30})
    # First response breached (due in November, answered after), resolution breached (due in November, not resolved).
    outcome(
        gold,
        priority="low",
        first_response_due_at=nov(12),
        first_responded_at=nov(13),
        resolution_due_at=nov(20),
        clock={"response_used": 90, "response_breached": True, "resolution_breached": True},
    )
    # Answered in time in November; its resolution breached in December counts in December.
    outcome(
        gold,
        first_responded_at=nov(5),
        resolution_due_at=datetime(2026, 12, 2, tzinfo=UTC),
        clock={"response_used": 45, "resolution_breached": True},
    )
    # Answered on October's last minute: not November's.
    outcome(gold, first_responded_at=nov(1, 0, 0) - timedelta(minutes=1), clock={"response_used": 5})
    # A restricted ticket the agent does not see: only the auditor's report counts it.
    outcome(
        gold,
        factory_class=RestrictedTicketFactory,
        first_responded_at=nov(30, 23, 59),
        resolved_at=nov(30, 23, 59),
        clock={"response_used": 600},
    )
    return gold


def test_an_agent_reads_met_and_breached_per_policy_over_the_tickets_they_see(agent, november, page_for):
    response = page_for(agent).get(URL, {"month": "2026-11"})

    assert response.status_code == 200
    assert "Service-level compliance, November 2026" in response.content.decode()
    assert figures(response) == {
        "Gold": {
            "First response met": "2",
            "First response breached": "1",
            "First response in time": "66 %",
            "Resolution met": "1",
            "Resolution breached": "1",
            "Resolution in time": "50 %",
            "Median time to first response": "45 min over 3 responses",
        },
        "Silver": {
            "First response met": "0",
            "First response breached": "0",
            "First response in time": "no outcome",
            "Resolution met": "0",
            "Resolution breached": "0",
            "Resolution in time": "no outcome",
            "Median time to first response": "no response",
        },
    }


def test_an_auditor_reads_the_restricted_tickets_too(november, page_for):
    auditor = UserFactory(perms=["tickets.view_all_tickets"])

    gold = figures(page_for(auditor).get(URL, {"month": "2026-11"}))["Gold"]

    assert (gold["First response met"], gold["Resolution met"]) == ("3", "2")
    assert gold["Median time to first response"] == "1 h 7 min over 4 responses"  # (45 + 90) / 2 = 67.5


def test_the_selector_counts_only_the_visible_set(agent, november):
    auditor = UserFactory(perms=["tickets.view_all_tickets"])
    month = datetime(2026, 11, 1).date()

    [agents_gold, _] = sla_compliance(user=agent, month=month).policies
    [auditors_gold, _] = sla_compliance(user=auditor, month=month).policies

    assert (agents_gold.first_response.met, auditors_gold.first_response.met) == (2, 3)
    assert (agents_gold.median_first_response_minutes, auditors_gold.median_first_response_minutes) == (45, 67.5)


def test_a_policy_no_longer_applied_is_listed_in_a_month_it_has_outcomes(agent, november, page_for):
    SlaPolicy.objects.filter(pk=november.pk).update(is_active=False)

    table = figures(page_for(agent).get(URL, {"month": "2026-11"}))

    assert list(table) == ["Gold (no longer applied)", "Silver"]
    assert list(figures(page_for(agent).get(URL, {"month": "2026-09"}))) == ["Silver"]


def test_december_counts_the_resolution_breached_then(agent, november, page_for):
    gold = figures(page_for(agent).get(URL, {"month": "2026-12"}))["Gold"]

    assert (gold["First response met"], gold["Resolution breached"], gold["Resolution met"]) == ("0", "1", "0")


def test_without_a_month_the_page_shows_this_month_with_links_to_its_neighbours(agent, page_for):
    now = timezone.now()

    body = page_for(agent).get(URL).content.decode()

    assert f"Service-level compliance, {now:%B %Y}" in body
    assert f'value="{now:%Y-%m}"' in body
    assert 'rel="prev"' in body and 'rel="next"' in body


@pytest.mark.parametrize(
    "month", ["2026-13", "2026-00", "nope", "2026-1", "0001-05", "\uff12\uff10\uff12\uff16-\uff11\uff11", "2026-11\n"]
)
def test_a_month_that_is_not_one_is_a_400_page_saying_why(month, agent, november, page_for):
    response = page_for(agent).get(URL, {"month": month})

    assert response.status_code == 400
    assert "Give the month as YYYY-MM" in response.content.decode()
    assert figures(response) == {}


@pytest.mark.parametrize("perms", [[], ["permissions.manage_ticket_permissions"], ["tickets.change_ticket"]])
def test_the_report_is_refused_to_someone_who_is_neither_agent_nor_auditor(perms, november, page_for):
    response = page_for(UserFactory(perms=perms, is_staff=bool(perms))).get(URL, {"month": "2026-11"})

    assert response.status_code == 403
    assert "for agents and auditors" in response.content.decode()
    assert "Gold" not in response.content.decode()


def test_a_stranger_is_asked_to_sign_in(page_for):
    response = page_for(None).get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_queues_link_to_the_report_and_the_page_is_never_cached(agent, page_for):
    client = page_for(agent)

    assert f'href="{URL}"' in client.get("/queues/unassigned/").content.decode()
    assert "no-store" in client.get(URL)["Cache-Control"]


# --- query counts ----------------------------------------------------------------------------------------------------


def add_outcomes(count: int, policies: list[SlaPolicy]) -> None:
    for policy in policies:
        for index in range(count):
            outcome(
                policy,
                first_response_due_at=nov(2),
                first_responded_at=nov(3),
                resolved_at=nov(4),
                clock={"response_used": index, "response_breached": index % 2 == 0},
            )


def report_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"month": "2026-11"})
    assert response.status_code == 200
    assert figures(response)
    return len(queries)


def test_the_report_costs_the_same_queries_at_n_and_10n_tickets(agent, page_for):
    client = page_for(agent)
    policies = [SlaPolicyFactory(), SlaPolicyFactory()]
    add_outcomes(2, policies)
    at_n = report_queries(client)

    add_outcomes(18, [*policies, SlaPolicyFactory()])
    at_10n = report_queries(client)

    assert at_n == at_10n


# --- with the real clock ---------------------------------------------------------------------------------------------


@pytest.fixture
def frozen() -> Iterator[dict[str, datetime]]:
    now = {"at": datetime(2026, 12, 7, 9, 0, tzinfo=UTC)}  # a Monday
    with mock.patch("django.utils.timezone.now", side_effect=lambda: now["at"]):
        yield now


def test_the_report_reads_what_the_clock_and_sla_tick_record(frozen, agent, client_for, page_for):
    """Round the clock, first response in 30 minutes, resolution in 60: one ticket answered after 20 minutes, one
    never; two hours later sla_tick records the breaches."""
    # No calendar and no default calendar: the clock runs round the clock.
    SlaPolicyFactory(name="Fast", calendar=None, first_response_minutes=30, resolution_minutes=60)
    requester = UserFactory()
    api = client_for(requester)
    ids = []
    for title in ("Answered", "Forgotten"):
        created = api.post("/api/v1/tickets/", {"title": title}, format="json").json()
        assert api.post(f"/api/v1/tickets/{created['id']}/transition/", {"status": "open"}, format="json").status_code == 200
        ids.append(created["id"])
    frozen["at"] += timedelta(minutes=20)
    answer = client_for(agent).post(f"/api/v1/tickets/{ids[0]}/comments/", {"note": "Looking at it"}, format="json")
    assert answer.status_code == 201
    frozen["at"] += timedelta(hours=2)
    call_command("sla_tick", stdout=mock.Mock())

    fast = figures(page_for(agent).get(URL, {"month": "2026-12"}))["Fast"]

    assert fast == {
        "First response met": "1",
        "First response breached": "1",
        "First response in time": "50 %",
        "Resolution met": "0",
        "Resolution breached": "2",
        "Resolution in time": "0 %",
        "Median time to first response": "20 min over 1 response",
    }
