"""Leak hunt of the notification inbox: people told about the hidden ticket while they could see it (FORMERLY_NOTIFIED)
keep their notifications, which no longer name the ticket; nobody reaches another's notification."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils.html import escape

from notifications.models import Notification
from tests.test_leak_hunt import FORMERLY_NOTIFIED, KEY, SEARCH, TITLE
from workspace.tests.leak import assert_nothing_leaks, hunt

pytestmark = pytest.mark.django_db

HUNTED: dict[str, dict[str, str]] = {
    "notifications": {},
    "notification-read": {"notification_id": "notification"},
    "notifications-read-all": {},
}


@pytest.mark.parametrize(
    "query", ["", "unread=1", "unread=0", "page=2", urlencode({"q": SEARCH, "ordering": "ticket__title", "unread": "1"})]
)
def test_the_inbox(world, db, query):
    hunt(world, "notifications", HUNTED["notifications"], query=query)


@pytest.mark.parametrize("column", FORMERLY_NOTIFIED)
def test_notifications_from_before_access_was_lost_name_no_ticket(world, db, column):
    person = world.people[column]
    mine = list(Notification.objects.filter(recipient=person, ticket=world.ticket))
    client = Client()
    client.force_login(person)
    assert mine

    inbox = client.get("/notifications/")
    opened = [client.post(f"/notifications/{notification.pk}/read/") for notification in mine]

    body = inbox.content.decode()
    for notification in mine:
        assert f'id="notification-{notification.pk}"' in body
        assert escape(notification.message) in body
    assert_nothing_leaks(inbox, column)
    for response in opened:
        assert response["Location"] == "/notifications/"
        assert_nothing_leaks(response, column)
    assert_nothing_leaks(client.get("/notifications/"), column)


def test_the_control_a_reader_who_still_sees_the_ticket_gets_its_title_and_key(world, db):
    notification = Notification.objects.get(pk=world.ids["notification"])
    client = Client()
    client.force_login(notification.recipient)

    body = client.get("/notifications/").content.decode()
    opened = client.post(f"/notifications/{notification.pk}/read/")

    assert TITLE in body
    assert KEY in body
    assert opened["Location"] == f"/tickets/{KEY}/"


def test_reading_another_persons_notification(world, db):
    hunt(world, "notification-read", HUNTED["notification-read"], method="post")
    assert not Notification.objects.get(pk=world.ids["notification"]).is_read


def test_reading_is_post_only(world, db):
    hunt(world, "notification-read", HUNTED["notification-read"], expect_404=False)
    hunt(world, "notifications-read-all", HUNTED["notifications-read-all"], expect_404=False)


def test_marking_all_read(world, db):
    hunt(world, "notifications-read-all", HUNTED["notifications-read-all"], method="post")
    assert not Notification.objects.get(pk=world.ids["notification"]).is_read
