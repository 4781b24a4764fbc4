"""`?active=true` on the delegation list means "in force now", the same DelegationQuerySet.in_force that eligibility and
visibility use: a delegation whose delegator was deactivated lends nothing, so it is not listed as active."""

import pytest

from approvals.tests.factories import DelegationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/delegations/"


def test_a_deactivated_delegators_delegation_is_not_active(client_for):
    boss, deputy = UserFactory(), UserFactory()
    delegation = DelegationFactory(delegator=boss, delegate=deputy)
    boss.is_active = False
    boss.save(update_fields=["is_active"])
    client = client_for(deputy)

    assert [d["id"] for d in client.get(f"{URL}?active=true").json()["results"]] == []
    assert [d["id"] for d in client.get(f"{URL}?active=false").json()["results"]] == [delegation.pk]
