"""The three fan-out rules applied to every kind of recipient (listed user, member of a listed role, creator, assignee,
user slot, member of a role slot, delegate of an approver): an inactive one is skipped, the actor is never told, and on
a restricted ticket a listed person without access is dropped while everyone with access is kept."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from approvals.tests.factories import ApprovalProcessStepFactory, ApprovalSlotFactory, DelegationFactory
from notifications.models import Notification, NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from notifications.tests.helpers import send_event
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketStatus, TicketVisibility
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.usefixtures("no_default_rules")

KINDS = ["listed_user", "role_member", "creator", "assignee", "slot_user", "slot_role_member", "delegate"]


@dataclass
class Scene:
    ticket: Any
    step: Any
    people: dict[str, User]
    listed_role: Any

    def rule(self, event_type: str, **kwargs: Any) -> None:
        """One rule naming every kind of recipient."""
        NotificationRuleFactory(
            event_type=event_type,
            users=[self.people["listed_user"]],
            roles=[self.listed_role],
            notify_creator=True,
            notify_assignee=True,
            notify_approvers=True,
            **kwargs,
        )


def build_scene(visibility: str) -> Scene:
    creator, assignee, slot_user, delegate = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    listed_role, slot_role = RoleFactory(), RoleFactory()
    ticket = TicketFactory(
        created_by=creator, assignee=assignee, visibility=visibility, status=TicketStatus.WAITING_APPROVAL
    )  # a running process
    step = ApprovalProcessStepFactory(process__ticket=ticket, approval_type="any")
    ApprovalSlotFactory(step=step, user=slot_user)
    ApprovalSlotFactory(step=step, role=slot_role)
    DelegationFactory(delegator=slot_user, delegate=delegate)
    people = {
        "listed_user": UserFactory(),
        "role_member": UserFactory(roles=[listed_role]),
        "creator": creator,
        "assignee": assignee,
        "slot_user": slot_user,
        "slot_role_member": UserFactory(roles=[slot_role]),
        "delegate": delegate,
    }
    return Scene(ticket=ticket, step=step, people=people, listed_role=listed_role)


def recipients() -> set[int]:
    return set(Notification.objects.values_list("recipient_id", flat=True))


@pytest.mark.parametrize("kind", KINDS)
def test_an_inactive_recipient_of_any_kind_is_skipped(db: Any, kind: str) -> None:
    scene = build_scene(TicketVisibility.INTERNAL)
    scene.rule(NotificationEvent.COMMENT_ADDED)
    gone = scene.people[kind]
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    send_event(NotificationEvent.COMMENT_ADDED, ticket=scene.ticket, actor=UserFactory())

    expected = {person.pk for name, person in scene.people.items() if name != kind}
    if kind == "slot_user":
        expected.discard(scene.people["delegate"].pk)  # the delegation lapses with its delegator
    assert recipients() == expected


@pytest.mark.parametrize("kind", KINDS)
def test_the_actor_is_never_told_whatever_kind_of_recipient_they_also_are(db: Any, kind: str) -> None:
    scene = build_scene(TicketVisibility.INTERNAL)
    scene.rule(NotificationEvent.STATUS_CHANGED)
    actor = scene.people[kind]

    send_event(NotificationEvent.STATUS_CHANGED, ticket=scene.ticket, actor=actor)

    assert recipients() == {person.pk for person in scene.people.values()} - {actor.pk}


def test_on_a_restricted_ticket_listed_people_without_access_are_dropped(db: Any) -> None:
    scene = build_scene(TicketVisibility.RESTRICTED)
    granted_member = UserFactory(roles=[scene.listed_role])
    GrantFactory(ticket=scene.ticket, user=granted_member)
    auditor = UserFactory(roles=[scene.listed_role], perms=["tickets.view_all_tickets"])
    scene.rule(NotificationEvent.COMMENT_ADDED)

    send_event(NotificationEvent.COMMENT_ADDED, ticket=scene.ticket, actor=UserFactory())

    blind = {scene.people["listed_user"].pk, scene.people["role_member"].pk}
    sighted = {person.pk for person in scene.people.values()} - blind
    assert recipients() == sighted | {granted_member.pk, auditor.pk}
    assert not Notification.objects.filter(recipient_id__in=blind).exists()


@pytest.mark.parametrize("event_type", list(NotificationEvent.values))
def test_every_event_on_a_restricted_ticket_skips_the_blind_and_keeps_the_sighted(db: Any, event_type: str) -> None:
    scene = build_scene(TicketVisibility.RESTRICTED)
    scene.rule(event_type)
    access_request = AccessRequestFactory(ticket=scene.ticket)

    send_event(event_type, ticket=scene.ticket, actor=UserFactory(), step=scene.step, access_request=access_request)

    blind = {scene.people["listed_user"].pk, scene.people["role_member"].pk}
    assert recipients() == {person.pk for person in scene.people.values()} - blind


def test_the_access_decided_exception_reaches_the_requester_only(db: Any) -> None:
    ticket = TicketFactory(visibility=TicketVisibility.RESTRICTED)
    bystander = UserFactory()
    access_request = AccessRequestFactory(ticket=ticket)
    NotificationRuleFactory(event_type=NotificationEvent.ACCESS_DECIDED, users=[bystander], notify_requester=True)

    send_event(NotificationEvent.ACCESS_DECIDED, ticket=ticket, actor=ticket.created_by, access_request=access_request)

    assert recipients() == {access_request.requester_id}


def test_an_inactive_requester_hears_nothing_about_the_decision(db: Any) -> None:
    ticket = TicketFactory(visibility=TicketVisibility.RESTRICTED)
    access_request = AccessRequestFactory(ticket=ticket, requester=UserFactory(is_active=False))
    NotificationRuleFactory(event_type=NotificationEvent.ACCESS_DECIDED, notify_requester=True)

    send_event(NotificationEvent.ACCESS_DECIDED, ticket=ticket, actor=ticket.created_by, access_request=access_request)

    assert recipients() == set()
