"""Query counts of the benchmarked reads (docs/benchmark.md) in production terms: through a real bearer token, so the
authentication is counted, as the benchmark's X-Query-Count counts it. A request reads its caller with their
permissions in one statement (ticketsite.backends), a ticket with the ids of its categories and labels in one
(tickets.selectors), in the relations' order (by name, as the prefetch of the relations gave them), and a timeline's
total with the ticket.
"""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.api.outputs import TicketSerializer
from tickets.models import Ticket, TicketStatus, TicketVisibility
from tickets.selectors import ticket_relation_ids
from tickets.tests.factories import CategoryFactory, CommentFactory, LabelFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.fixture
def agent():
    # Permissions both directly and through a role, so both are read.
    return UserFactory(perms=["tickets.work_on_ticket"], roles=[RoleFactory()])


@pytest.fixture
def ticket(agent):
    ticket = TicketFactory(
        status=TicketStatus.OPEN,
        visibility=TicketVisibility.RESTRICTED,
        assignee=agent,
        # Out of id order, and one deleted: the ids come by name, live ones only.
        categories=[CategoryFactory(name=name) for name in ("m", "b", "Z", "x")] + [CategoryFactory(is_deleted=True)],
        labels=[LabelFactory(name="z"), LabelFactory(name="y")],
    )
    for _ in range(3):
        CommentFactory(ticket=ticket)
    assert ids(ticket.categories) != sorted(ids(ticket.categories))  # the order tested is not the ids'
    return ticket


def ids(relation) -> list[int]:
    """The ids the relation's manager gives (live rows, in their model's order), as the prefetch did."""
    return list(relation.values_list("pk", flat=True))


def test_detail_is_two_queries(agent, ticket, django_assert_num_queries):
    client = bearer(agent)

    # the caller with their permissions (own and roles'), the visible ticket with its category and label ids
    with django_assert_num_queries(2):
        response = client.get(f"{URL}{ticket.pk}/")

    body = response.json()
    assert body["categories"] == ids(ticket.categories)
    assert body["labels"] == ids(ticket.labels)
    assert body["allowed_transitions"] == ["in_progress"]  # the agent's permission, read with the caller


def test_superuser_detail_is_two_queries(ticket, django_assert_num_queries):
    client = bearer(AdminFactory())

    # the caller (a superuser holds every permission: none read), the ticket with its ids
    with django_assert_num_queries(2):
        assert client.get(f"{URL}{ticket.pk}/").status_code == 200


def test_timeline_is_three_queries(agent, ticket, django_assert_num_queries):
    client = bearer(agent)

    # the caller with their permissions, the visible ticket with its timeline's length, the page
    with django_assert_num_queries(3):
        body = client.get(f"{URL}{ticket.pk}/timeline/", {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2


def test_timeline_with_an_unknown_parameter_counts_again(agent, ticket, django_assert_num_queries):
    client = bearer(agent)

    # the pagination counts itself when a parameter it does not know may filter: one query more, the same total
    with django_assert_num_queries(4):
        assert client.get(f"{URL}{ticket.pk}/timeline/", {"whatever": "x"}).json()["count"] == 3


def test_empty_timeline_counts_zero(agent, django_assert_num_queries):
    ticket = TicketFactory(assignee=agent)
    client = bearer(agent)

    # the caller, the ticket with its timeline's length (0: no page to read)
    with django_assert_num_queries(2):
        assert client.get(f"{URL}{ticket.pk}/timeline/").json() == {
            "count": 0,
            "next": None,
            "previous": None,
            "results": [],
        }


def test_list_is_three_queries(agent, ticket, django_assert_num_queries):
    TicketFactory.create_batch(3, assignee=agent, categories=[CategoryFactory()])
    client = bearer(agent)

    # the caller with their permissions, the count, the page with each row's ids
    with django_assert_num_queries(3):
        body = client.get(URL, {"page_size": 100}).json()

    assert body["count"] == 4
    row = next(row for row in body["results"] if row["id"] == ticket.pk)
    assert row["categories"] == ids(ticket.categories)
    assert row["labels"] == ids(ticket.labels)


def test_written_ticket_reads_its_ids_in_one_query(agent, ticket, django_assert_num_queries):
    with django_assert_num_queries(1):
        written = ticket_relation_ids(ticket=ticket)

    assert written.category_ids == ids(ticket.categories)
    assert written.label_ids == ids(ticket.labels)


def test_a_ticket_read_without_the_ids_is_serialized_from_its_relations(ticket, django_assert_num_queries):
    plain = Ticket.objects.get(pk=ticket.pk)

    # its categories, its labels
    with django_assert_num_queries(2):
        body = TicketSerializer(plain).data

    assert body["categories"] == ids(ticket.categories)
    assert body["labels"] == ids(ticket.labels)


def test_a_write_answers_what_a_read_answers(agent, ticket):
    client = bearer(agent)

    written = client.post(f"{URL}{ticket.pk}/transition/", {"status": "in_progress", "comment": ""}, format="json")

    assert written.status_code == 200, written.json()
    assert written.json() == client.get(f"{URL}{ticket.pk}/").json()
