"""Fan-out of domain events to notifications: each event type x recipient kind, the fan-out rules, conditions."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from approvals.models import ApprovalProcessStep, SlotStatus
from approvals.tests.factories import ApprovalProcessStepFactory, ApprovalSlotFactory, DelegationFactory
from notifications import selectors
from notifications.models import Channel, EmailStatus, Notification, NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from notifications.tests.helpers import _field_change, send_event
from permissions.models import AccessRequest, AccessRequestStatus
from permissions.selectors import can_view_ticket
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import Ticket, TicketPriority, TicketStatus, TicketVisibility
from tickets.tests.factories import CategoryFactory, TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.usefixtures("no_default_rules")

ALL_EVENTS = list(NotificationEvent.values)


@dataclass
class World:
    actor: User
    creator: User
    assignee: User
    listed: User
    role: Group
    role_member: User
    slot_user: User
    slot_role_member: User
    delegate: User
    requester: User
    ticket: Ticket
    step: ApprovalProcessStep
    access_request: AccessRequest

    def send(self, event_type: str) -> None:
        send_event(event_type, ticket=self.ticket, actor=self.actor, step=self.step, access_request=self.access_request)


@pytest.fixture
def world(db: Any) -> World:
    creator, assignee = UserFactory(), UserFactory()
    ticket = TicketFactory(created_by=creator, assignee=assignee, status=TicketStatus.WAITING_APPROVAL)  # a running process
    role = RoleFactory()
    approver_role = RoleFactory()
    slot_user, slot_role_member = UserFactory(), UserFactory(roles=[approver_role])
    step = ApprovalProcessStepFactory(process__ticket=ticket, approval_type="any")
    ApprovalSlotFactory(step=step, user=slot_user)
    ApprovalSlotFactory(step=step, role=approver_role)
    delegate = UserFactory()
    DelegationFactory(delegator=slot_user, delegate=delegate)
    requester = UserFactory()
    return World(
        actor=UserFactory(),
        creator=creator,
        assignee=assignee,
        listed=UserFactory(),
        role=role,
        role_member=UserFactory(roles=[role]),
        slot_user=slot_user,
        slot_role_member=slot_role_member,
        delegate=delegate,
        requester=requester,
        ticket=ticket,
        step=step,
        access_request=AccessRequestFactory(ticket=ticket, requester=requester),
    )


def recipients(event_type: str | None = None) -> set[int]:
    qs = Notification.objects.all()
    if event_type:
        qs = qs.filter(event_type=event_type)
    return set(qs.values_list("recipient_id", flat=True))


@pytest.mark.parametrize("event_type", ALL_EVENTS)
def test_listed_users_hear_about_every_event(world: World, event_type: str) -> None:
    NotificationRuleFactory(event_type=event_type, users=[world.listed])
    world.send(event_type)
    assert recipients() == {world.listed.pk}
    notification = Notification.objects.get()
    assert notification.event_type == event_type
    assert notification.ticket_id == world.ticket.pk
    assert notification.in_app is True
    assert notification.email_status == EmailStatus.NOT_REQUESTED
    assert notification.message


@pytest.mark.parametrize("event_type", ALL_EVENTS)
def test_members_of_listed_roles_hear_about_every_event(world: World, event_type: str) -> None:
    NotificationRuleFactory(event_type=event_type, roles=[world.role])
    world.send(event_type)
    assert recipients(event_type) == {world.role_member.pk}


@pytest.mark.parametrize("event_type", ALL_EVENTS)
def test_creator_hears_about_every_event(world: World, event_type: str) -> None:
    NotificationRuleFactory(event_type=event_type, notify_creator=True)
    world.send(event_type)
    assert recipients(event_type) == {world.creator.pk}


@pytest.mark.parametrize("event_type", ALL_EVENTS)
def test_assignee_hears_about_every_event(world: World, event_type: str) -> None:
    NotificationRuleFactory(event_type=event_type, notify_assignee=True)
    world.send(event_type)
    assert recipients(event_type) == {world.assignee.pk}


@pytest.mark.parametrize("event_type", ALL_EVENTS)
def test_approvers_of_the_active_step_hear_about_every_event(world: World, event_type: str) -> None:
    NotificationRuleFactory(event_type=event_type, notify_approvers=True)
    world.send(event_type)
    assert recipients(event_type) == {world.slot_user.pk, world.slot_role_member.pk, world.delegate.pk}


def test_requester_hears_about_the_decision_even_when_denied(world: World) -> None:
    world.ticket.visibility = TicketVisibility.RESTRICTED
    world.ticket.save(update_fields=["visibility"])
    NotificationRuleFactory(event_type=NotificationEvent.ACCESS_DECIDED, notify_requester=True)
    world.send(NotificationEvent.ACCESS_DECIDED)
    notification = Notification.objects.get()
    assert notification.recipient == world.requester
    assert "denied" in notification.message
    assert world.ticket.title not in notification.message


def test_requester_is_never_told_about_their_own_request(world: World) -> None:
    NotificationRuleFactory(event_type=NotificationEvent.ACCESS_REQUESTED, notify_requester=True, notify_creator=True)
    send_event(
        NotificationEvent.ACCESS_REQUESTED, ticket=world.ticket, actor=world.requester, access_request=world.access_request
    )
    assert recipients() == {world.creator.pk}


def test_grant_managers_hear_about_access_requests_on_a_restricted_ticket(world: World) -> None:
    world.ticket.visibility = TicketVisibility.RESTRICTED
    world.ticket.save(update_fields=["visibility"])
    NotificationRuleFactory(event_type=NotificationEvent.ACCESS_REQUESTED, notify_creator=True, notify_assignee=True)
    world.send(NotificationEvent.ACCESS_REQUESTED)
    assert recipients() == {world.creator.pk, world.assignee.pk}


# --- the three fan-out rules ------------------------------------------------------------------------------------------


def test_one_notification_per_user_per_event_with_channels_merged(world: World) -> None:
    world.creator.groups.add(world.role)
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=[Channel.IN_APP])
    NotificationRuleFactory(
        event_type=NotificationEvent.COMMENT_ADDED, roles=[world.role], users=[world.creator], channels=[Channel.EMAIL]
    )
    world.send(NotificationEvent.COMMENT_ADDED)
    mine = Notification.objects.filter(recipient=world.creator)
    assert mine.count() == 1
    assert mine.get().in_app is True
    assert mine.get().email_status in (EmailStatus.SENT, EmailStatus.PENDING)
    assert recipients() == {world.creator.pk, world.role_member.pk}


def test_never_to_the_actor(world: World) -> None:
    NotificationRuleFactory(event_type=NotificationEvent.STATUS_CHANGED, notify_creator=True, users=[world.listed])
    send_event(NotificationEvent.STATUS_CHANGED, ticket=world.ticket, actor=world.creator)
    assert recipients() == {world.listed.pk}


def test_inactive_users_are_skipped(world: World) -> None:
    world.listed.is_active = False
    world.listed.save(update_fields=["is_active"])
    NotificationRuleFactory(event_type=NotificationEvent.TICKET_CREATED, users=[world.listed], notify_creator=True)
    send_event(NotificationEvent.TICKET_CREATED, ticket=world.ticket, actor=world.actor)
    assert recipients() == {world.creator.pk}


def test_restricted_ticket_reaches_only_recipients_who_can_see_it(db: Any) -> None:
    creator = UserFactory()
    ticket = TicketFactory(created_by=creator, visibility=TicketVisibility.RESTRICTED)
    role = RoleFactory()
    outsider = UserFactory(roles=[role])
    grantee = UserFactory(roles=[role])
    GrantFactory(ticket=ticket, user=grantee)
    role_grantee_role = RoleFactory()
    via_role_grant = UserFactory(roles=[role, role_grantee_role])
    GrantFactory(ticket=ticket, role=role_grantee_role)
    auditor = UserFactory(roles=[role], perms=["tickets.view_all_tickets"])
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, roles=[role], channels=[Channel.IN_APP, Channel.EMAIL])

    send_event(NotificationEvent.COMMENT_ADDED, ticket=ticket, actor=creator)

    assert recipients() == {grantee.pk, via_role_grant.pk, auditor.pk}
    assert outsider.pk not in recipients()


def test_visibility_in_bulk_agrees_with_the_permissions_rule(db: Any) -> None:
    creator, assignee = UserFactory(), UserFactory()
    ticket = TicketFactory(created_by=creator, assignee=assignee, visibility=TicketVisibility.RESTRICTED)
    grant_role, slot_role = RoleFactory(), RoleFactory()
    GrantFactory(ticket=ticket, role=grant_role)
    step = ApprovalProcessStepFactory(process__ticket=ticket, approval_type="any")
    slot_user = UserFactory()
    ApprovalSlotFactory(step=step, user=slot_user)
    ApprovalSlotFactory(step=step, role=slot_role)
    slot_member = UserFactory(roles=[slot_role])
    delegate_of_user, delegate_of_member, expired_delegate = UserFactory(), UserFactory(), UserFactory()
    DelegationFactory(delegator=slot_user, delegate=delegate_of_user)
    DelegationFactory(delegator=slot_member, delegate=delegate_of_member)
    DelegationFactory(
        delegator=slot_user,
        delegate=expired_delegate,
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=1),
    )
    candidates = [
        creator,
        assignee,
        UserFactory(roles=[grant_role]),
        slot_user,
        slot_member,
        delegate_of_user,
        delegate_of_member,
        expired_delegate,
        UserFactory(),
        UserFactory(perms=["tickets.view_all_tickets"]),
        UserFactory(is_superuser=True),
        UserFactory(roles=[grant_role], is_active=False),
    ]
    expected = {user.pk for user in candidates if can_view_ticket(user, ticket)}
    assert selectors.users_who_can_view_ticket(ticket, [u.pk for u in candidates]) == expected
    assert expired_delegate.pk not in expected
    assert delegate_of_member.pk in expected


def test_approvers_exclude_the_creator_decided_slots_and_ended_delegations(db: Any) -> None:
    creator = UserFactory()
    role = RoleFactory()
    creator.groups.add(role)
    member = UserFactory(roles=[role])
    ticket = TicketFactory(created_by=creator, status=TicketStatus.WAITING_APPROVAL)
    step = ApprovalProcessStepFactory(process__ticket=ticket, approval_type="any")
    ApprovalSlotFactory(step=step, role=role)
    done = UserFactory()
    ApprovalSlotFactory(step=step, user=done, status=SlotStatus.APPROVED)
    DelegationFactory(
        delegator=member,
        delegate=UserFactory(),
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=1),
    )
    NotificationRuleFactory(event_type=NotificationEvent.APPROVAL_REQUESTED, notify_approvers=True)

    send_event(NotificationEvent.APPROVAL_REQUESTED, ticket=ticket, actor=creator, step=step)

    assert recipients() == {member.pk}


# --- rules: conditions, activity ------------------------------------------------------------------------------------------


def test_conditions_on_priority_category_and_template(db: Any) -> None:
    watcher = UserFactory()
    category, other_category = CategoryFactory(), CategoryFactory()
    template = TicketTemplateFactory()
    ticket = TicketFactory(priority=TicketPriority.URGENT, template=template)
    ticket.categories.add(category)
    matching = {"priorities": ["urgent", "high"], "categories": [category.pk], "templates": [template.pk]}
    NotificationRuleFactory(event_type=NotificationEvent.TICKET_CREATED, users=[watcher], conditions=matching)
    for missing in ({"priorities": ["low"]}, {"categories": [other_category.pk]}, {"templates": [template.pk + 1000]}):
        NotificationRuleFactory(event_type=NotificationEvent.TICKET_CREATED, notify_creator=True, conditions=missing)

    send_event(NotificationEvent.TICKET_CREATED, ticket=ticket, actor=UserFactory())

    assert recipients() == {watcher.pk}


def test_inactive_and_deleted_rules_are_ignored(world: World) -> None:
    NotificationRuleFactory(event_type=NotificationEvent.TICKET_CREATED, users=[world.listed], is_active=False)
    NotificationRuleFactory(event_type=NotificationEvent.TICKET_CREATED, notify_creator=True).soft_delete(actor=None)
    world.send(NotificationEvent.TICKET_CREATED)
    assert recipients() == set()


def test_an_update_without_assignee_change_notifies_nobody(world: World) -> None:
    from tickets import signals as ticket_signals

    NotificationRuleFactory(event_type=NotificationEvent.TICKET_ASSIGNED, notify_assignee=True)
    ticket_signals.ticket_updated.send(
        sender=Ticket, ticket=world.ticket, actor=world.actor, changes=[_field_change("priority", "low", "high")]
    )
    assert recipients() == set()


def test_default_rule_set_from_the_migration(world: World) -> None:
    from notifications.models import NotificationRule

    NotificationRule.objects.update(is_active=True)
    world.send(NotificationEvent.APPROVAL_REQUESTED)
    world.send(NotificationEvent.STATUS_CHANGED)
    world.send(NotificationEvent.TICKET_ASSIGNED)
    world.send(NotificationEvent.ACCESS_REQUESTED)
    world.send(NotificationEvent.ACCESS_DECIDED)
    approvers = {world.slot_user.pk, world.slot_role_member.pk, world.delegate.pk}
    assert recipients(NotificationEvent.APPROVAL_REQUESTED) == approvers
    assert recipients(NotificationEvent.STATUS_CHANGED) == {world.creator.pk}
    assert recipients(NotificationEvent.TICKET_ASSIGNED) == {world.assignee.pk}
    assert recipients(NotificationEvent.ACCESS_REQUESTED) == {world.creator.pk, world.assignee.pk}
    assert recipients(NotificationEvent.ACCESS_DECIDED) == {world.requester.pk}
    world.access_request.refresh_from_db()
    assert world.access_request.status == AccessRequestStatus.DENIED


# --- bounded fan-out --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("members", [1000, 2000])
def test_fan_out_to_a_large_role_runs_a_bounded_number_of_queries(
    db: Any, django_assert_max_num_queries: Any, django_capture_on_commit_callbacks: Any, members: int
) -> None:
    role = RoleFactory()
    users = UserFactory.build_batch(members)
    User.objects.bulk_create(users)
    role.user_set.add(*User.objects.filter(username__in=[u.username for u in users]))
    ticket = TicketFactory()
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, roles=[role], channels=[Channel.IN_APP, Channel.EMAIL])
    actor = UserFactory()

    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(12):
        from notifications.services import Event, notify

        created = notify(Event(NotificationEvent.COMMENT_ADDED, ticket, actor, "x added a comment."))

    assert len(created) == members
    assert Notification.objects.filter(ticket=ticket).count() == members
    assert len(callbacks) == 1  # one task for the whole batch of e-mails
