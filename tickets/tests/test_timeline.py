"""The unified timeline: an event for each kind of change (with actor and details), comments, and no event for a
change that failed."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tests.factories import UserFactory
from tickets import signals
from tickets.models import EventType, Ticket, TicketNote, TicketStatus
from tickets.tests.factories import CategoryFactory, CommentFactory, LabelFactory, TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator():
    return UserFactory(username="creator")


@pytest.fixture
def agent():
    return UserFactory(username="agent", perms=["tickets.work_on_ticket"])


def url(ticket, suffix=""):
    return f"/api/v1/tickets/{ticket.pk}/{suffix}"


def events(ticket, event_type=None):
    notes = TicketNote.objects.filter(ticket=ticket, system=True).order_by("id")
    if event_type is not None:
        notes = notes.filter(event_type=event_type)
    return list(notes)


def only_event(ticket):
    [event] = events(ticket)
    return event


# --- one event per kind of change, through the API -----------------------------------------------------------------


def test_created_event(creator, client_for):
    response = client_for(creator).post("/api/v1/tickets/", {"title": "New", "priority": "high"})
    ticket = Ticket.objects.get(pk=response.json()["id"])

    event = only_event(ticket)

    assert event.event_type == EventType.CREATED
    assert event.created_by == creator
    assert event.event_details["title"] == "New"
    assert event.event_details["priority"] == "high"
    assert event.event_details["status"] == "draft"


@pytest.mark.parametrize(
    ("field", "old", "new"),
    [("title", "Old title", "New title"), ("description", "Old text", "New text")],
)
def test_field_change_event(field, old, new, creator, client_for):
    ticket = TicketFactory(created_by=creator, **{field: old})

    response = client_for(creator).patch(url(ticket), {field: new})

    assert response.status_code == 200
    event = only_event(ticket)
    assert (event.event_type, event.created_by) == (EventType.FIELD_CHANGE, creator)
    assert event.event_details == {"field": field, "old": old, "new": new}


def test_due_date_change_is_a_field_change(agent, client_for):
    ticket = TicketFactory(status=TicketStatus.OPEN)
    due = timezone.now() + timedelta(days=2)

    client_for(agent).patch(url(ticket), {"due_at": due.isoformat()})

    event = only_event(ticket)
    assert event.event_type == EventType.FIELD_CHANGE
    assert event.event_details["field"] == "due_at"
    assert event.event_details["old"] is None
    assert event.event_details["new"].startswith(due.date().isoformat())


@pytest.mark.parametrize(
    ("field", "event_type", "old", "new"),
    [
        ("priority", EventType.PRIORITY_CHANGE, "medium", "urgent"),
        ("visibility", EventType.VISIBILITY_CHANGE, "internal", "restricted"),
    ],
)
def test_priority_and_visibility_events(field, event_type, old, new, creator, agent, client_for):
    ticket = TicketFactory(status=TicketStatus.OPEN, created_by=creator, assignee=agent)
    actor = agent if field == "priority" else creator

    client_for(actor).patch(url(ticket), {field: new})

    event = only_event(ticket)
    assert (event.event_type, event.created_by) == (event_type, actor)
    assert event.event_details == {"field": field, "old": old, "new": new}


def test_assignee_change_event(agent, client_for):
    first, second = UserFactory(), UserFactory()
    ticket = TicketFactory(status=TicketStatus.OPEN, assignee=first)

    client_for(agent).patch(url(ticket), {"assignee": second.pk})
    client_for(agent).patch(url(ticket), {"assignee": None})

    changes = events(ticket, EventType.ASSIGNEE_CHANGE)
    assert [e.event_details for e in changes] == [
        {"field": "assignee", "old": first.pk, "new": second.pk},
        {"field": "assignee", "old": second.pk, "new": None},
    ]
    assert {e.created_by for e in changes} == {agent}


@pytest.mark.parametrize(
    ("field", "factory", "key", "add", "remove"),
    [
        ("categories", CategoryFactory, "category", EventType.CATEGORY_ADD, EventType.CATEGORY_REMOVE),
        ("labels", LabelFactory, "label", EventType.LABEL_ADD, EventType.LABEL_REMOVE),
    ],
)
def test_category_and_label_events(field, factory, key, add, remove, creator, client_for):
    kept, dropped, added = factory(), factory(), factory()
    ticket = TicketFactory(created_by=creator, **{field: [kept, dropped]})

    response = client_for(creator).patch(url(ticket), {field: [kept.pk, added.pk]})

    assert response.status_code == 200
    assert sorted(response.json()[field]) == sorted([kept.pk, added.pk])
    assert [(e.event_type, e.event_details, e.created_by) for e in events(ticket)] == [
        (add, {key: added.pk, "name": added.name}, creator),
        (remove, {key: dropped.pk, "name": dropped.name}, creator),
    ]


def test_one_update_records_each_changed_field(creator, client_for):
    ticket = TicketFactory(created_by=creator, title="A", description="B")

    client_for(creator).patch(url(ticket), {"title": "A2", "description": "B", "labels": [LabelFactory().pk]})

    assert [e.event_type for e in events(ticket)] == [EventType.FIELD_CHANGE, EventType.LABEL_ADD]


def test_status_change_event(creator, client_for):
    ticket = TicketFactory(created_by=creator)

    client_for(creator).post(url(ticket, "transition/"), {"status": "open", "comment": "Ready"})

    event = only_event(ticket)
    assert (event.event_type, event.created_by) == (EventType.STATUS_CHANGE, creator)
    assert event.event_details == {"from": "draft", "to": "open", "comment": "Ready"}


@pytest.mark.parametrize(
    ("signal", "event_type"),
    [(signals.attachment_added, EventType.ATTACHMENT_ADD), (signals.attachment_removed, EventType.ATTACHMENT_REMOVE)],
)
def test_attachment_events(signal, event_type, creator):
    ticket = TicketFactory()
    attachment = SimpleNamespace(pk=7, file_name="invoice.pdf", note_id=None)

    signal.send(sender=None, ticket=ticket, attachment=attachment, actor=creator)
    signal.send(sender=None, ticket=None, attachment=attachment, actor=creator)  # a template's: no timeline

    event = only_event(ticket)
    assert (event.event_type, event.created_by) == (event_type, creator)
    assert event.event_details == {"attachment": 7, "file_name": "invoice.pdf", "note": None}


# --- failed changes leave no event ---------------------------------------------------------------------------------


def test_refused_update_changes_nothing_and_records_nothing(creator, client_for):
    ticket = TicketFactory(created_by=creator, title="Before", status=TicketStatus.DRAFT)

    # The title alone would be fine; the priority is not the creator's to change, so nothing happens.
    response = client_for(creator).patch(url(ticket), {"title": "After", "priority": "urgent"})

    assert response.status_code == 403
    assert "priority" in response.json()["errors"][0]["detail"]
    ticket.refresh_from_db()
    assert (ticket.title, ticket.priority) == ("Before", "medium")
    assert events(ticket) == []


def test_invalid_custom_fields_change_records_nothing(creator, client_for):
    template = TicketTemplateFactory(custom_fields_schema={"type": "object", "properties": {"n": {"type": "integer"}}})
    ticket = TicketFactory(created_by=creator, template=template, title="Before")

    response = client_for(creator).patch(url(ticket), {"title": "After", "custom_fields": {"n": "x"}})

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.title == "Before"
    assert events(ticket) == []


def test_a_failing_receiver_rolls_the_change_back(creator, client_for, monkeypatch):
    ticket = TicketFactory(created_by=creator, title="Before")

    def broken(**kwargs):
        raise RuntimeError("timeline unavailable")

    monkeypatch.setattr("tickets.receivers.record_event", broken)

    with pytest.raises(RuntimeError):
        client_for(creator).patch(url(ticket), {"title": "After"})

    ticket.refresh_from_db()
    assert ticket.title == "Before"
    assert events(ticket) == []


def test_refused_transition_records_nothing(creator, client_for):
    ticket = TicketFactory(created_by=creator)

    client_for(creator).post(url(ticket, "transition/"), {"status": "closed"})

    assert events(ticket) == []


# --- comments ------------------------------------------------------------------------------------------------------


def test_anyone_who_sees_the_ticket_comments(creator, client_for):
    ticket = TicketFactory(created_by=creator)
    reader = UserFactory()

    response = client_for(reader).post(url(ticket, "comments/"), {"note": "  Me too.  "})

    assert response.status_code == 201
    body = response.json()
    assert body["system"] is False and body["event_type"] is None and body["event_details"] == {}
    assert (body["note"], body["created_by"]) == ("Me too.", reader.pk)
    listed = client_for(creator).get(url(ticket, "comments/")).json()
    assert [c["note"] for c in listed["results"]] == ["Me too."]


def test_blank_comment_is_refused(creator, client_for):
    ticket = TicketFactory(created_by=creator)

    response = client_for(creator).post(url(ticket, "comments/"), {"note": "   "})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "note"


def test_author_edits_a_comment_and_the_edit_is_recorded(creator, client_for):
    comment = CommentFactory(created_by=creator, note="Frist")

    response = client_for(creator).patch(url(comment.ticket, f"comments/{comment.pk}/"), {"note": "First"})

    assert response.status_code == 200
    assert response.json()["note"] == "First"
    event = only_event(comment.ticket)
    assert (event.event_type, event.created_by) == (EventType.COMMENT_EDITED, creator)
    assert event.event_details == {"comment": comment.pk, "old": "Frist", "new": "First"}


def test_author_deletes_a_comment_softly(creator, client_for):
    comment = CommentFactory(created_by=creator)
    client = client_for(creator)

    response = client.delete(url(comment.ticket, f"comments/{comment.pk}/"))

    assert response.status_code == 204
    assert TicketNote.all_objects.get(pk=comment.pk).is_deleted
    timeline = client.get(url(comment.ticket, "timeline/")).json()["results"]
    assert [(e["event_type"], e["event_details"]) for e in timeline] == [("comment_deleted", {"comment": comment.pk})]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_only_the_author_changes_a_comment(method, creator, client_for):
    comment = CommentFactory(note="Mine", created_by=UserFactory())
    admin_like = UserFactory(perms=["tickets.work_on_ticket"])

    response = getattr(client_for(admin_like), method)(url(comment.ticket, f"comments/{comment.pk}/"), {"note": "Yours"})

    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.note == "Mine" and not comment.is_deleted
    assert events(comment.ticket) == []


def test_system_events_and_other_tickets_comments_are_not_comments(creator, client_for):
    ticket = TicketFactory(created_by=creator)
    client = client_for(creator)
    client.post(url(ticket, "transition/"), {"status": "open"})
    event = only_event(ticket)
    foreign = CommentFactory(created_by=creator)

    assert client.patch(url(ticket, f"comments/{event.pk}/"), {"note": "x"}).status_code == 404
    assert client.delete(url(ticket, f"comments/{foreign.pk}/")).status_code == 404


# --- the timeline --------------------------------------------------------------------------------------------------


def test_timeline_mixes_comments_and_events_oldest_first(creator, agent, client_for):
    ticket = TicketFactory(created_by=creator, assignee=agent)
    client_for(creator).post(url(ticket, "comments/"), {"note": "Please look"})
    client_for(creator).post(url(ticket, "transition/"), {"status": "open"})
    client_for(agent).post(url(ticket, "comments/"), {"note": "On it"})
    client_for(agent).post(url(ticket, "transition/"), {"status": "in_progress"})

    body = client_for(creator).get(url(ticket, "timeline/")).json()

    assert body["count"] == 4
    assert [(e["event_type"], e["note"], e["created_by"]) for e in body["results"]] == [
        (None, "Please look", creator.pk),
        ("status_change", "", creator.pk),
        (None, "On it", agent.pk),
        ("status_change", "", agent.pk),
    ]
    for field in ("id", "system", "event_type", "event_details", "note", "created_by", "created_at"):
        assert field in body["results"][0]


def test_timeline_query_count_is_constant(creator, client_for, django_assert_num_queries):
    ticket = TicketFactory(created_by=creator)

    def add(n):
        for _ in range(n):
            CommentFactory(ticket=ticket, created_by=UserFactory())

    def fresh_client():
        # A fresh user object per request, as authentication gives: its permissions are not cached yet.
        return client_for(User.objects.get(pk=creator.pk))

    add(5)
    client = fresh_client()
    # the caller's permissions (own and roles'), the visible ticket with its timeline's length (the total), the page
    with django_assert_num_queries(3):
        assert client.get(url(ticket, "timeline/"), {"page_size": 100}).json()["count"] == 5
    add(45)
    client = fresh_client()
    with django_assert_num_queries(3):
        assert len(client.get(url(ticket, "timeline/"), {"page_size": 100}).json()["results"]) == 50
