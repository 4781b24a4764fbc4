"""The in-app inbox (own notifications only) and the admin-only notification rules API."""

from typing import Any

import pytest

from notifications.models import Notification, NotificationEvent, NotificationRule
from notifications.tests.factories import NotificationFactory, NotificationRuleFactory
from permissions.tests.factories import GrantFactory
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import TicketVisibility
from tickets.tests.factories import CategoryFactory, TicketFactory

INBOX = "/api/v1/notifications/"
RULES = "/api/v1/notification-rules/"


@pytest.fixture
def owner(db: Any) -> Any:
    return UserFactory()


def test_inbox_lists_own_notifications_with_ticket_key_title_and_actor(owner: Any, client_for: Any) -> None:
    mine = NotificationFactory(recipient=owner, event_type=NotificationEvent.COMMENT_ADDED)
    NotificationFactory()  # somebody else's
    NotificationFactory(recipient=owner, in_app=False)  # e-mail only: not in the inbox

    response = client_for(owner).get(INBOX)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == mine.pk
    assert item["event_type"] == "comment_added"
    assert item["ticket"] == mine.ticket_id
    assert item["ticket_key"] == mine.ticket.key
    assert item["ticket_title"] == mine.ticket.title
    assert item["actor"] == mine.actor_id
    assert item["actor_username"] == mine.actor.username
    assert item["message"] == mine.message
    assert item["is_read"] is False
    assert "created_at" in item


def test_inbox_hides_the_ticket_once_access_is_revoked(owner: Any, client_for: Any) -> None:
    ticket = TicketFactory(visibility=TicketVisibility.RESTRICTED, title="Salary review")
    grant = GrantFactory(ticket=ticket, user=owner)
    notification = NotificationFactory(recipient=owner, ticket=ticket)
    assert client_for(owner).get(f"{INBOX}{notification.pk}/").json()["ticket_title"] == "Salary review"

    grant.soft_delete(actor=None)
    item = client_for(owner).get(INBOX).json()["results"][0]

    assert item["id"] == notification.pk
    assert item["ticket"] is None
    assert item["ticket_key"] is None
    assert item["ticket_title"] is None
    assert "Salary review" not in str(item)


def test_unread_filter_and_unread_count(owner: Any, client_for: Any) -> None:
    unread = NotificationFactory.create_batch(2, recipient=owner)
    read = NotificationFactory(recipient=owner, is_read=True)
    client = client_for(owner)

    assert {n["id"] for n in client.get(INBOX, {"unread": "true"}).json()["results"]} == {n.pk for n in unread}
    assert {n["id"] for n in client.get(INBOX, {"unread": "false"}).json()["results"]} == {read.pk}
    assert client.get(f"{INBOX}unread-count/").json() == {"count": 2}


def test_mark_one_read_for_the_owner_and_404_for_anybody_else(owner: Any, client_for: Any) -> None:
    notification = NotificationFactory(recipient=owner)
    stranger = UserFactory()

    refused = client_for(stranger).post(f"{INBOX}{notification.pk}/read/")
    assert refused.status_code == 404
    assert refused.json()["errors"][0]["code"] == "not_found"
    assert client_for(stranger).get(f"{INBOX}{notification.pk}/").status_code == 404
    notification.refresh_from_db()
    assert notification.is_read is False

    response = client_for(owner).post(f"{INBOX}{notification.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    notification.refresh_from_db()
    assert notification.is_read is True
    assert notification.read_at is not None
    assert notification.updated_by == owner


def test_mark_all_read_touches_only_own_notifications(owner: Any, client_for: Any) -> None:
    NotificationFactory.create_batch(3, recipient=owner)
    other = NotificationFactory()

    response = client_for(owner).post(f"{INBOX}read-all/")

    assert response.status_code == 200
    assert response.json() == {"count": 3}
    assert not Notification.objects.filter(recipient=owner, is_read=False).exists()
    other.refresh_from_db()
    assert other.is_read is False
    assert client_for(owner).get(f"{INBOX}unread-count/").json() == {"count": 0}


def test_inbox_needs_authentication(api_client: Any, db: Any) -> None:
    assert api_client.get(INBOX).status_code == 401


@pytest.mark.parametrize("rows", [5, 10])
def test_inbox_list_runs_a_fixed_number_of_queries(
    owner: Any, client_for: Any, django_assert_num_queries: Any, rows: int
) -> None:
    NotificationFactory.create_batch(rows, recipient=owner)
    client = client_for(owner)
    # count, page (with ticket and actor), the caller's permissions (one query: ticketsite.backends), visible tickets
    # of the page
    with django_assert_num_queries(4):
        response = client.get(INBOX)
    assert len(response.json()["results"]) == rows


# --- rules ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def rule_admin(db: Any) -> Any:
    perms = [f"notifications.{verb}_notificationrule" for verb in ("view", "add", "change", "delete")]
    return UserFactory(perms=perms)


def test_rules_are_managed_by_admins(rule_admin: Any, client_for: Any) -> None:
    client = client_for(rule_admin)
    watcher, role, category = UserFactory(), RoleFactory(), CategoryFactory()
    payload = {
        "name": "Urgent printer tickets",
        "event_type": "ticket_created",
        "conditions": {"priorities": ["urgent"], "categories": [category.pk]},
        "users": [watcher.pk],
        "roles": [role.pk],
        "notify_assignee": True,
        "channels": ["email", "in_app"],
    }

    created = client.post(RULES, payload)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["users"] == [watcher.pk]
    assert body["roles"] == [role.pk]
    assert body["channels"] == ["in_app", "email"]
    assert body["is_active"] is True
    assert body["created_by"] == rule_admin.pk
    rule_id = body["id"]

    assert client.get(RULES, {"event_type": "ticket_created"}).json()["count"] >= 1
    updated = client.patch(f"{RULES}{rule_id}/", {"is_active": False, "users": []})
    assert updated.status_code == 200
    assert updated.json()["is_active"] is False
    assert updated.json()["users"] == []

    assert client.delete(f"{RULES}{rule_id}/").status_code == 204
    assert NotificationRule.all_objects.get(pk=rule_id).is_deleted is True
    assert client.get(f"{RULES}{rule_id}/").status_code == 404


def test_superuser_may_manage_rules(client_for: Any, db: Any) -> None:
    assert client_for(AdminFactory()).get(RULES).status_code == 200


def test_ordinary_users_cannot_read_or_write_rules(client_for: Any, db: Any) -> None:
    client = client_for(UserFactory())
    rule = NotificationRuleFactory()
    assert client.get(RULES).status_code == 403
    assert client.get(f"{RULES}{rule.pk}/").status_code == 403
    assert client.post(RULES, {"name": "x", "event_type": "ticket_created"}).status_code == 403
    assert client.delete(f"{RULES}{rule.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("conditions", {"colour": ["red"]}),
        ("conditions", {"priorities": ["whenever"]}),
        ("conditions", {"categories": [999999]}),
        ("conditions", {"templates": "all"}),
        ("channels", []),
        ("channels", ["pigeon"]),
        ("event_type", "ticket_exploded"),
    ],
)
def test_rule_input_is_validated(rule_admin: Any, client_for: Any, field: str, value: Any) -> None:
    payload = {"name": "Bad", "event_type": "ticket_created", field: value}
    response = client_for(rule_admin).post(RULES, payload)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["attr"].split(".")[0] == field


def test_read_only_fields_are_not_writable(rule_admin: Any, client_for: Any) -> None:
    other = UserFactory()
    response = client_for(rule_admin).post(RULES, {"name": "R", "event_type": "comment_added", "created_by": other.pk})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "read_only"
    assert not NotificationRule.objects.filter(name="R").exists()
