"""Every list route runs the same, exact number of queries at N and at 2N rows (issue 13).

LISTS below builds, for each list route without a query-count test elsewhere, a caller and rows that the caller sees
in that list, with the related rows its serializer reads. COUNTED_ELSEWHERE names the tests that already measure the
other list routes. The meta-test walks the URL conf: a list route (a GET route whose path ends in a collection, not an
id) that is in neither fails, as does an entry naming a route or a test that no longer exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.tests.factories import DelegationFactory
from notifications.tests.factories import NotificationRuleFactory
from permissions.models import AccessRequestStatus
from permissions.tests.factories import AccessRequestFactory
from sla.tests.factories import BusinessCalendarFactory, SlaPolicyFactory
from tests.factories import RoleFactory, UserFactory
from tests.test_leak_hunt import url_conf_routes
from tickets.tests.factories import (
    AttachmentFactory,
    CategoryFactory,
    CommentFactory,
    LabelFactory,
    RestrictedTicketFactory,
    TicketTemplateFactory,
)

pytestmark = pytest.mark.django_db

N = 3


@dataclass
class ListCase:
    """`setup()` returns (caller, path, add): `add(n)` creates n more rows the caller sees in the list at `path`."""

    setup: Callable[[], tuple[User, str, Callable[[int], None]]]
    queries: int  # the caller's permissions (when the view checks them), the count, the page, its prefetches


def users() -> tuple[User, str, Callable[[int], None]]:
    def add(n: int) -> None:
        for _ in range(n):
            UserFactory(roles=[RoleFactory()])

    return UserFactory(), "/api/v1/users/", add


def roles() -> tuple[User, str, Callable[[int], None]]:
    def add(n: int) -> None:
        for _ in range(n):
            UserFactory(roles=[RoleFactory()])

    return UserFactory(), "/api/v1/roles/", add


def categories() -> tuple[User, str, Callable[[int], None]]:
    author = UserFactory()

    def add(n: int) -> None:
        for _ in range(n):
            CategoryFactory(parent=CategoryFactory(created_by=author), created_by=author, updated_by=author)

    return UserFactory(), "/api/v1/categories/", add


def labels() -> tuple[User, str, Callable[[int], None]]:
    author = UserFactory()

    def add(n: int) -> None:
        for _ in range(n):
            LabelFactory(created_by=author, updated_by=author)

    return UserFactory(), "/api/v1/labels/", add


def ticket_templates() -> tuple[User, str, Callable[[int], None]]:
    def add(n: int) -> None:
        for _ in range(n):
            TicketTemplateFactory(categories=[CategoryFactory(), CategoryFactory()], labels=[LabelFactory()])

    return UserFactory(), "/api/v1/ticket-templates/", add


def template_attachments() -> tuple[User, str, Callable[[int], None]]:
    template = TicketTemplateFactory()

    def add(n: int) -> None:
        for _ in range(n):
            AttachmentFactory(ticket=None, template=template, created_by=UserFactory())

    return UserFactory(), f"/api/v1/ticket-templates/{template.pk}/attachments/", add


def ticket_comments() -> tuple[User, str, Callable[[int], None]]:
    ticket = RestrictedTicketFactory()

    def add(n: int) -> None:
        for _ in range(n):
            comment = CommentFactory(ticket=ticket, created_by=UserFactory())
            AttachmentFactory(ticket=ticket, note=comment, created_by=comment.created_by)

    return ticket.created_by, f"/api/v1/tickets/{ticket.pk}/comments/", add


def delegations() -> tuple[User, str, Callable[[int], None]]:
    me = UserFactory()

    def add(n: int) -> None:
        for _ in range(n):
            DelegationFactory(delegator=me)
            DelegationFactory(delegate=me)

    return me, "/api/v1/delegations/", add


def ticket_access_requests() -> tuple[User, str, Callable[[int], None]]:
    ticket = RestrictedTicketFactory()

    def add(n: int) -> None:
        for _ in range(n):
            AccessRequestFactory(ticket=ticket)
            AccessRequestFactory(ticket=ticket, status=AccessRequestStatus.DENIED, decided_by=ticket.created_by)

    return ticket.created_by, f"/api/v1/tickets/{ticket.pk}/access-requests/", add


def notification_rules() -> tuple[User, str, Callable[[int], None]]:
    rule_admin = UserFactory(perms=["notifications.view_notificationrule"])

    def add(n: int) -> None:
        for _ in range(n):
            NotificationRuleFactory(users=[UserFactory(), UserFactory()], roles=[RoleFactory()])

    return rule_admin, "/api/v1/notification-rules/", add


def business_calendars() -> tuple[User, str, Callable[[int], None]]:
    def add(n: int) -> None:
        for _ in range(n):
            BusinessCalendarFactory()  # with its weekly hours

    return UserFactory(), "/api/v1/business-calendars/", add


def sla_policies() -> tuple[User, str, Callable[[int], None]]:
    def add(n: int) -> None:
        for _ in range(n):
            SlaPolicyFactory(categories=[CategoryFactory()], templates=[TicketTemplateFactory()])

    return UserFactory(), "/api/v1/sla-policies/", add


LISTS: dict[str, ListCase] = {
    "user-list": ListCase(users, queries=2),  # count, page
    "role-list": ListCase(roles, queries=2),  # count, page
    "category-list": ListCase(categories, queries=2),  # count, page
    "label-list": ListCase(labels, queries=2),  # count, page
    "ticket-template-list": ListCase(ticket_templates, queries=4),  # count, page, categories, labels
    "template-attachment-list": ListCase(template_attachments, queries=3),  # the template, count, page
    "ticket-comments": ListCase(ticket_comments, queries=4),  # permissions (one query), the ticket, count, page
    "delegation-list": ListCase(delegations, queries=3),  # permissions (one query), count, page
    "ticket-access-request-list": ListCase(
        ticket_access_requests, queries=4
    ),  # permissions (one query), the ticket, count, page
    "notification-rule-list": ListCase(notification_rules, queries=5),  # permissions (one query), count, page, users, roles
    "business-calendar-list": ListCase(business_calendars, queries=4),  # count, page, hours, days
    "sla-policy-list": ListCase(sla_policies, queries=4),  # count, page, categories, templates
}

# List routes whose query count is measured (at two sizes) by a test of their own app.
COUNTED_ELSEWHERE: dict[str, str] = {
    "ticket-list": "tickets/tests/test_tickets_api.py::test_list_query_count_is_constant",
    "ticket-timeline": "tickets/tests/test_timeline.py::test_timeline_query_count_is_constant",
    "ticket-attachment-list": "tickets/tests/test_attachments_api.py::test_the_list_runs_a_constant_number_of_queries",
    "approval-template-list": "approvals/tests/test_templates_api.py::test_list_runs_a_constant_number_of_queries",
    "approval-list": "approvals/tests/test_slots_api.py::test_slot_lists_run_a_constant_number_of_queries",
    "ticket-approvals": "approvals/tests/test_slots_api.py::test_ticket_approvals_view_runs_a_constant_number_of_queries",
    "ticket-permission-list": "permissions/tests/test_grants_api.py::test_grant_list_query_count_is_constant",
    "access-request-list": "permissions/tests/test_access_requests.py::test_inbox_query_count_is_constant",
    "notification-list": "notifications/tests/test_api.py::test_inbox_list_runs_a_fixed_number_of_queries",
    "saved-view-list": "savedviews/tests/test_api.py::test_the_list_runs_the_same_number_of_queries_at_n_and_2n_views",
}

# GET routes ending in a literal segment that are not lists, each with the reason.
NOT_LISTS: dict[str, str] = {
    "api-root": "links to the collections",
    "me": "the signed-in person",
    "notification-unread-count": "one number",
    "notification-preferences": "one row per event type, a fixed set (one query: notifications/tests/test_preferences_api.py)",
    "attachment-download": "a file's bytes",
    "schema": "the OpenAPI document",
    "swagger-ui": "an HTML page",
    "healthz": "a status",
    "readyz": "a status",
    "sla-compliance": "one report (its query count: workspace/tests/test_sla_report.py)",
    "report-backlog": "one report (its query count: reports/tests/test_api.py)",
    "report-created-resolved": "one report (its query count: reports/tests/test_api.py)",
    "report-time-to-resolve": "one report (its query count: reports/tests/test_api.py)",
    "report-approval-cycle": "one report (its query count: reports/tests/test_api.py)",
    "report-approver-workload": "one report (its query count: reports/tests/test_api.py)",
    "export-tickets": "a file (its query count: reports/tests/test_exports.py)",
    "export-download": "a file's bytes",
}


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize("route", sorted(LISTS))
def test_a_list_runs_the_same_exact_number_of_queries_at_n_and_2n_rows(route, client_for):
    case = LISTS[route]
    caller, path, add = case.setup()

    def measure() -> tuple[int, int]:
        client = client_for(User.objects.get(pk=caller.pk))  # a fresh user object, as in a request: no warm caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, {"page_size": 100})
        assert response.status_code == 200, response.content
        return len(queries), response.json()["count"]

    _, before = measure()
    add(N)
    small, at_n = measure()
    add(N)
    large, at_2n = measure()

    assert at_2n - at_n == at_n - before >= N  # the page holds N, then 2N rows more
    assert (small, large) == (case.queries, case.queries)


def list_routes() -> set[str]:
    """GET routes whose path ends in a literal segment (a collection), not in an id or a format suffix."""
    return {
        route.name
        for route in url_conf_routes()
        if "get" in route.methods and not re.search(r"[)>][/?$]*$", route.pattern) and route.name not in NOT_LISTS
    }


def test_every_list_route_has_a_query_count_test():
    missing = sorted(list_routes() - set(LISTS) - set(COUNTED_ELSEWHERE))

    assert missing == [], "Add a query-count test for these list routes to LISTS (or name it in COUNTED_ELSEWHERE)"


def test_the_walk_finds_the_lists():
    """Guards the meta-test: an empty walk would pass vacuously."""
    assert {"ticket-list", "user-list", "ticket-comments", "ticket-timeline", "notification-rule-list"} <= list_routes()


@pytest.mark.parametrize("listed", [LISTS, COUNTED_ELSEWHERE, NOT_LISTS], ids=["LISTS", "COUNTED_ELSEWHERE", "NOT_LISTS"])
def test_no_stale_entries(listed):
    names = {route.name for route in url_conf_routes()}

    assert sorted(set(listed) - names) == []
    assert not set(LISTS) & set(COUNTED_ELSEWHERE)


@pytest.mark.parametrize("route", sorted(COUNTED_ELSEWHERE))
def test_the_named_test_exists_and_counts_queries(route):
    path, name = COUNTED_ELSEWHERE[route].split("::")
    source = (Path(settings.BASE_DIR) / path).read_text()
    body = re.search(rf"^def {name}\(.*?(?=^\S)", source + "\nEND", re.S | re.M)

    assert body is not None, COUNTED_ELSEWHERE[route]
    assert re.search(r"django_assert_num_queries|assertNumQueries|CaptureQueriesContext|_count_queries", body.group())
