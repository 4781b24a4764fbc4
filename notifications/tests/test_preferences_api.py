"""GET and PATCH /api/v1/me/notification-preferences/: the caller's e-mail choice per event type (docs/notifications.md).
Only the caller's own; strict input; a refused body changes nothing."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from notifications.models import NotificationEvent, NotificationPreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/notification-preferences/"


def as_dict(rows: list[dict[str, Any]]) -> dict[str, bool]:
    return {row["event_type"]: row["email"] for row in rows}


def test_every_event_type_is_listed_with_its_label_and_on_until_turned_off(client_for: Any) -> None:
    response = client_for(UserFactory()).get(URL)

    assert response.status_code == 200, response.content
    assert response.json() == [
        {"event_type": event_type, "label": str(label), "email": True} for event_type, label in NotificationEvent.choices
    ]


def test_the_caller_turns_some_off_and_on_again_and_nobody_else_is_touched(client_for: Any) -> None:
    me, other = UserFactory(), UserFactory()
    client = client_for(me)

    turned_off = client.patch(URL, {"comment_added": False, "sla_warning": False}, format="json")

    assert turned_off.status_code == 200, turned_off.content
    expected = dict.fromkeys(NotificationEvent.values, True) | {"comment_added": False, "sla_warning": False}
    assert as_dict(turned_off.json()) == expected
    assert as_dict(client.get(URL).json()) == expected
    assert set(NotificationPreference.objects.values_list("user", "event_type", "email")) == {
        (me.pk, "comment_added", False),
        (me.pk, "sla_warning", False),
    }
    assert all(as_dict(client_for(other).get(URL).json()).values())

    turned_on = client.patch(URL, {"comment_added": True}, format="json")

    assert as_dict(turned_on.json()) == expected | {"comment_added": True}


def test_reading_the_preferences_is_one_query(client_for: Any, django_assert_num_queries: Any) -> None:
    me = UserFactory()
    client = client_for(me)
    client.patch(URL, {"comment_added": False, "status_changed": False}, format="json")

    with django_assert_num_queries(1):
        response = client.get(URL)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"comment_added": False, "no_such_event": False}, "non_field_errors"),
        ({"comment_added": False, "email": False}, "non_field_errors"),
        ({"comment_added": "false"}, "comment_added"),
        ({"comment_added": 0}, "comment_added"),
        ({"comment_added": None}, "comment_added"),
        ([{"event_type": "comment_added", "email": False}], "non_field_errors"),
    ],
    ids=["unknown event type", "unknown field", "text", "number", "null", "list"],
)
def test_bad_input_is_a_400_naming_it_and_changes_nothing(client_for: Any, body: Any, attr: str) -> None:
    client = client_for(UserFactory())

    response = client.patch(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert [error["attr"] for error in response.json()["errors"]] == [attr]
    assert NotificationPreference.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "patch"])
def test_anonymous_callers_get_a_401_and_change_nothing(method: str) -> None:
    response = getattr(APIClient(), method)(URL, {"comment_added": False}, format="json")

    assert response.status_code == 401
    assert NotificationPreference.objects.count() == 0


def test_other_methods_are_refused(client_for: Any) -> None:
    client = client_for(UserFactory())

    assert client.post(URL, {"comment_added": False}, format="json").status_code == 405
    assert client.delete(URL).status_code == 405
    assert NotificationPreference.objects.count() == 0
