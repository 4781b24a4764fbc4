"""The in-app inbox verbs stay inside the caller's own in-app notifications: e-mail-only rows and other people's rows are
neither listed, counted, read nor marked (SPEC §8, §12)."""

from typing import Any

import pytest

from notifications.models import Notification
from notifications.tests.factories import NotificationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/notifications/"


@pytest.fixture
def owner() -> Any:
    return UserFactory()


@pytest.fixture
def crowd(owner: Any) -> dict[str, Any]:
    """Two unread and one read in-app notification of the owner, one e-mail-only row of theirs, two of somebody else."""
    return {
        "unread": NotificationFactory.create_batch(2, recipient=owner),
        "read": NotificationFactory(recipient=owner, is_read=True),
        "email_only": NotificationFactory(recipient=owner, in_app=False),
        "others": NotificationFactory.create_batch(2),
    }


def test_unread_count_counts_only_own_unread_in_app_notifications(owner, crowd, client_for):
    response = client_for(owner).get(f"{INBOX}unread-count/")

    assert response.status_code == 200
    assert response.json() == {"count": 2}
    assert client_for(crowd["others"][0].recipient).get(f"{INBOX}unread-count/").json() == {"count": 1}


def test_read_all_marks_and_counts_only_own_in_app_notifications(owner, crowd, client_for):
    response = client_for(owner).post(f"{INBOX}read-all/")

    assert response.json() == {"count": 2}
    assert Notification.objects.filter(recipient=owner, in_app=True, is_read=False).count() == 0
    crowd["email_only"].refresh_from_db()
    assert crowd["email_only"].is_read is False
    assert Notification.objects.filter(pk__in=[n.pk for n in crowd["others"]], is_read=False).count() == 2
    assert client_for(owner).post(f"{INBOX}read-all/").json() == {"count": 0}


def test_an_email_only_notification_is_not_in_the_inbox_at_all(owner, crowd, client_for):
    client = client_for(owner)
    email_only = crowd["email_only"]

    assert email_only.pk not in {row["id"] for row in client.get(INBOX).json()["results"]}
    assert client.get(f"{INBOX}{email_only.pk}/").status_code == 404
    assert client.post(f"{INBOX}{email_only.pk}/read/").status_code == 404


def test_unread_filter_lists_only_own(owner, crowd, client_for):
    client = client_for(owner)

    unread = {row["id"] for row in client.get(INBOX, {"unread": "true"}).json()["results"]}
    read = {row["id"] for row in client.get(INBOX, {"unread": "false"}).json()["results"]}
    everything = {row["id"] for row in client.get(INBOX).json()["results"]}

    assert unread == {n.pk for n in crowd["unread"]}
    assert read == {crowd["read"].pk}
    assert everything == unread | read


def test_marking_read_twice_keeps_the_first_read_time(owner, client_for):
    notification = NotificationFactory(recipient=owner)
    client = client_for(owner)

    first = client.post(f"{INBOX}{notification.pk}/read/")
    second = client.post(f"{INBOX}{notification.pk}/read/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["read_at"] == second.json()["read_at"] is not None
    assert client.get(f"{INBOX}unread-count/").json() == {"count": 0}


def test_someone_elses_notification_is_404_for_every_verb(owner, crowd, client_for):
    theirs = crowd["others"][0]
    client = client_for(owner)

    assert client.get(f"{INBOX}{theirs.pk}/").status_code == 404
    assert client.post(f"{INBOX}{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_read is False


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("get", "unread-count/"), ("post", "read-all/"), ("get", "{id}/"), ("post", "{id}/read/")],
)
def test_anonymous_is_401_on_every_inbox_path(api_client, crowd, method, path):
    url = INBOX + path.format(id=crowd["unread"][0].pk)

    response = getattr(api_client, method)(url)

    assert response.status_code == 401
    assert Notification.objects.filter(is_read=True).count() == 1


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_malformed_unread_filter_is_a_400(owner, client_for, value):
    response = client_for(owner).get(INBOX, {"unread": value})

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
