"""The people and ticket of the mail gateway's tests: alice, whose open ticket replies are about."""

import pytest

from tests.factories import UserFactory
from tickets.models import TicketStatus
from tickets.tests.factories import TicketFactory


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def ticket(alice):
    return TicketFactory(created_by=alice, status=TicketStatus.OPEN)
