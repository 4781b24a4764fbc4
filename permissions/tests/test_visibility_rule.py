"""The visibility rule itself (permissions.selectors), one actor at a time, on a restricted ticket."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory
from permissions.selectors import can_manage_grants, can_view_ticket, get_visible_ticket, visible_tickets
from permissions.tests.factories import GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory
from ticketsite.errors import DomainNotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    return RestrictedTicketFactory(assignee=UserFactory())


def sees(user, ticket) -> bool:
    in_list = visible_tickets(user).filter(pk=ticket.pk).exists()
    assert in_list == can_view_ticket(user, ticket)
    return in_list


def test_internal_ticket_is_visible_to_any_active_user():
    ticket = TicketFactory()
    assert sees(UserFactory(), ticket)
    assert not sees(UserFactory(is_active=False), ticket)


def test_restricted_ticket_hidden_from_unrelated_user(ticket):
    assert not sees(UserFactory(), ticket)


def test_creator_and_assignee_see_it(ticket):
    assert sees(ticket.created_by, ticket)
    assert sees(ticket.assignee, ticket)


def test_inactive_creator_sees_nothing(ticket):
    ticket.created_by.is_active = False
    ticket.created_by.save(update_fields=["is_active"])
    assert not sees(ticket.created_by, ticket)


def test_user_slot_approver_sees_it(ticket):
    slot = ApprovalSlotFactory(step__process__ticket=ticket)
    assert sees(slot.user, ticket)


def test_role_slot_counts_current_members_only(ticket):
    role = RoleFactory()
    member = UserFactory(roles=[role])
    ApprovalSlotFactory(step__process__ticket=ticket, user=None, role=role)
    assert sees(member, ticket)
    member.groups.remove(role)
    assert not sees(member, ticket)


def test_active_delegate_of_user_slot_and_role_slot(ticket):
    role = RoleFactory()
    boss = UserFactory()
    role_boss = UserFactory(roles=[role])
    slot = ApprovalSlotFactory(step__process__ticket=ticket, user=boss)
    ApprovalSlotFactory(step=slot.step, user=None, role=role)
    delegate_of_boss = DelegationFactory(delegator=boss).delegate
    delegate_of_role_member = DelegationFactory(delegator=role_boss).delegate
    assert sees(delegate_of_boss, ticket)
    assert sees(delegate_of_role_member, ticket)


def test_delegation_outside_its_window_or_deleted_or_from_inactive_user_gives_nothing(ticket):
    boss = UserFactory()
    slot = ApprovalSlotFactory(step__process__ticket=ticket, user=boss)
    now = timezone.now()
    expired = DelegationFactory(delegator=boss, starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=1))
    future = DelegationFactory(delegator=boss, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=3))
    deleted = DelegationFactory(delegator=boss)
    deleted.soft_delete(actor=None)
    assert not sees(expired.delegate, ticket)
    assert not sees(future.delegate, ticket)
    assert not sees(deleted.delegate, ticket)
    inactive_boss = UserFactory(is_active=False)
    ApprovalSlotFactory(step=slot.step, user=inactive_boss)
    assert not sees(DelegationFactory(delegator=inactive_boss).delegate, ticket)


def test_delegation_is_not_transitive(ticket):
    boss = UserFactory()
    ApprovalSlotFactory(step__process__ticket=ticket, user=boss)
    first = DelegationFactory(delegator=boss).delegate
    second = DelegationFactory(delegator=first).delegate
    assert sees(first, ticket)
    assert not sees(second, ticket)


def test_user_and_role_grants_until_revoked(ticket):
    role = RoleFactory()
    member = UserFactory(roles=[role])
    user_grant = GrantFactory(ticket=ticket)
    role_grant = GrantFactory(ticket=ticket, user=None, role=role)
    assert sees(user_grant.user, ticket)
    assert sees(member, ticket)
    user_grant.soft_delete(actor=None)
    role_grant.soft_delete(actor=None)
    assert not sees(user_grant.user, ticket)
    assert not sees(member, ticket)


def test_view_all_holder_and_superuser_see_it(ticket):
    assert sees(UserFactory(perms=["tickets.view_all_tickets"]), ticket)
    assert sees(UserFactory(is_superuser=True), ticket)


def test_deleted_ticket_is_seen_by_nobody(ticket):
    ticket.soft_delete(actor=None)
    auditor = UserFactory(perms=["tickets.view_all_tickets"])
    assert not visible_tickets(auditor).filter(pk=ticket.pk).exists()
    assert not can_view_ticket(ticket.created_by, ticket)


@pytest.mark.parametrize("bad_id", ["abc", "", None, "1.5", "-1", "0", str(2**63), str(10**30), True])
def test_get_visible_ticket_treats_malformed_or_huge_ids_as_not_found(bad_id):
    with pytest.raises(DomainNotFound):
        get_visible_ticket(UserFactory(), bad_id)


def test_get_visible_ticket_is_404_for_missing_and_forbidden_alike(ticket):
    with pytest.raises(DomainNotFound):
        get_visible_ticket(UserFactory(), ticket.pk)
    assert get_visible_ticket(ticket.created_by, str(ticket.pk)) == ticket


def test_can_manage_grants(ticket):
    manager = UserFactory(perms=["permissions.manage_ticket_permissions"])
    assert can_manage_grants(ticket.created_by, ticket)
    assert can_manage_grants(ticket.assignee, ticket)
    assert not can_manage_grants(GrantFactory(ticket=ticket).user, ticket)
    # The permission alone does not open a restricted ticket the holder cannot see.
    assert not can_manage_grants(manager, ticket)
    GrantFactory(ticket=ticket, user=manager)
    assert can_manage_grants(manager, ticket)
    ticket.soft_delete(actor=None)
    assert not can_manage_grants(ticket.created_by, ticket)
