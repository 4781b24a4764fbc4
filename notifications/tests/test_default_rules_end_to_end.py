"""The default rule set, driven through the HTTP API and the real services (no signal sent by hand): each change of a
ticket's life notifies exactly the people the rules name, once per event, never the actor, never a person who cannot
see the restricted ticket; e-mails go out when the change commits (Django Tasks, immediate backend in tests)."""

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core import mail

from approvals.tests.factories import DelegationFactory, template_with
from notifications.models import EmailStatus, Notification, NotificationEvent
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

TITLE = "Budget for the Lisbon office 9e2b"


@pytest.fixture(autouse=True)
def default_rules(db: Any) -> None:
    """The migration's rule set, re-created if a transactional test flushed it (it only adds the missing ones)."""
    importlib.import_module("notifications.migrations.0003_default_rules").create_default_rules(apps, None)


def news_since(mark: int) -> set[tuple[str, str]]:
    rows = Notification.objects.filter(pk__gt=mark).select_related("recipient")
    return {(row.recipient.username, row.event_type) for row in rows}


def last_id() -> int:
    return Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_a_restricted_ticket_through_approval_comments_and_an_access_request(
    client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    creator, assignee = UserFactory(username="creator"), UserFactory(username="assignee")
    alice, carol, deputy = UserFactory(username="alice"), UserFactory(username="carol"), UserFactory(username="deputy")
    managers = RoleFactory(name="managers")
    bob = UserFactory(username="bob", roles=[managers])
    UserFactory(username="gone", roles=[managers], is_active=False)
    DelegationFactory(delegator=alice, delegate=deputy)
    outsider = UserFactory(username="outsider")
    template = template_with(("any", [alice, managers]), ("all", [carol]))

    with django_capture_on_commit_callbacks(execute=True):
        created = client_for(creator).post(
            "/api/v1/tickets/",
            {"title": TITLE, "visibility": "restricted", "approval_template": template.pk, "assignee": assignee.pk},
            format="json",
        )
    assert created.status_code == 201, created.json()
    ticket_id = created.json()["id"]

    # Submitting starts step 1: its approvers (the user, the role's active members, the user's delegate) are asked.
    mark = last_id()
    with django_capture_on_commit_callbacks(execute=True):
        submitted = client_for(creator).post(
            f"/api/v1/tickets/{ticket_id}/transition/", {"status": "waiting_approval"}, format="json"
        )
    assert submitted.status_code == 200, submitted.json()
    requested = NotificationEvent.APPROVAL_REQUESTED
    assert news_since(mark) == {("alice", requested), ("bob", requested), ("deputy", requested)}
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        user.email for user in (alice, bob, deputy)
    )

    # The delegate approves step 1 on alice's behalf: step 2 asks carol; nobody else hears anything.
    slots = client_for(carol).get(f"/api/v1/approvals/?ticket={ticket_id}&mine=pending").json()["results"]
    assert len(slots) == 0  # step 2 is not active yet
    [alice_slot] = [s for s in client_for(deputy).get("/api/v1/approvals/?mine=pending").json()["results"] if s["user"]]
    mark = last_id()
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(deputy).post(f"/api/v1/approvals/{alice_slot['id']}/approve/", {}, format="json").status_code == 200
    assert news_since(mark) == {("carol", requested)}

    # Carol completes the process: the creator hears about the completion and the status change, once each.
    [carol_slot] = client_for(carol).get("/api/v1/approvals/?mine=pending").json()["results"]
    mark = last_id()
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(carol).post(f"/api/v1/approvals/{carol_slot['id']}/approve/", {}, format="json").status_code == 200
    assert news_since(mark) == {
        ("creator", NotificationEvent.APPROVAL_COMPLETED),
        ("creator", NotificationEvent.STATUS_CHANGED),
    }

    # The assignee comments: the creator is told in-app only; the assignee (the actor) is not told.
    mark = last_id()
    outbox_before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client_for(assignee).post(f"/api/v1/tickets/{ticket_id}/comments/", {"note": "On it."}, format="json").status_code
            == 201
        )
    assert news_since(mark) == {("creator", NotificationEvent.COMMENT_ADDED)}
    assert Notification.objects.get(pk__gt=mark).email_status == EmailStatus.NOT_REQUESTED
    assert len(mail.outbox) == outbox_before

    # An outsider asks for access: the grant managers (creator, assignee) are told; then the creator denies.
    mark = last_id()
    with django_capture_on_commit_callbacks(execute=True):
        asked = client_for(outsider).post(
            f"/api/v1/tickets/{ticket_id}/access-requests/", {"reason": "Finance audit"}, format="json"
        )
    assert asked.status_code == 201
    assert news_since(mark) == {
        ("creator", NotificationEvent.ACCESS_REQUESTED),
        ("assignee", NotificationEvent.ACCESS_REQUESTED),
    }
    mark = last_id()
    with django_capture_on_commit_callbacks(execute=True):
        denied = client_for(creator).post(
            f"/api/v1/access-requests/{asked.json()['id']}/deny/", {"comment": "Need-to-know"}, format="json"
        )
    assert denied.status_code == 200
    assert news_since(mark) == {("outsider", NotificationEvent.ACCESS_DECIDED)}

    # The outsider's inbox names no ticket detail; nobody who cannot see the ticket got anything else.
    inbox = client_for(outsider).get("/api/v1/notifications/")
    [item] = inbox.json()["results"]
    assert (item["ticket"], item["ticket_key"], item["ticket_title"]) == (None, None, None)
    assert TITLE not in inbox.content.decode()
    assert not Notification.objects.filter(recipient__username="gone").exists()
    outsider_mail = [message for message in mail.outbox if message.to == [outsider.email]]
    assert len(outsider_mail) == 1 and TITLE not in outsider_mail[0].body
    # Every e-mail that was asked for went out, each once.
    emailed = Notification.objects.exclude(email_status=EmailStatus.NOT_REQUESTED)
    assert set(emailed.values_list("email_status", flat=True)) == {EmailStatus.SENT}
    assert len(mail.outbox) == emailed.count()
