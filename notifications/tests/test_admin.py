"""The back office: rules are managed in the admin, with the same validation as the API; notifications are read-only."""

import json
from typing import Any

import pytest
from django.test import Client

from notifications.models import NotificationRule
from notifications.tests.factories import NotificationFactory
from tests.factories import AdminFactory


@pytest.fixture
def admin_client_(db: Any) -> Client:
    client = Client()
    client.force_login(AdminFactory())
    return client


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Urgent tickets to the on-call",
        "event_type": "ticket_created",
        "is_active": "on",
        "channels": json.dumps(["in_app", "email"]),
        "conditions": json.dumps({"priorities": ["urgent"]}),
        "notify_creator": "on",
    }
    return {**data, **overrides}


def test_admin_creates_a_rule_and_stamps_the_actor(admin_client_: Client) -> None:
    response = admin_client_.post("/admin/notifications/notificationrule/add/", _form())
    assert response.status_code == 302, response.content
    rule = NotificationRule.objects.get(name="Urgent tickets to the on-call")
    assert rule.conditions == {"priorities": ["urgent"]}
    assert rule.channels == ["in_app", "email"]
    assert rule.created_by is not None


@pytest.mark.parametrize("overrides", [{"conditions": json.dumps({"colour": "red"})}, {"channels": json.dumps(["pigeon"])}])
def test_admin_refuses_invalid_conditions_and_channels(admin_client_: Client, overrides: dict[str, str]) -> None:
    response = admin_client_.post("/admin/notifications/notificationrule/add/", _form(**overrides))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not NotificationRule.objects.filter(name="Urgent tickets to the on-call").exists()


def test_admin_lists_notifications_read_only(admin_client_: Client) -> None:
    notification = NotificationFactory()
    assert admin_client_.get("/admin/notifications/notification/").status_code == 200
    page = admin_client_.get(f"/admin/notifications/notification/{notification.pk}/change/")
    assert page.status_code == 200
    assert admin_client_.get("/admin/notifications/notification/add/").status_code == 403
