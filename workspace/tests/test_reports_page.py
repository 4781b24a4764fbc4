"""The reports dashboard (/reports/): the small world's figures (reports/tests/world.py) as the page shows them, the
desk-only parts, a bad period, signed-out visitors, and the page's query count."""

from __future__ import annotations

import re
from typing import Any

import pytest

from reports.tests.world import build_report_world
from tickets.models import TicketStatus
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

NOVEMBER = {"start": "2026-11-02", "end": "2026-11-29"}


@pytest.fixture
def world():
    return build_report_world()


def rows_of(html: str, section: str) -> list[list[str]]:
    """The text of each table row of a section (its id), tags stripped."""
    part = html.split(f'aria-labelledby="{section}"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", part, re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows
    ]


def page(page_for: Any, user: Any, **params: str) -> Any:
    return page_for(user).get("/reports/", params)


def test_the_agent_sees_every_figure_over_what_they_may_see(world, page_for):
    response = page(page_for, world.people["agent"], **NOVEMBER)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Backlog: 3 open tickets" in html
    assert rows_of(html, "weeks-title")[1:] == [
        ["2026-W45 (2 Nov)", "2", "1", ""],
        ["2026-W46 (9 Nov)", "2", "2", ""],
        ["2026-W47 (16 Nov)", "2", "0", ""],
        ["2026-W48 (23 Nov)", "1", "0", ""],
    ]
    resolve = rows_of(html, "resolve-title")
    assert ["Hardware", "3", "1 d", "1 d 19 h", ""] in resolve  # 24 h; 43.2 h
    assert ["Laptop request", "2", "1 d 12 h", "1 d 21 h", ""] in resolve  # 36 h; 45.6 h
    cycle = rows_of(html, "cycle-title")
    assert ["Manager approval", "2", "2 h", "2 h 48 min", ""] in cycle
    assert ["Manager approval: 2. Finance", "1", "2 h", "2 h", ""] in cycle
    assert [row[:2] for row in rows_of(html, "workload-title")[1:]] == [["Purchasing (role)", "1"], ["approver1", "1"]]
    assert 'href="/reports/service-levels/"' in html
    assert 'href="/exports/tickets/?format=csv"' in html


def test_someone_who_does_not_work_the_desk_sees_the_figures_without_the_workload(world, page_for):
    html = page(page_for, world.people["requester"], **NOVEMBER).content.decode()

    assert "Backlog: 3 open tickets" in html
    assert "workload-title" not in html
    assert "/reports/service-levels/" not in html


def test_the_auditor_counts_the_restricted_tickets(world, page_for):
    html = page(page_for, world.people["auditor"], **NOVEMBER).content.decode()

    assert "Backlog: 4 open tickets" in html
    assert rows_of(html, "weeks-title")[-1] == ["2026-W48 (23 Nov)", "3", "1", ""]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-11-30", "end": "2026-11-01"}, "To (included): The end date is before the start date."),
        ({"start": "someday"}, "From: Enter a valid date."),
        ({"start": "2020-01-01", "end": "2026-11-01"}, "From: A report covers at most 1098 days."),
    ],
)
def test_a_bad_period_is_the_page_at_400_with_the_reason_and_no_figures(params, message, world, page_for):
    response = page(page_for, world.people["agent"], **params)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Backlog" not in html


def test_a_signed_out_visitor_is_sent_to_sign_in(page_for):
    response = page(page_for, None)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("more", [0, 15])
def test_the_page_reads_a_fixed_number_of_queries(more, world, page_for, django_assert_max_num_queries):
    for _ in range(more):
        TicketFactory(status=TicketStatus.OPEN, categories=[CategoryFactory()])
    client = page_for(world.people["agent"])

    with django_assert_max_num_queries(30) as captured:
        response = client.get("/reports/", NOVEMBER)

    assert response.status_code == 200
    assert len(captured) == QUERIES_OF_THE_PAGE


# Session and user with their permissions (2, ticketsite.backends), the person's exports (1), the figures (backlog 3,
# weeks 2, time to resolve 2, approval cycle 2, workload 1), the header's unread and awaiting counts (2).
QUERIES_OF_THE_PAGE = 15
