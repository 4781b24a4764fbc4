"""Redacting a comment (issue 12 item 15): its author or a ticket admin replaces the text and every stored version of it
(the comment_edited events' old and new texts) by "Redacted by X at T", through the API and the admin. After that, no
response and no database row holds the secret; the comment_redacted event names the actor."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client
from django.utils.dateparse import parse_datetime

from notifications.models import NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from tests.factories import AdminFactory, UserFactory
from tickets.models import EventType, TicketNote, TicketStatus, TicketVisibility
from tickets.tests.factories import TicketFactory
from ticketsite.limits import REMARK_MAX_LENGTH

pytestmark = pytest.mark.django_db

SECRET = "sk_live_PASTED-BY-MISTAKE-9c1f"
# A search for a proper prefix finds the text, while the page's echo of the query never holds the whole secret.
SEARCH = SECRET[:-3]
TICKET_ADMIN_PERMS = ["tickets.view_ticket", "tickets.change_ticket", "tickets.view_ticketnote"]


@pytest.fixture
def author():
    return UserFactory(username="author")


@pytest.fixture
def watcher():
    """Told about every comment in-app, so notification rows exist to be checked."""
    user = UserFactory(username="watcher")
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, users=[user])
    return user


def comments_url(ticket, suffix=""):
    return f"/api/v1/tickets/{ticket.pk}/comments/{suffix}"


def redact_url(ticket, comment_id):
    return comments_url(ticket, f"{comment_id}/redact/")


def plant_secret(client, ticket) -> int:
    """A comment carrying the secret, edited twice: the secret is in the text and in both comment_edited events."""
    response = client.post(comments_url(ticket), {"note": f"The key is {SECRET}"}, format="json")
    assert response.status_code == 201, response.content
    comment_id = response.json()["id"]
    for text in (f"The API key is {SECRET}", f"The API key is {SECRET} (please rotate)"):
        assert client.patch(comments_url(ticket, f"{comment_id}/"), {"note": text}, format="json").status_code == 200
    return comment_id


def rows_holding_the_secret() -> dict[str, int]:
    """Every column of every row of the timeline and notification tables, read as the database returns it."""
    found = {}
    with connection.cursor() as cursor:
        for table in ("ticket_notes", "notifications"):
            cursor.execute(f"SELECT * FROM {table}")
            found[table] = sum(SECRET in str(row) for row in cursor.fetchall())
    return found


def redacted_events(ticket):
    return list(TicketNote.objects.filter(ticket=ticket, event_type=EventType.COMMENT_REDACTED))


def assert_unchanged(comment_id, ticket):
    comment = TicketNote.all_objects.get(pk=comment_id)
    assert comment.note == f"The API key is {SECRET} (please rotate)"
    assert (comment.redacted_by, comment.redacted_at) == (None, None)
    assert redacted_events(ticket) == []
    assert rows_holding_the_secret()["ticket_notes"] == 3


def api_texts(client, ticket, *paths):
    responses = [client.get(path, {"page_size": 100}) for path in paths]
    assert [response.status_code for response in responses] == [200] * len(paths)
    return "\n".join(response.content.decode() for response in responses)


# --- who may redact ---------------------------------------------------------------------------------------------


def test_the_author_redacts_their_comment_and_the_secret_is_gone_everywhere(author, watcher, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN)
    me = client_for(author)
    comment_id = plant_secret(me, ticket)
    ticket_paths = [f"/api/v1/tickets/{ticket.pk}/timeline/", comments_url(ticket)]
    assert SECRET in api_texts(me, ticket, *ticket_paths)  # the control: the secret was there to be found
    assert rows_holding_the_secret() == {"ticket_notes": 3, "notifications": 0}  # the comment and its two edits

    response = me.post(redact_url(ticket, comment_id), {"reason": "Pasted a live key"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    row = TicketNote.objects.get(pk=comment_id)
    marker = f"Redacted by author at {row.redacted_at.isoformat(timespec='seconds')}."
    assert (body["id"], body["note"], body["redacted_by"]) == (comment_id, marker, author.pk)
    assert parse_datetime(body["redacted_at"]) == row.redacted_at
    timeline = me.get(f"/api/v1/tickets/{ticket.pk}/timeline/", {"page_size": 100}).json()["results"]
    events = [(e["event_type"], e["created_by"], e["event_details"]) for e in timeline if e["system"]]
    edited = {"comment": comment_id, "old": marker, "new": marker, "redacted": True}
    assert events == [
        ("comment_edited", author.pk, edited),
        ("comment_edited", author.pk, edited),
        ("comment_redacted", author.pk, {"comment": comment_id, "reason": "Pasted a live key"}),
    ]
    [shown] = [e for e in timeline if not e["system"]]
    assert (shown["note"], shown["redacted_by"]) == (marker, author.pk)
    assert SECRET not in api_texts(me, ticket, *ticket_paths)
    assert SECRET not in api_texts(client_for(watcher), ticket, "/api/v1/notifications/", *ticket_paths)
    assert rows_holding_the_secret() == {"ticket_notes": 0, "notifications": 0}


def test_an_admin_redacts_someone_elses_comment_on_a_restricted_ticket(author, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN, visibility=TicketVisibility.RESTRICTED)
    comment_id = plant_secret(client_for(author), ticket)
    admin = UserFactory(username="boss", is_staff=True, perms=["tickets.change_ticket", "tickets.view_all_tickets"])

    response = client_for(admin).post(redact_url(ticket, comment_id), format="json")

    assert response.status_code == 200, response.content
    row = TicketNote.objects.get(pk=comment_id)
    assert (row.note, row.redacted_by) == (f"Redacted by boss at {row.redacted_at.isoformat(timespec='seconds')}.", admin)
    [event] = redacted_events(ticket)
    assert (event.created_by, event.event_details) == (admin, {"comment": comment_id, "reason": ""})
    assert SECRET not in api_texts(client_for(author), ticket, f"/api/v1/tickets/{ticket.pk}/timeline/")
    assert rows_holding_the_secret()["ticket_notes"] == 0


@pytest.mark.parametrize(
    "who",
    [
        pytest.param({}, id="another-reader"),
        pytest.param({"perms": ["tickets.work_on_ticket"]}, id="agent"),
        pytest.param({"perms": ["tickets.change_ticket"]}, id="change-permission-without-staff"),
        pytest.param({"is_staff": True, "perms": ["tickets.view_ticket"]}, id="staff-without-change-permission"),
    ],
)
def test_a_reader_who_is_neither_author_nor_admin_is_refused(who, author, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN)
    comment_id = plant_secret(client_for(author), ticket)

    response = client_for(UserFactory(**who)).post(redact_url(ticket, comment_id), format="json")

    assert response.status_code == 403, response.content
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert_unchanged(comment_id, ticket)


@pytest.mark.parametrize(
    "who",
    [
        pytest.param({}, id="stranger"),
        pytest.param({"is_staff": True, "perms": ["tickets.change_ticket"]}, id="admin-who-cannot-see-it"),
    ],
)
def test_those_who_cannot_see_the_ticket_get_404_like_a_missing_one(who, author, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN, visibility=TicketVisibility.RESTRICTED)
    comment_id = plant_secret(client_for(author), ticket)
    client = client_for(UserFactory(**who))

    response = client.post(redact_url(ticket, comment_id), format="json")
    missing = client.post(f"/api/v1/tickets/9000000/comments/{comment_id}/redact/", format="json")

    assert response.status_code == 404, response.content
    assert response.json() == missing.json()
    assert SECRET not in response.content.decode()
    assert_unchanged(comment_id, ticket)


# --- what can be redacted, once ----------------------------------------------------------------------------------


def test_a_second_redaction_and_an_edit_of_a_redacted_comment_are_conflicts(author, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN)
    me = client_for(author)
    comment_id = plant_secret(me, ticket)
    first = me.post(redact_url(ticket, comment_id), format="json").json()
    admin = client_for(AdminFactory())

    again = [me.post(redact_url(ticket, comment_id), format="json"), admin.post(redact_url(ticket, comment_id))]
    edit = me.patch(comments_url(ticket, f"{comment_id}/"), {"note": f"Back again: {SECRET}"}, format="json")

    for response in [*again, edit]:
        assert response.status_code == 409, response.content
        assert response.json()["errors"][0]["code"] == "comment_redacted"
    assert TicketNote.objects.get(pk=comment_id).note == first["note"]
    assert len(redacted_events(ticket)) == 1
    assert rows_holding_the_secret()["ticket_notes"] == 0


def test_a_deleted_comment_still_holds_its_text_and_can_be_redacted(author, client_for):
    """Deleting is soft (the text and the edit history stay): redaction is what removes them."""
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN)
    me = client_for(author)
    comment_id = plant_secret(me, ticket)
    assert me.delete(comments_url(ticket, f"{comment_id}/")).status_code == 204
    assert SECRET in api_texts(me, ticket, f"/api/v1/tickets/{ticket.pk}/timeline/")  # the edit history shows it

    refused = client_for(UserFactory()).post(redact_url(ticket, comment_id), format="json")
    response = me.post(redact_url(ticket, comment_id), format="json")

    assert refused.status_code == 403
    assert response.status_code == 200, response.content
    row = TicketNote.all_objects.get(pk=comment_id)
    assert (row.is_deleted, row.redacted_by) == (True, author)
    timeline = me.get(f"/api/v1/tickets/{ticket.pk}/timeline/").json()["results"]
    assert [e["event_type"] for e in timeline] == ["comment_edited", "comment_edited", "comment_deleted", "comment_redacted"]
    assert rows_holding_the_secret()["ticket_notes"] == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"reason": 5}, id="reason-not-text"),
        pytest.param({"reason": "x" * (REMARK_MAX_LENGTH + 1)}, id="reason-too-long"),
        pytest.param({"note": "replacement"}, id="unknown-field"),
        pytest.param(["reason"], id="not-an-object"),
    ],
)
def test_bad_bodies_are_400_and_change_nothing(body, author, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN)
    me = client_for(author)
    comment_id = plant_secret(me, ticket)

    response = me.post(redact_url(ticket, comment_id), body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert_unchanged(comment_id, ticket)


def test_events_and_other_tickets_comments_are_not_found(author, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN)
    me = client_for(author)
    comment_id = plant_secret(me, ticket)
    event = TicketNote.objects.filter(ticket=ticket, system=True).first()
    other = TicketFactory(created_by=author)

    codes = [
        me.post(redact_url(ticket, event.pk), format="json").status_code,
        me.post(redact_url(other, comment_id), format="json").status_code,
    ]

    assert codes == [404, 404]
    assert_unchanged(comment_id, ticket)


def test_a_failing_receiver_rolls_the_redaction_back(author, client_for, monkeypatch):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN)
    me = client_for(author)
    comment_id = plant_secret(me, ticket)

    def broken(**kwargs):
        raise RuntimeError("timeline unavailable")

    monkeypatch.setattr("tickets.receivers.record_event", broken)

    with pytest.raises(RuntimeError):
        me.post(redact_url(ticket, comment_id), format="json")

    assert_unchanged(comment_id, ticket)


# --- the admin -------------------------------------------------------------------------------------------------


def admin_login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def redact_in_admin(client, *note_ids, query=""):
    body = {"action": "redact_comments", ACTION_CHECKBOX_NAME: list(note_ids)}
    return client.post(f"/admin/tickets/ticketnote/{query}", body)


def admin_pages(ticket, comment_id) -> list[str]:
    edits = TicketNote.objects.filter(ticket=ticket, event_type=EventType.COMMENT_EDITED).values_list("pk", flat=True)
    return [
        f"/admin/tickets/ticket/{ticket.pk}/change/",
        f"/admin/tickets/ticketnote/?deleted=all&q={SEARCH}",
        "/admin/tickets/ticketnote/?deleted=all",
        f"/admin/tickets/ticketnote/{comment_id}/change/",
        *(f"/admin/tickets/ticketnote/{pk}/change/" for pk in edits),
    ]


def admin_text(client, ticket, comment_id) -> str:
    responses = [client.get(page) for page in admin_pages(ticket, comment_id)]
    assert [response.status_code for response in responses] == [200] * len(responses)
    return "\n".join(response.content.decode() for response in responses)


def test_a_ticket_admin_redacts_a_comment_in_the_admin(author, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN)
    comment_id = plant_secret(client_for(author), ticket)
    staff = UserFactory(username="backoffice", is_staff=True, perms=TICKET_ADMIN_PERMS)
    admin = admin_login(staff)
    assert SECRET in admin_text(admin, ticket, comment_id)  # the control

    response = redact_in_admin(admin, comment_id)

    assert response.status_code == 302
    row = TicketNote.objects.get(pk=comment_id)
    assert (row.note, row.redacted_by) == (f"Redacted by backoffice at {row.redacted_at.isoformat(timespec='seconds')}.", staff)
    [event] = redacted_events(ticket)
    assert (event.created_by, event.event_details) == (staff, {"comment": comment_id, "reason": ""})
    assert SECRET not in admin_text(admin, ticket, comment_id)
    assert SECRET not in api_texts(client_for(author), ticket, f"/api/v1/tickets/{ticket.pk}/timeline/")
    assert rows_holding_the_secret()["ticket_notes"] == 0


def test_the_admin_action_redacts_deleted_comments_and_skips_events(author, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN)
    me = client_for(author)
    comment_id = plant_secret(me, ticket)
    me.delete(comments_url(ticket, f"{comment_id}/"))
    event = TicketNote.objects.filter(ticket=ticket, event_type=EventType.COMMENT_DELETED).get()
    admin = admin_login(AdminFactory())

    response = redact_in_admin(admin, comment_id, event.pk, query="?deleted=all")

    assert response.status_code == 302
    assert TicketNote.all_objects.get(pk=comment_id).redacted_at is not None
    event.refresh_from_db()
    assert event.event_details == {"comment": comment_id}
    assert len(redacted_events(ticket)) == 1
    assert rows_holding_the_secret()["ticket_notes"] == 0


@pytest.mark.parametrize(
    ("perms", "visibility"),
    [
        pytest.param(["tickets.view_ticketnote"], TicketVisibility.INTERNAL, id="staff-without-change-permission"),
        pytest.param(TICKET_ADMIN_PERMS, TicketVisibility.RESTRICTED, id="ticket-admin-who-cannot-see-it"),
    ],
)
def test_the_admin_action_is_refused_to_staff_who_are_not_ticket_admins_of_it(perms, visibility, author, client_for):
    ticket = TicketFactory(created_by=author, status=TicketStatus.OPEN, visibility=visibility)
    comment_id = plant_secret(client_for(author), ticket)
    admin = admin_login(UserFactory(is_staff=True, perms=perms))

    response = redact_in_admin(admin, comment_id)

    assert response.status_code in (200, 302)
    assert_unchanged(comment_id, ticket)
