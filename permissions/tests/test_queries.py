"""The visibility rule at scale: one query whatever the number of tickets, and index use on PostgreSQL."""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalProcess, ApprovalProcessStep, ApprovalProcessStepApprover, ProcessStatus
from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory
from permissions.models import TicketViewPermission
from permissions.selectors import visible_tickets
from permissions.tests.factories import GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import EventType, Ticket, TicketNote, TicketVisibility
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db


def make_tickets(n: int, user, role) -> None:
    """n internal, n restricted granted to the user or their role, n restricted approved by them, n hidden."""
    TicketFactory.create_batch(n)
    for ticket in RestrictedTicketFactory.create_batch(n):
        GrantFactory(ticket=ticket, user=user)
    for ticket in RestrictedTicketFactory.create_batch(n):
        ApprovalSlotFactory(step__process__ticket=ticket, user=None, role=role)
    RestrictedTicketFactory.create_batch(n)


def list_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/tickets/?page_size=100")
    assert response.status_code == 200
    return len(queries), response.json()["count"]


def test_visible_tickets_is_one_query(django_assert_num_queries):
    role = RoleFactory()
    user = UserFactory(roles=[role])
    make_tickets(3, user, role)
    DelegationFactory(delegate=user)
    with django_assert_num_queries(2):  # the user's own and roles' permissions (view_all?) in one, then the tickets
        tickets = list(visible_tickets(user))
    assert len(tickets) == 9


@pytest.mark.parametrize("n", [4, 8])
def test_ticket_list_query_count_does_not_grow_with_restricted_access(client_for, n):
    role = RoleFactory()
    user = UserFactory(roles=[role])
    make_tickets(n, user, role)
    queries, count = list_queries(client_for(user))
    assert count == 3 * n
    # The caller's permissions (one statement), the total (the internal counter plus the restricted tickets the user
    # reaches), the page (with its categories' and labels' ids in each row).
    assert queries == 3, queries


def test_ticket_list_query_count_is_the_same_at_n_and_2n(client_for):
    role = RoleFactory()
    user = UserFactory(roles=[role])
    make_tickets(3, user, role)
    client = client_for(user)
    small, small_count = list_queries(client)
    make_tickets(3, user, role)
    client = client_for(User.objects.get(pk=user.pk))  # a fresh object: no permission cache carried over
    large, large_count = list_queries(client)
    assert (small_count, large_count) == (9, 18)
    assert small == large


def test_making_a_ticket_restricted_takes_effect_at_once(client_for):
    ticket = TicketFactory()
    stranger, grantee = client_for(UserFactory()), UserFactory()
    GrantFactory(ticket=ticket, user=grantee)
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert stranger.get(url).status_code == 200

    response = client_for(ticket.created_by).patch(url, {"visibility": "restricted"}, format="json")

    assert response.status_code == 200, response.content
    assert stranger.get(url).status_code == 404
    assert stranger.get("/api/v1/tickets/").json()["count"] == 0
    assert client_for(grantee).get(url).status_code == 200
    event = TicketNote.objects.get(ticket=ticket, event_type=EventType.VISIBILITY_CHANGE)
    assert event.created_by == ticket.created_by
    assert "restricted" in json.dumps(event.event_details)

    assert client_for(ticket.created_by).patch(url, {"visibility": "internal"}, format="json").status_code == 200
    assert stranger.get(url).status_code == 200


# --- PostgreSQL: the plan on a large table ------------------------------------------------------------------------------


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _fill_large_tables(n_tickets: int) -> None:
    """n tickets (90 % restricted), a grant and an approver slot on most of them for other people, and roles."""
    others = UserFactory.create_batch(50)
    roles = RoleFactory.create_batch(20)
    Ticket.objects.bulk_create(
        [
            Ticket(
                key=f"BIG-{i}",
                title=f"Ticket {i}",
                created_by=others[i % 50],
                visibility=TicketVisibility.INTERNAL if i % 10 == 0 else TicketVisibility.RESTRICTED,
            )
            for i in range(n_tickets)
        ],
        batch_size=2_000,
    )
    ids = list(Ticket.objects.filter(key__startswith="BIG-").values_list("id", flat=True))
    TicketViewPermission.objects.bulk_create(
        [
            TicketViewPermission(
                ticket_id=pk, user=others[(i + 1) % 50] if i % 2 else None, role=None if i % 2 else roles[i % 20]
            )
            for i, pk in enumerate(ids)
        ],
        batch_size=2_000,
    )
    processes = ApprovalProcess.objects.bulk_create(
        [ApprovalProcess(ticket_id=pk, status=ProcessStatus.APPROVED) for pk in ids], batch_size=2_000
    )
    steps = ApprovalProcessStep.objects.bulk_create(
        [ApprovalProcessStep(process=p, name="Step", order=1, approval_type="all") for p in processes], batch_size=2_000
    )
    ApprovalProcessStepApprover.objects.bulk_create(
        [
            ApprovalProcessStepApprover(
                step=step,
                process=step.process,
                ticket_id=step.process.ticket_id,
                user=others[(i + 2) % 50] if i % 2 else None,
                role=None if i % 2 else roles[(i + 3) % 20],
            )
            for i, step in enumerate(steps)
        ],
        batch_size=2_000,
    )


@pytest.mark.django_db(transaction=True)
def test_visibility_filter_uses_indexes_on_a_large_table(postgres_only):
    """EXPLAIN of the first page of the ticket list on 20k tickets, 20k grants, 20k slots (see docs/permissions.md).

    The visibility OR cannot become one index condition (half of it is a sub-select), so the planner walks the
    (created_at) index newest first and stops after a page; the sub-select (grants and slots of the caller, their roles
    and their delegators) is computed once, from the (user, ticket) and (role, ticket) indexes.
    """
    _fill_large_tables(20_000)
    role = RoleFactory()
    user = UserFactory(roles=[role])
    make_tickets(5, user, role)
    DelegationFactory(delegate=user)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    plan = _plan(visible_tickets(user).order_by("-created_at", "-id")[:25])
    print("\n--- first page ---\n" + plan)
    assert "Seq Scan on tickets" not in plan, plan
    assert "Index Scan Backward using" in plan, plan
    # Every branch of the sub-select reads an index of its table; none scans a whole table.
    for table in ["ticket_view_permissions", "approval_process_step_approvers"]:
        assert f"Seq Scan on {table}" not in plan, (table, plan)
    assert re.search(r"Index (Only )?Scan (using|on) (grants_user_ticket_idx|ticket_view_permissions_user_id\w*)", plan), plan
    assert re.search(r"Index (Only )?Scan (using|on) (grants_role_ticket_idx|ticket_view_permissions_role_id\w*)", plan), plan
    assert re.search(
        r"Index (Only )?Scan (using|on) (approval_slots_user_ticket_idx|approval_process_step_approvers_user_id\w*)", plan
    ), plan
    assert re.search(
        r"Index (Only )?Scan (using|on) (approval_slots_role_ticket_idx|approval_process_step_approvers_role_id\w*)", plan
    ), plan

    count_plan = _plan(visible_tickets(user).order_by().values("id"))
    print("\n--- count ---\n" + count_plan)
    for table in ["ticket_view_permissions", "approval_process_step_approvers"]:
        assert f"Seq Scan on {table}" not in count_plan, (table, count_plan)
