"""The counters of alive tickets per visibility (permissions/migrations/0004_ticket_visibility_counts) stay exact
whatever writes the tickets, and visible_ticket_count, which reads them, is the number of rows visible_tickets returns,
for every kind of user."""

import itertools
import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory
from permissions.selectors import VISIBILITY_COUNTS_TABLE, visible_ticket_count, visible_tickets
from permissions.tests.factories import GrantFactory
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import Ticket, TicketVisibility
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

VISIBILITIES = [TicketVisibility.INTERNAL, TicketVisibility.RESTRICTED]


def counters() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT visibility, alive FROM {VISIBILITY_COUNTS_TABLE}")
        return {visibility: alive for visibility, alive in cursor.fetchall() if alive}


def alive_by_visibility() -> dict[str, int]:
    rows = Ticket.objects.values("visibility").annotate(n=Count("id")).order_by()
    return {row["visibility"]: row["n"] for row in rows}


@pytest.fixture
def people():
    """An admin, an auditor (view_all_tickets), a plain user, a role member with grants, a role approver, and the
    delegate of a user approver; the restricted tickets they reach are made by the operations below."""
    role = RoleFactory()
    auditor = UserFactory()
    auditor.user_permissions.add(Permission.objects.get(codename="view_all_tickets"))
    boss, delegate = UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=delegate)
    member = UserFactory(roles=[role])
    approver = UserFactory(roles=[role])
    ApprovalSlotFactory(step__process__ticket=RestrictedTicketFactory(), user=boss, role=None)
    ApprovalSlotFactory(step__process__ticket=RestrictedTicketFactory(), user=None, role=role)
    return {
        "admin": AdminFactory(),
        "auditor": auditor,
        "plain": UserFactory(),
        "member": member,
        "approver": approver,
        "delegate": delegate,
        "role": role,
    }


def _pick(draw_index: int, queryset):
    ids = list(queryset.order_by("id").values_list("id", flat=True))
    return ids[draw_index % len(ids)] if ids else None


BULK_BATCHES = itertools.count()

# One operation on the tickets: (name, a number choosing the ticket or person, a visibility, a flag).
operations = st.lists(
    st.tuples(
        st.sampled_from(
            ["create", "bulk_create", "visibility", "soft_delete", "restore", "hard_delete", "bulk_update", "grant"]
        ),
        st.integers(min_value=0, max_value=1000),
        st.sampled_from(VISIBILITIES),
        st.booleans(),
    ),
    max_size=8,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_the_counts_stay_exact_whatever_writes_the_tickets(people, steps):
    users = [people[kind] for kind in ("admin", "auditor", "plain", "member", "approver", "delegate")]
    for name, index, visibility, flag in steps:
        person = users[index % len(users)]
        any_ticket = Ticket.all_objects.all()
        if name == "create":
            TicketFactory(visibility=visibility, created_by=person, assignee=users[(index + 1) % len(users)] if flag else None)
        elif name == "bulk_create":
            batch = next(BULK_BATCHES)  # not the row count: a hard delete would make a key come back
            Ticket.objects.bulk_create(
                Ticket(
                    key=f"BULK-{batch}-{i}", title="Bulk", visibility=visibility, is_deleted=flag and i == 0, created_by=person
                )
                for i in range(3)
            )
        elif name == "visibility" and (pk := _pick(index, any_ticket)):
            ticket = Ticket.all_objects.get(pk=pk)
            ticket.visibility = visibility
            ticket.save(update_fields=["visibility"])
        elif name == "soft_delete" and (pk := _pick(index, Ticket.objects.all())):
            Ticket.objects.get(pk=pk).soft_delete(actor=None)
        elif name == "restore" and (pk := _pick(index, Ticket.all_objects.filter(is_deleted=True))):
            Ticket.all_objects.get(pk=pk).restore(actor=None)
        elif name == "hard_delete" and (pk := _pick(index, any_ticket.filter(view_permissions=None, approval_processes=None))):
            Ticket.all_objects.filter(pk=pk).delete()
        elif name == "bulk_update":
            chosen = any_ticket.filter(id__gte=_pick(index, any_ticket) or 0)
            chosen.update(visibility=visibility) if flag else chosen.update(is_deleted=index % 2 == 0)
        elif name == "grant" and (pk := _pick(index, Ticket.objects.filter(view_permissions=None))):
            GrantFactory(ticket_id=pk, user=None if flag else people["member"], role=people["role"] if flag else None)

    assert counters() == alive_by_visibility()
    for user in users:
        assert visible_ticket_count(user) == visible_tickets(user).count(), user
        assert visible_tickets(user).count_unfiltered() == len(list(visible_tickets(user))), user


@pytest.mark.django_db
def test_the_count_of_an_ordinary_user_is_one_query(people, django_assert_num_queries):
    member = people["member"]
    GrantFactory(ticket=RestrictedTicketFactory(), user=member)
    TicketFactory.create_batch(2)
    member.has_perm("tickets.view_all_tickets")  # permissions read once, before

    with django_assert_num_queries(1):  # the internal counter plus the restricted tickets the member reaches
        assert visible_ticket_count(member) == 4  # 2 internal, the grant, the role slot

    with django_assert_num_queries(0):  # nobody: no query
        assert visible_ticket_count(UserFactory.build(is_active=False)) == 0


@pytest.mark.django_db
def test_the_triggers_exist():
    """A migration that makes Django rebuild `tickets` on SQLite drops them with the old table: create them again."""
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'tickets'::regclass AND NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tickets'"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        names = {row[0] for row in cursor.fetchall()}
    events = ["insert", "update", "delete", *(["truncate"] if connection.vendor == "postgresql" else [])]
    assert {f"{VISIBILITY_COUNTS_TABLE}_{event}" for event in events} <= names


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_transactions_creating_tickets_at_once_are_both_counted(postgres_only):
    """The second writer waits on the counter row until the first commits, then adds to what it committed."""
    first_inserted = threading.Event()
    creator = UserFactory()

    def create(visibility: str, after: threading.Event | None) -> None:
        try:
            if after is not None:
                after.wait(timeout=30)
            with transaction.atomic():
                TicketFactory.create_batch(2, visibility=visibility, created_by=creator)
                if after is None:
                    first_inserted.set()
                    threading.Event().wait(0.3)  # still uncommitted while the other inserts
        finally:
            connection.close()

    threads = [
        threading.Thread(target=create, args=(TicketVisibility.INTERNAL, None)),
        threading.Thread(target=create, args=(TicketVisibility.INTERNAL, first_inserted)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert counters() == alive_by_visibility() == {TicketVisibility.INTERNAL: 4}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_truncated_table_counts_nothing(postgres_only):
    TicketFactory.create_batch(2)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tickets CASCADE")
    assert counters() == {}
