"""The people of the saved views tests: two agents of one team, whose views may be shared with it."""

import pytest

from tests.factories import RoleFactory, UserFactory


@pytest.fixture
def team():
    return RoleFactory(name="Network team")


@pytest.fixture
def agent(team):
    return UserFactory(username="agent", perms=["tickets.work_on_ticket"], roles=[team])


@pytest.fixture
def colleague(team):
    return UserFactory(username="colleague", perms=["tickets.work_on_ticket"], roles=[team])
