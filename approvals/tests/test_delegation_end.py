"""Ending a delegation now (approvals.services.delegation_end, the workspace's "End now"): a running one ends at this
moment, an upcoming one is withdrawn, an ended one is a conflict; only the delegator may."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import Delegation
from approvals.services import delegation_end
from approvals.tests.factories import DelegationFactory
from tests.factories import UserFactory
from ticketsite.errors import DomainConflict, DomainPermissionDenied

pytestmark = pytest.mark.django_db


def test_a_delegation_in_force_ends_now_and_lends_nothing_more():
    delegation = DelegationFactory()
    before = timezone.now()

    ended = delegation_end(delegation=delegation, actor=delegation.delegator)

    assert ended is not None
    assert before <= ended.ends_at <= timezone.now()
    assert not Delegation.objects.in_force().filter(pk=delegation.pk).exists()
    assert ended.updated_by == delegation.delegator


def test_an_upcoming_delegation_is_withdrawn():
    now = timezone.now()
    delegation = DelegationFactory(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))

    assert delegation_end(delegation=delegation, actor=delegation.delegator) is None
    assert not Delegation.objects.filter(pk=delegation.pk).exists()
    assert Delegation.all_objects.get(pk=delegation.pk).is_deleted


def test_an_ended_delegation_cannot_end_again():
    now = timezone.now()
    delegation = DelegationFactory(starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1))

    with pytest.raises(DomainConflict):
        delegation_end(delegation=delegation, actor=delegation.delegator)
    delegation.refresh_from_db()
    assert delegation.ends_at < now


@pytest.mark.parametrize("who", ["delegate", "stranger"])
def test_only_the_delegator_ends_it(who):
    delegation = DelegationFactory()
    actor = delegation.delegate if who == "delegate" else UserFactory()

    with pytest.raises(DomainPermissionDenied):
        delegation_end(delegation=delegation, actor=actor)
    assert Delegation.objects.in_force().filter(pk=delegation.pk).exists()


def test_an_administrator_with_the_change_permission_ends_anyones():
    delegation = DelegationFactory()
    admin = UserFactory(perms=["approvals.change_delegation"])

    assert delegation_end(delegation=delegation, actor=admin) is not None
    assert not Delegation.objects.in_force().filter(pk=delegation.pk).exists()
