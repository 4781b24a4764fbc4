"""The selectors of the workspace's ticket page: a visible ticket by its key, and the agents a ticket may be handed to."""

import pytest

from tests.factories import AdminFactory, UserFactory
from tickets.selectors import active_agents, ticket_get_by_key
from tickets.tests.factories import CategoryFactory, LabelFactory, RestrictedTicketFactory, TicketFactory
from ticketsite.errors import DomainNotFound

pytestmark = pytest.mark.django_db


def test_a_visible_ticket_by_key_comes_with_what_its_page_shows(django_assert_num_queries):
    ticket = TicketFactory(key="TCK-7", assignee=UserFactory(), categories=[CategoryFactory()], labels=[LabelFactory()])
    reader = UserFactory()

    # The reader's permissions (view_all_tickets? one query, cached on the user), the ticket with its people and
    # template, its categories, its labels.
    with django_assert_num_queries(4):
        found = ticket_get_by_key(user=reader, key="TCK-7")
        names = (found.created_by.username, found.assignee.username, found.template)
        classification = ([c.name for c in found.categories.all()], [(label.name, label.color) for label in found.labels.all()])

    assert found == ticket
    assert names == (ticket.created_by.username, ticket.assignee.username, None)
    assert classification == ([ticket.categories.get().name], [(ticket.labels.get().name, "#1f77b4")])


@pytest.mark.parametrize("key", ["TCK-8", "TCK-404", "", "TCK-8' OR '1'='1"])
def test_unknown_and_invisible_keys_are_the_same_not_found(key):
    RestrictedTicketFactory(key="TCK-8")

    with pytest.raises(DomainNotFound):
        ticket_get_by_key(user=UserFactory(), key=key)


def test_a_deleted_ticket_is_not_found_even_for_its_creator():
    ticket = TicketFactory(key="TCK-9", is_deleted=True)

    with pytest.raises(DomainNotFound):
        ticket_get_by_key(user=ticket.created_by, key="TCK-9")


def test_active_agents_are_active_holders_of_the_agent_permission_by_name():
    zoe = UserFactory(first_name="Zoe", last_name="A", perms=["tickets.work_on_ticket"])
    amy = UserFactory(first_name="Amy", last_name="B", perms=["tickets.work_on_ticket"])
    boss = AdminFactory(first_name="Bea", last_name="C")
    UserFactory(perms=["tickets.work_on_ticket"], is_active=False)
    UserFactory()

    assert list(active_agents()) == [amy, boss, zoe]
