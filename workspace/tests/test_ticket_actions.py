"""The ticket page's actions, each for the person allowed and the one refused: transitions, "Assign to me", details,
comments (add, edit, delete) and attachments (upload, download, delete). A refusal is the error page with the service's
status (or the page again with the form's errors, 400) and changes nothing: no row, no timeline event."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from approvals.tests.factories import template_with
from tests.factories import AdminFactory
from tickets.models import Attachment, EventType, Ticket, TicketNote, TicketPriority, TicketStatus
from tickets.services import attachments as attachment_services
from tickets.services import tickets as ticket_services
from tickets.tests.factories import LabelFactory, TicketFactory
from workspace.tests.test_ticket_page import page_url, person, upload

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00"


def url(name: str, ticket: Ticket, **kwargs: Any) -> str:
    return reverse(f"workspace:{name}", kwargs={"key": ticket.key, **kwargs})


def events(ticket: Ticket) -> list[tuple[str, dict]]:
    return [(note.event_type, note.event_details) for note in TicketNote.objects.filter(ticket=ticket, system=True)]


def snapshot(ticket: Ticket) -> tuple:
    """Everything an action could change: the row, its classification, its notes (all of them) and its files."""
    row = Ticket.all_objects.get(pk=ticket.pk)
    notes = list(TicketNote.all_objects.filter(ticket=ticket).values_list("pk", "note", "is_deleted", "event_type"))
    files = list(Attachment.all_objects.filter(ticket=ticket).values_list("pk", "is_deleted"))
    return (
        row.status,
        row.priority,
        row.assignee_id,
        row.due_at,
        row.title,
        sorted(row.labels.values_list("pk", flat=True)),
        notes,
        files,
    )


def flash(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def people():
    return {
        "creator": person("alice"),
        "agent": person("carol", perms=["tickets.work_on_ticket"]),
        "other": person("olga"),
    }


# --- transitions -----------------------------------------------------------------------------------------------------


def test_the_creator_submits_a_draft_with_a_comment(people, page_for):
    ticket = TicketFactory(created_by=people["creator"])

    response = page_for(people["creator"]).post(url("ticket-transition", ticket), {"to_status": "open", "comment": "Go"})

    assert response.status_code == 302 and response["Location"] == page_url(ticket)
    assert flash(response) == [f"Submit: {ticket.key} is now open."]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert events(ticket) == [(EventType.STATUS_CHANGE, {"from": "draft", "to": "open", "comment": "Go"})]


@pytest.mark.parametrize(
    ("who", "status", "to_status", "code"),
    [
        ("other", TicketStatus.DRAFT, "open", 403),  # not the creator (an internal ticket: they see it)
        ("agent", TicketStatus.OPEN, "resolved", 409),  # not from open
        ("creator", TicketStatus.OPEN, "in_progress", 403),  # agents and the assignee only
        ("agent", TicketStatus.OPEN, "nonsense", 409),
    ],
)
def test_a_transition_the_caller_may_not_take_is_refused_and_changes_nothing(people, page_for, who, status, to_status, code):
    ticket = TicketFactory(created_by=people["creator"], status=status)
    before = snapshot(ticket)

    response = page_for(people[who]).post(url("ticket-transition", ticket), {"to_status": to_status})

    assert response.status_code == code
    assert "transitions you may make" in response.content.decode()
    assert snapshot(ticket) == before


def test_a_submit_the_approval_engine_refuses_shows_why_on_the_page(people, page_for):
    """Nobody can approve (the only approver is the creator): 400, the reason on the page, the ticket still a draft."""
    ticket = TicketFactory(created_by=people["creator"], approval_template=template_with(("all", [people["creator"]])))
    before = snapshot(ticket)

    response = page_for(people["creator"]).post(url("ticket-transition", ticket), {"to_status": "waiting_approval"})

    assert response.status_code == 400
    text = response.content.decode()
    assert "Step 1" in text and 'class="error"' in text
    assert '<span class="badge status-draft">Draft</span>' in text
    assert snapshot(ticket) == before


def test_a_transition_comment_past_its_limit_is_refused_next_to_the_box(people, page_for):
    ticket = TicketFactory(created_by=people["creator"])
    before = snapshot(ticket)

    response = page_for(people["creator"]).post(url("ticket-transition", ticket), {"to_status": "open", "comment": "x" * 5001})

    assert response.status_code == 400
    assert "Ensure this value has at most 5000 characters" in response.content.decode()
    assert snapshot(ticket) == before


def test_an_outsider_cannot_transition_a_restricted_ticket_it_does_not_exist(people, page_for):
    ticket = TicketFactory(created_by=people["creator"], visibility="restricted")
    before = snapshot(ticket)

    response = page_for(people["other"]).post(url("ticket-transition", ticket), {"to_status": "cancelled"})

    assert response.status_code == 404
    assert snapshot(ticket) == before


def test_a_transition_page_is_post_only(people, page_for):
    ticket = TicketFactory(created_by=people["creator"])

    assert page_for(people["creator"]).get(url("ticket-transition", ticket)).status_code == 405


# --- assign to me, details -------------------------------------------------------------------------------------------


def test_an_agent_assigns_a_ticket_to_themself(people, page_for):
    ticket = TicketFactory(status=TicketStatus.OPEN)

    response = page_for(people["agent"]).post(url("ticket-assign-to-me", ticket))

    assert response.status_code == 302
    assert flash(response) == [f"{ticket.key} is assigned to you."]
    ticket.refresh_from_db()
    assert ticket.assignee == people["agent"]
    assert events(ticket) == [
        (EventType.ASSIGNEE_CHANGE, {"field": "assignee", "old": None, "new": people["agent"].pk}),
    ]


def test_a_requester_may_not_assign_a_ticket_to_themself(people, page_for):
    ticket = TicketFactory(created_by=people["creator"], status=TicketStatus.OPEN)
    before = snapshot(ticket)

    response = page_for(people["creator"]).post(url("ticket-assign-to-me", ticket))

    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_an_agent_changes_priority_assignee_due_date_and_labels(people, page_for):
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS)
    dave, label = person("dave", perms=["tickets.work_on_ticket"]), LabelFactory(name="vip")
    data = {
        "fields": ["priority", "assignee", "due_at", "categories", "labels"],
        "priority": "urgent",
        "assignee": dave.pk,
        "due_at": "2030-01-31T12:00",
        "labels": [label.pk],
    }

    response = page_for(people["agent"]).post(url("ticket-details", ticket), data)

    assert response.status_code == 302
    assert flash(response) == [f"{ticket.key} is saved."]
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee, ticket.due_at.isoformat()) == ("urgent", dave, "2030-01-31T12:00:00+00:00")
    assert [event_type for event_type, _ in events(ticket)] == [
        EventType.PRIORITY_CHANGE,
        EventType.FIELD_CHANGE,
        EventType.ASSIGNEE_CHANGE,
        EventType.LABEL_ADD,
    ]


def test_posting_the_details_unchanged_changes_nothing(people, page_for):
    ticket = TicketFactory(status=TicketStatus.OPEN, priority=TicketPriority.LOW)
    before = snapshot(ticket)

    response = page_for(people["agent"]).post(url("ticket-details", ticket), {"fields": ["priority"], "priority": "low"})

    assert flash(response) == ["Nothing was changed."]
    assert snapshot(ticket) == before


def test_a_requester_may_not_change_the_priority_of_their_ticket(people, page_for):
    ticket = TicketFactory(created_by=people["creator"], status=TicketStatus.OPEN)
    before = snapshot(ticket)

    response = page_for(people["creator"]).post(url("ticket-details", ticket), {"fields": ["priority"], "priority": "urgent"})

    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_nobody_changes_a_closed_ticket(people, page_for):
    ticket = TicketFactory(status=TicketStatus.CLOSED)
    before = snapshot(ticket)

    response = page_for(people["agent"]).post(url("ticket-details", ticket), {"fields": ["priority"], "priority": "urgent"})

    assert response.status_code == 409
    assert snapshot(ticket) == before


def test_a_malformed_due_date_is_shown_next_to_its_field(people, page_for):
    ticket = TicketFactory(status=TicketStatus.OPEN)
    before = snapshot(ticket)

    data = {"fields": ["priority", "due_at"], "priority": "medium", "due_at": "someday"}
    response = page_for(people["agent"]).post(url("ticket-details", ticket), data)

    assert response.status_code == 400
    assert 'id="id_due_at_error">Enter a valid date/time.' in response.content.decode()
    assert snapshot(ticket) == before


# --- comments --------------------------------------------------------------------------------------------------------


def test_anyone_who_sees_the_ticket_comments(people, page_for):
    ticket = TicketFactory(created_by=people["creator"])

    response = page_for(people["other"]).post(url("ticket-comment-add", ticket), {"note": "Me too"})

    assert response.status_code == 302 and response["Location"] == f"{page_url(ticket)}#timeline"
    assert flash(response) == ["Your comment is added."]
    assert list(ticket.notes.filter(system=False).values_list("note", "created_by")) == [("Me too", people["other"].pk)]


def test_with_htmx_a_comment_answers_with_the_conversation(people, page_for):
    ticket = TicketFactory(created_by=people["creator"])

    response = page_for(people["other"]).post(url("ticket-comment-add", ticket), {"note": "Me too"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<section class="card conversation" id="conversation"')
    assert ">Me too</div>" in text and "<html" not in text


def test_an_empty_comment_is_refused_next_to_the_box(people, page_for):
    ticket = TicketFactory(created_by=people["creator"])
    before = snapshot(ticket)

    plain = page_for(people["creator"]).post(url("ticket-comment-add", ticket), {"note": "   "})
    htmx = page_for(people["creator"]).post(url("ticket-comment-add", ticket), {"note": ""}, HTTP_HX_REQUEST="true")

    assert plain.status_code == 400
    assert 'id="id_note_error">A comment cannot be empty.' in plain.content.decode()
    assert htmx.status_code == 200 and "A comment cannot be empty." in htmx.content.decode()
    assert snapshot(ticket) == before


def test_an_outsider_cannot_comment_on_a_restricted_ticket(people, page_for):
    ticket = TicketFactory(created_by=people["creator"], visibility="restricted")
    before = snapshot(ticket)

    assert page_for(people["other"]).post(url("ticket-comment-add", ticket), {"note": "Hi"}).status_code == 404
    assert snapshot(ticket) == before


def test_the_author_edits_their_comment_and_the_page_shows_the_edit(people, page_for):
    ticket = TicketFactory(created_by=people["creator"])
    comment = ticket_services.comment_create(ticket=ticket, actor=people["creator"], note="Frist")
    client = page_for(people["creator"])

    response = client.post(url("ticket-comment-edit", ticket, note_id=comment.pk), {f"edit-{comment.pk}-note": "First"})

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.note == "First"
    assert events(ticket) == [(EventType.COMMENT_EDITED, {"comment": comment.pk, "old": "Frist", "new": "First"})]
    text = client.get(page_url(ticket)).content.decode()
    assert '<span class="muted">(edited)</span>' in text
    assert "Earlier versions (1)" in text and '<div class="body">Frist</div>' in text


def test_nobody_else_edits_or_deletes_a_comment(people, page_for):
    ticket = TicketFactory(created_by=people["creator"])
    comment = ticket_services.comment_create(ticket=ticket, actor=people["creator"], note="Mine")
    before = snapshot(ticket)
    client = page_for(people["agent"])

    edited = client.post(url("ticket-comment-edit", ticket, note_id=comment.pk), {f"edit-{comment.pk}-note": "Yours"})
    deleted = client.post(url("ticket-comment-delete", ticket, note_id=comment.pk))

    assert (edited.status_code, deleted.status_code) == (403, 403)
    assert "Only the author of a comment can change or delete it." in edited.content.decode()
    assert snapshot(ticket) == before


def test_the_author_deletes_their_comment_and_its_text_leaves_the_page(people, page_for):
    ticket = TicketFactory(created_by=people["creator"])
    comment = ticket_services.comment_create(ticket=ticket, actor=people["creator"], note="Oops, hunter2")
    ticket_services.comment_update(comment=comment, actor=people["creator"], note="Oops, hunter2!")
    client = page_for(people["creator"])

    response = client.post(url("ticket-comment-delete", ticket, note_id=comment.pk))

    assert response.status_code == 302
    assert flash(response) == ["Your comment is deleted."]
    assert TicketNote.all_objects.get(pk=comment.pk).is_deleted
    text = client.get(page_url(ticket)).content.decode()
    assert "alice deleted a comment" in text
    assert "hunter2" not in text


def test_a_comment_of_another_ticket_is_not_found_here(people, page_for):
    ticket, elsewhere = TicketFactory(created_by=people["creator"]), TicketFactory(created_by=people["creator"])
    comment = ticket_services.comment_create(ticket=elsewhere, actor=people["creator"], note="Elsewhere")

    response = page_for(people["creator"]).post(url("ticket-comment-delete", ticket, note_id=comment.pk))

    assert response.status_code == 404
    assert not TicketNote.all_objects.get(pk=comment.pk).is_deleted


# --- attachments -----------------------------------------------------------------------------------------------------


def test_anyone_who_sees_the_ticket_attaches_a_file(people, page_for, media):
    ticket = TicketFactory(created_by=people["creator"], status=TicketStatus.OPEN)

    response = page_for(people["other"]).post(url("ticket-attachment-upload", ticket), {"file": upload("notes.txt")})

    assert response.status_code == 302 and response["Location"] == f"{page_url(ticket)}#attachments"
    assert flash(response) == ["notes.txt is attached."]
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.file_name, attachment.created_by) == ("notes.txt", people["other"])
    assert [event_type for event_type, _ in events(ticket)] == [EventType.ATTACHMENT_ADD]


def test_a_file_type_not_allowed_is_refused_next_to_the_field(people, page_for, media):
    ticket = TicketFactory(created_by=people["creator"], status=TicketStatus.OPEN)
    before = snapshot(ticket)

    bad = SimpleUploadedFile("tool.pdf", EXE, content_type="application/pdf")
    response = page_for(people["creator"]).post(url("ticket-attachment-upload", ticket), {"file": bad})

    assert response.status_code == 400
    assert 'id="id_file_error">' in response.content.decode()
    assert snapshot(ticket) == before
    assert not [path for path in media.rglob("*") if path.is_file()]


def test_a_file_past_the_size_limit_is_refused_before_it_is_stored(people, page_for, media, settings):
    settings.ATTACHMENT_MAX_SIZE = 100
    ticket = TicketFactory(created_by=people["creator"], status=TicketStatus.OPEN)
    before = snapshot(ticket)

    response = page_for(people["creator"]).post(url("ticket-attachment-upload", ticket), {"file": upload(data=b"x" * 200)})

    assert response.status_code == 413
    assert snapshot(ticket) == before


def test_a_closed_ticket_takes_no_file(people, page_for, media):
    ticket = TicketFactory(created_by=people["creator"], status=TicketStatus.CLOSED)
    before = snapshot(ticket)

    response = page_for(people["creator"]).post(url("ticket-attachment-upload", ticket), {"file": upload()})

    assert response.status_code == 409
    assert snapshot(ticket) == before


def test_the_download_is_the_apis_download(people, page_for, client_for, media):
    ticket = TicketFactory(created_by=people["creator"], visibility="restricted")
    attachment = attachment_services.attachment_create(actor=people["creator"], upload=upload("spécs <1>.txt"), ticket=ticket)

    page = page_for(people["creator"]).get(url("ticket-attachment-download", ticket, attachment_id=attachment.pk))
    api = client_for(people["creator"]).get(f"/api/v1/attachments/{attachment.pk}/download/")

    assert page.status_code == 200 and page.streaming
    assert b"".join(page.streaming_content) == b"16 GB RAM\n"
    for header in ("Content-Type", "Content-Disposition", "X-Content-Type-Options", "Content-Security-Policy"):
        assert page[header] == api[header], header
    assert page["Content-Disposition"].startswith("attachment; ")
    assert page["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in page["Cache-Control"]


def test_a_file_of_another_ticket_or_a_deleted_one_is_not_found_here(people, page_for, media):
    ticket, elsewhere = TicketFactory(created_by=people["creator"]), TicketFactory(created_by=people["creator"])
    other_file = attachment_services.attachment_create(actor=people["creator"], upload=upload(), ticket=elsewhere)
    deleted = attachment_services.attachment_create(actor=people["creator"], upload=upload(), ticket=ticket)
    attachment_services.attachment_delete(actor=people["creator"], attachment=deleted)
    client = page_for(people["creator"])

    for attachment in (other_file, deleted):
        assert client.get(url("ticket-attachment-download", ticket, attachment_id=attachment.pk)).status_code == 404
        assert client.post(url("ticket-attachment-delete", ticket, attachment_id=attachment.pk)).status_code == 404
    assert not Attachment.objects.get(pk=other_file.pk).is_deleted


def test_the_uploader_deletes_their_file_and_nobody_else_may(people, page_for, media):
    ticket = TicketFactory(created_by=people["creator"], status=TicketStatus.OPEN)
    attachment = attachment_services.attachment_create(actor=people["creator"], upload=upload(), ticket=ticket)
    before = snapshot(ticket)
    delete = url("ticket-attachment-delete", ticket, attachment_id=attachment.pk)

    refused = page_for(people["agent"]).post(delete)
    assert refused.status_code == 403
    assert snapshot(ticket) == before

    done = page_for(people["creator"]).post(delete)
    assert done.status_code == 302
    assert flash(done) == ["specs.txt is deleted."]
    assert Attachment.all_objects.get(pk=attachment.pk).is_deleted
    assert events(ticket)[-1][0] == EventType.ATTACHMENT_REMOVE


def test_an_attachment_moderator_deletes_a_file_of_a_closed_ticket(people, page_for, media):
    ticket = TicketFactory(created_by=people["creator"], status=TicketStatus.OPEN)
    attachment = attachment_services.attachment_create(actor=people["creator"], upload=upload(), ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    boss = AdminFactory()
    delete = url("ticket-attachment-delete", ticket, attachment_id=attachment.pk)

    assert delete not in page_for(people["creator"]).get(page_url(ticket)).content.decode()
    assert page_for(people["creator"]).post(delete).status_code == 409
    assert delete in page_for(boss).get(page_url(ticket)).content.decode()
    assert page_for(boss).post(delete).status_code == 302
    assert Attachment.all_objects.get(pk=attachment.pk).is_deleted


def test_the_actions_need_a_signed_in_person(people):
    ticket = TicketFactory(created_by=people["creator"])
    before = snapshot(ticket)

    response = Client().post(url("ticket-comment-add", ticket), {"note": "Hi"})

    assert response.status_code == 302 and response["Location"].startswith(reverse("workspace:login"))
    assert snapshot(ticket) == before
