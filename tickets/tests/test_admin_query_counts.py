"""The back office's lists and pages with inlines run as many queries for 20 rows as for 2: rows are named by key,
title and people (their `__str__` follows foreign keys), so every admin fetches those with its rows (list_select_related,
the inlines' get_queryset), for a superuser and for staff who see only some tickets."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalTemplate
from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory, template_with
from notifications.tests.factories import NotificationFactory
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import Ticket
from tickets.tests.factories import AttachmentFactory, CommentFactory, TicketFactory

pytestmark = pytest.mark.django_db

N = 2


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def comments(count: int, **fields: Any) -> None:
    for _ in range(count):
        CommentFactory(created_by=UserFactory(), **fields)


def slots(count: int) -> None:
    for index in range(count):
        ApprovalSlotFactory(role=RoleFactory() if index % 2 else None)


def grants(count: int) -> None:
    for index in range(count):
        GrantFactory(role=RoleFactory() if index % 2 else None)


def notifications(count: int) -> None:
    for index in range(count):
        NotificationFactory(ticket=TicketFactory() if index % 2 else None)


def templates(count: int) -> None:
    for _ in range(count):
        template_with(("all", [UserFactory(), RoleFactory()]), ("any", [RoleFactory()]))


def roles(count: int) -> None:
    for _ in range(count):
        UserFactory(roles=[RoleFactory()])


CHANGELISTS: dict[str, tuple[str, Callable[[int], Any]]] = {
    "tickets": ("/admin/tickets/ticket/", TicketFactory.create_batch),
    "timeline entries": ("/admin/tickets/ticketnote/", comments),
    "attachments": ("/admin/tickets/attachment/", AttachmentFactory.create_batch),
    "approval templates": ("/admin/approvals/approvaltemplate/", templates),
    "approval processes": ("/admin/approvals/approvalprocess/", slots),
    "delegations": ("/admin/approvals/delegation/", DelegationFactory.create_batch),
    "view grants": ("/admin/permissions/ticketviewpermission/", grants),
    "access requests": ("/admin/permissions/accessrequest/", AccessRequestFactory.create_batch),
    "notifications": ("/admin/notifications/notification/", notifications),
    "roles": ("/admin/auth/group/", roles),
    "users": ("/admin/auth/user/", UserFactory.create_batch),
}


def queries(client: Client, url: str) -> tuple[int, Any]:
    client.get(url)  # warms the process-wide caches (content types), so both counts are of a page alone
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), response


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", CHANGELISTS)
def test_a_changelist_runs_the_same_queries_for_n_and_10n_rows(name):
    url, build = CHANGELISTS[name]
    client = client_of(AdminFactory())

    build(N)
    few, first = queries(client, url)
    build(9 * N)
    many, second = queries(client, url)

    assert second.context["cl"].result_count - first.context["cl"].result_count == 9 * N
    assert many == few, name


@pytest.mark.parametrize("name", ["timeline entries", "attachments", "approval processes", "view grants", "notifications"])
def test_a_ticket_rows_changelist_for_staff_without_view_all_runs_the_same_queries_for_n_and_10n_rows(name):
    url, build = CHANGELISTS[name]
    app_label, model_name = url.strip("/").split("/")[1:3]
    staff = UserFactory(is_staff=True, perms=[f"{app_label}.view_{model_name}"])
    client = client_of(staff)

    def build_seen(count: int) -> None:
        """`count` rows on tickets the staff member created (so sees), as many on others' restricted tickets."""
        known = set(Ticket.all_objects.values_list("pk", flat=True))
        build(count)
        Ticket.all_objects.exclude(pk__in=known).update(created_by=staff)
        known = set(Ticket.all_objects.values_list("pk", flat=True))
        build(count)
        Ticket.all_objects.exclude(pk__in=known).update(visibility="restricted")

    build_seen(N)
    few, first = queries(client, url)
    build_seen(9 * N)
    many, second = queries(client, url)

    assert second.context["cl"].result_count == 10 * first.context["cl"].result_count > 0
    assert many == few, name


def test_the_approval_template_page_runs_the_same_queries_for_n_and_10n_steps():
    client = client_of(AdminFactory())
    few_steps = template_with(*[("all", [UserFactory(), RoleFactory()]) for _ in range(N)])
    many_steps = template_with(*[("all", [UserFactory(), RoleFactory()]) for _ in range(10 * N)])

    few, _ = queries(client, f"/admin/approvals/approvaltemplate/{few_steps.pk}/change/")
    many, response = queries(client, f"/admin/approvals/approvaltemplate/{many_steps.pk}/change/")

    assert len(response.context["inline_admin_formsets"][0].formset.initial_forms) == 10 * N
    assert many == few
    assert ApprovalTemplate.objects.count() == 2


def test_the_approval_process_page_runs_the_same_queries_for_n_and_10n_slots():
    client = client_of(AdminFactory())
    processes = []
    for count in (N, 10 * N):
        first = ApprovalSlotFactory()
        for index in range(count - 1):
            ApprovalSlotFactory(step__process=first.process, role=RoleFactory() if index % 2 else None)
        processes.append(first.process)

    few, _ = queries(client, f"/admin/approvals/approvalprocess/{processes[0].pk}/change/")
    many, _ = queries(client, f"/admin/approvals/approvalprocess/{processes[1].pk}/change/")

    assert [process.slots.count() for process in processes] == [N, 10 * N]
    assert many == few


def test_the_ticket_page_runs_the_same_queries_for_n_and_10n_timeline_entries():
    client = client_of(AdminFactory())
    few_notes, many_notes = TicketFactory(), TicketFactory()
    comments(N, ticket=few_notes)
    comments(10 * N, ticket=many_notes)

    few, _ = queries(client, f"/admin/tickets/ticket/{few_notes.pk}/change/")
    many, _ = queries(client, f"/admin/tickets/ticket/{many_notes.pk}/change/")

    assert many == few
