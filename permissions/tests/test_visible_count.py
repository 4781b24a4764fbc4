"""The ticket list's total: visible_tickets(...).count_unfiltered() reads the maintained counters while nothing but the
rule filters the tickets (the pagination's unfiltered list), and counts the ordinary way once anything narrows them;
whatever the shape of the queryset, `count()` and `count_unfiltered()` are exactly the number of rows it returns."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Count

from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory
from permissions.selectors import VISIBILITY_COUNTS_TABLE, visible_tickets
from permissions.tests.factories import GrantFactory
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import Ticket, TicketStatus, TicketVisibility
from tickets.selectors import ticket_list
from tickets.tests.factories import CategoryFactory, RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A user who sees tickets by every route, and tickets they must not see."""
    role, boss = RoleFactory(), UserFactory()
    user = UserFactory(roles=[role])
    DelegationFactory(delegator=boss, delegate=user)
    category = CategoryFactory()
    TicketFactory.create_batch(3, categories=[category])
    TicketFactory(status=TicketStatus.OPEN)
    RestrictedTicketFactory(created_by=user)
    RestrictedTicketFactory(assignee=user, status=TicketStatus.OPEN)
    GrantFactory(ticket=RestrictedTicketFactory(), user=user)
    GrantFactory(ticket=RestrictedTicketFactory(), user=None, role=role)
    ApprovalSlotFactory(step__process__ticket=RestrictedTicketFactory(), user=boss, role=None)
    RestrictedTicketFactory.create_batch(2)  # hidden
    deleted = TicketFactory()
    deleted.soft_delete(actor=None)
    return user, category


def test_the_count_is_the_number_of_rows_whatever_the_queryset(world):
    user, category = world
    base = visible_tickets(user)
    shapes = [
        base,
        ticket_list(user=user),
        ticket_list(user=user).order_by("-created_at", "-id"),
        base.filter(status=TicketStatus.OPEN),
        base.exclude(status=TicketStatus.OPEN),
        base.filter(categories=category),
        base.filter(categories=category).distinct(),
        base.values("status").order_by().distinct(),
        base.values("status").annotate(n=Count("id")),
        base.order_by("id")[1:4],
        base.select_related("assignee"),
        base.none(),
    ]
    for queryset in shapes:
        assert queryset.count() == len(list(queryset)), queryset.query

    assert base.count() == 9  # 4 internal + creator, assignee, user grant, role grant, delegated approver


def test_users_who_see_everything_and_nobody_count_exactly(world):
    assert visible_tickets(AdminFactory()).count() == Ticket.objects.count() == 11  # all but the deleted one
    inactive = UserFactory(is_active=False)
    assert visible_tickets(inactive).count() == 0


def test_the_count_is_one_query(world, django_assert_num_queries):
    user, _ = world
    tickets = visible_tickets(user)  # permissions are read here, once

    with django_assert_num_queries(1):
        assert tickets.count() == 9
    with django_assert_num_queries(1):  # the internal counter plus the restricted tickets the user reaches
        assert tickets.count_unfiltered() == 9


@pytest.mark.parametrize("kind", ["auditor", "superuser"])
def test_who_sees_everything_counts_from_the_counters_in_one_query(world, kind, django_assert_num_queries):
    viewer = AdminFactory() if kind == "superuser" else UserFactory()
    if kind == "auditor":
        viewer.user_permissions.add(Permission.objects.get(codename="view_all_tickets"))
    tickets = visible_tickets(viewer)

    with django_assert_num_queries(1):  # the sum of the counters
        assert tickets.count_unfiltered() == 11


def test_the_split_applies_to_unfiltered_lists_only(world, client_for):
    user, _ = world
    client = client_for(user)
    with connection.execute_wrapper(lambda execute, sql, *args: (statements.append(sql), execute(sql, *args))[1]):
        statements: list[str] = []
        unfiltered = client.get("/api/v1/tickets/?ordering=-created_at&page_size=2")
        filtered = client.get("/api/v1/tickets/?status=open")

    assert (unfiltered.json()["count"], filtered.json()["count"]) == (9, 2)
    unfiltered_count, filtered_count = [sql for sql in statements if "COUNT(" in sql.upper()]
    assert VISIBILITY_COUNTS_TABLE in unfiltered_count
    assert VISIBILITY_COUNTS_TABLE not in filtered_count


def test_the_counters_count_only_what_the_rule_alone_returns(world):
    """Narrowed, sliced, made distinct or grouped, the tickets are counted the ordinary way, whoever asks."""
    user, category = world
    for viewer in [user, AdminFactory()]:
        base = visible_tickets(viewer)
        shapes = [
            base,
            ticket_list(user=viewer).order_by("-created_at"),
            base.select_related("assignee"),
            base.filter(status=TicketStatus.OPEN),
            base.exclude(visibility=TicketVisibility.INTERNAL),
            base.filter(categories=category).distinct(),
            base.order_by("id")[1:4],
            base.values("status").annotate(n=Count("id")),
            base.none(),
        ]
        for queryset in shapes:
            assert queryset.count_unfiltered() == len(list(queryset)), queryset.query


def test_postgresql_has_the_partial_indexes(postgres_only):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'tickets' AND indexname LIKE 'tickets_alive_%'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {"tickets_alive_internal_idx", "tickets_alive_restricted_idx"}
