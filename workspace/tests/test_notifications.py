"""The notification inbox: newest first, in words, unread emphasised, a ticket named only while the reader may see it;
marking one read (then opening its ticket) and all read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification, NotificationEvent
from notifications.tests.factories import NotificationFactory
from permissions import services as permission_services
from tests.factories import UserFactory
from tickets.models import TicketVisibility
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = "/notifications/"


def read_url(notification) -> str:
    return f"/notifications/{notification.pk}/read/"


@pytest.fixture
def reader():
    return UserFactory(username="nina")


def test_the_inbox_lists_my_notifications_newest_first_in_words(page_for, reader):
    ticket = TicketFactory(title="Printer on fire", visibility=TicketVisibility.INTERNAL)
    older = NotificationFactory(
        recipient=reader, ticket=ticket, event_type=NotificationEvent.COMMENT_ADDED, message="carol added a comment."
    )
    newer = NotificationFactory(
        recipient=reader,
        ticket=ticket,
        event_type=NotificationEvent.STATUS_CHANGED,
        message="carol changed the status from open to in_progress.",
        is_read=True,
    )
    someone_elses = NotificationFactory(message="Not for nina.")

    body = page_for(reader).get(URL).content.decode()

    assert body.index(f'id="notification-{newer.pk}"') < body.index(f'id="notification-{older.pk}"')
    assert f'id="notification-{someone_elses.pk}"' not in body
    assert "Not for nina." not in body
    assert "<strong>Comment added</strong>" in body
    assert "carol changed the status from open to in_progress." in body
    assert f'href="/tickets/{ticket.key}/"' in body
    assert "Printer on fire" in body
    assert f'class="notice unread" id="notification-{older.pk}"' in body
    assert f'class="notice" id="notification-{newer.pk}"' in body
    assert f'action="{read_url(older)}"' in body
    assert f'action="{read_url(newer)}"' not in body


def test_a_ticket_i_can_no_longer_see_is_not_named(page_for, reader):
    ticket = RestrictedTicketFactory(title="Merger plan", key="SECRET-1")
    grant = permission_services.grant_create(ticket=ticket, actor=ticket.created_by, user=reader)
    notification = NotificationFactory(recipient=reader, ticket=ticket, message="carol added a comment.")
    page = page_for(reader)
    while_granted = page.get(URL).content.decode()

    permission_services.grant_revoke(grant=grant, actor=ticket.created_by)
    body = page.get(URL).content.decode()

    assert "Merger plan" in while_granted
    assert f'id="notification-{notification.pk}"' in body
    assert "carol added a comment." in body
    assert "Merger plan" not in body
    assert "SECRET-1" not in body
    assert ">Mark read</button>" in body


def test_the_inbox_pages_and_filters_unread(page_for, reader):
    notifications = [NotificationFactory(recipient=reader, message=f"Event number {n}.") for n in range(30)]
    Notification.objects.filter(pk=notifications[0].pk).update(is_read=True)
    page = page_for(reader)

    first = page.get(URL).content.decode()
    second = page.get(URL, {"page": 2}).content.decode()
    unread = page.get(URL, {"unread": "1"}).content.decode()

    assert "Event number 29." in first
    assert "Event number 0." not in first
    assert "Event number 0." in second
    assert "Page 2 of 2 · 30 in all" in second
    assert "Event number 0." not in page.get(URL, {"unread": "1", "page": 2}).content.decode()
    assert "Page 1 of 2 · 29 in all" in unread


def test_an_empty_inbox_says_so(page_for, reader):
    assert b"No notifications yet" in page_for(reader).get(URL).content
    assert b"Nothing unread" in page_for(reader).get(URL, {"unread": "1"}).content


def test_opening_a_notification_marks_it_read_and_goes_to_its_ticket(page_for, reader):
    ticket = TicketFactory(visibility=TicketVisibility.INTERNAL)
    notification = NotificationFactory(recipient=reader, ticket=ticket)

    response = page_for(reader).post(read_url(notification))

    notification.refresh_from_db()
    assert response["Location"] == f"/tickets/{ticket.key}/"
    assert notification.is_read
    assert notification.read_at is not None


def test_a_notification_about_a_hidden_ticket_goes_back_to_the_inbox(page_for, reader):
    notification = NotificationFactory(recipient=reader, ticket=RestrictedTicketFactory(key="SECRET-2"))

    response = page_for(reader).post(read_url(notification))

    notification.refresh_from_db()
    assert response["Location"] == URL
    assert notification.is_read


def test_someone_elses_notification_is_not_found_and_stays_unread(page_for, reader):
    notification = NotificationFactory(recipient=UserFactory())

    response = page_for(reader).post(read_url(notification))

    notification.refresh_from_db()
    assert response.status_code == 404
    assert not notification.is_read
    assert page_for(reader).post(f"/notifications/{2**70}/read/").status_code == 404


def test_mark_all_read_marks_only_mine(page_for, reader):
    mine = [NotificationFactory(recipient=reader) for _ in range(3)]
    theirs = NotificationFactory()

    response = page_for(reader).post("/notifications/read-all/", follow=True)

    assert "3 notifications marked read." in response.content.decode()
    assert all(Notification.objects.get(pk=n.pk).is_read for n in mine)
    assert not Notification.objects.get(pk=theirs.pk).is_read


def test_marking_read_is_a_post_with_the_csrf_token(page_for, reader):
    notification = NotificationFactory(recipient=reader)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)

    assert page_for(reader).get(read_url(notification)).status_code == 405
    assert page_for(reader).get("/notifications/read-all/").status_code == 405
    assert client.post(read_url(notification)).status_code == 403
    assert client.post("/notifications/read-all/").status_code == 403
    assert not Notification.objects.get(pk=notification.pk).is_read


def test_a_stranger_is_asked_to_sign_in():
    assert Client().get(URL)["Location"].startswith("/login/")


def test_the_inbox_runs_the_same_queries_for_n_and_10n_notifications(page_for, reader):
    def add(n: int) -> None:
        for _ in range(n):
            NotificationFactory(recipient=reader, ticket=TicketFactory(visibility=TicketVisibility.INTERNAL))
            NotificationFactory(recipient=reader, ticket=RestrictedTicketFactory())

    page = page_for(reader)
    counts = []
    for n in (1, 9):
        add(n)
        with CaptureQueriesContext(connection) as queries:
            assert page.get(URL).status_code == 200
        counts.append(len(queries))

    assert counts == [7, 7]  # session, user with permissions, nav (2), count, page, which tickets I see
