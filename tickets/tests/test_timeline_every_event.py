"""Every kind of ticket change lands on the timeline with its actor and details, through the API and through the admin
(SPEC §5): one ticket's story told each way, then read back from the timeline.

The admin cannot edit or delete comments (only their authors can, docs/tickets.md; admins redact them) nor upload files
(uploads are inspected by the API): there, edit and delete events are not possible and attachment_add comes from
restoring a deleted file.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from approvals.tests.factories import template_with
from tests.factories import AdminFactory, UserFactory
from tickets.models import Attachment, EventType, Ticket, TicketNote, TicketStatus
from tickets.tests.factories import (
    AttachmentFactory,
    CategoryFactory,
    CommentFactory,
    LabelFactory,
    TicketFactory,
    TicketTemplateFactory,
)
from tickets.tests.test_attachments_api import EXE
from tickets.tests.test_ticket_admin import change_data

pytestmark = pytest.mark.django_db

TICKET_EVENTS = {
    EventType.CREATED,
    EventType.STATUS_CHANGE,
    EventType.ASSIGNEE_CHANGE,
    EventType.PRIORITY_CHANGE,
    EventType.VISIBILITY_CHANGE,
    EventType.FIELD_CHANGE,
    EventType.CATEGORY_ADD,
    EventType.CATEGORY_REMOVE,
    EventType.LABEL_ADD,
    EventType.LABEL_REMOVE,
    EventType.ATTACHMENT_ADD,
    EventType.ATTACHMENT_REMOVE,
    EventType.COMMENT_EDITED,
    EventType.COMMENT_DELETED,
    EventType.COMMENT_REDACTED,
}
NOT_IN_THE_ADMIN = {EventType.COMMENT_EDITED, EventType.COMMENT_DELETED}
SCHEMA = {"type": "object", "properties": {"serial": {"type": "string"}}}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def system_entries(client, ticket) -> list[tuple]:
    """The timeline as the API shows it: (event_type, created_by, event_details) of each system entry, oldest first."""
    response = client.get(f"/api/v1/tickets/{ticket.pk}/timeline/", {"page_size": 100})
    assert response.status_code == 200
    return [(e["event_type"], e["created_by"], e["event_details"]) for e in response.json()["results"] if e["system"]]


def ok(response, code=200):
    assert response.status_code == code, response.content
    return response.json() if response.content else None


def test_every_kind_of_change_through_the_api(client_for):
    creator = UserFactory(username="creator")
    # An agent who also sees restricted tickets: the ticket is made restricted before they work on it.
    agent = UserFactory(username="agent", perms=["tickets.work_on_ticket", "tickets.view_all_tickets"])
    category, label = CategoryFactory(), LabelFactory()
    template = TicketTemplateFactory(custom_fields_schema=SCHEMA)
    me, them = client_for(creator), client_for(agent)

    body = ok(me.post("/api/v1/tickets/", {"title": "Laptop", "template": template.pk}, format="json"), 201)
    ticket = Ticket.objects.get(pk=body["id"])
    url = f"/api/v1/tickets/{ticket.pk}/"
    ok(me.patch(url, {"title": "New laptop", "custom_fields": {"serial": "X1"}}, format="json"))
    ok(me.patch(url, {"categories": [category.pk], "labels": [label.pk]}, format="json"))
    ok(me.patch(url, {"categories": [], "labels": []}, format="json"))
    comment = ok(me.post(f"{url}comments/", {"note": "Frist"}, format="json"), 201)
    ok(me.patch(f"{url}comments/{comment['id']}/", {"note": "First"}, format="json"))
    upload = SimpleUploadedFile("specs.txt", b"16 GB RAM\n", content_type="text/plain")
    attachment = ok(me.post(f"{url}attachments/", {"file": upload}, format="multipart"), 201)
    ok(me.delete(f"/api/v1/attachments/{attachment['id']}/"), 204)
    ok(me.delete(f"{url}comments/{comment['id']}/"), 204)
    pasted = ok(me.post(f"{url}comments/", {"note": "My password is hunter2"}, format="json"), 201)
    ok(me.post(f"{url}comments/{pasted['id']}/redact/", {"reason": "A password"}, format="json"))
    ok(me.patch(url, {"visibility": "restricted"}, format="json"))
    ok(me.post(f"{url}transition/", {"status": "open", "comment": "Please"}, format="json"))
    ok(them.patch(url, {"priority": "high", "assignee": agent.pk}, format="json"))

    entries = system_entries(me, ticket)

    created_details = {
        "key": ticket.key,
        "title": "Laptop",
        "status": "draft",
        "priority": "medium",
        "visibility": "internal",
        "template": template.pk,
        "approval_template": None,
    }
    file_details = {"attachment": attachment["id"], "file_name": "specs.txt", "note": None}
    assert entries == [
        ("created", creator.pk, created_details),
        ("field_change", creator.pk, {"field": "title", "old": "Laptop", "new": "New laptop"}),
        ("field_change", creator.pk, {"field": "custom_fields", "old": {}, "new": {"serial": "X1"}}),
        ("category_add", creator.pk, {"category": category.pk, "name": category.name}),
        ("label_add", creator.pk, {"label": label.pk, "name": label.name}),
        ("category_remove", creator.pk, {"category": category.pk, "name": category.name}),
        ("label_remove", creator.pk, {"label": label.pk, "name": label.name}),
        ("comment_edited", creator.pk, {"comment": comment["id"], "old": "Frist", "new": "First"}),
        ("attachment_add", creator.pk, file_details),
        ("attachment_remove", creator.pk, file_details),
        ("comment_deleted", creator.pk, {"comment": comment["id"]}),
        ("comment_redacted", creator.pk, {"comment": pasted["id"], "reason": "A password"}),
        ("visibility_change", creator.pk, {"field": "visibility", "old": "internal", "new": "restricted"}),
        ("status_change", creator.pk, {"from": "draft", "to": "open", "comment": "Please"}),
        ("priority_change", agent.pk, {"field": "priority", "old": "medium", "new": "high"}),
        ("assignee_change", agent.pk, {"field": "assignee", "old": None, "new": agent.pk}),
    ]
    assert {entry[0] for entry in entries} == TICKET_EVENTS


def test_every_kind_of_change_the_admin_can_make(client_for):
    boss = AdminFactory(username="boss")
    admin = Client()
    admin.force_login(boss)
    category, label, assignee = CategoryFactory(), LabelFactory(), UserFactory()
    template = TicketTemplateFactory(custom_fields_schema=SCHEMA)
    tickets = "/admin/tickets/ticket/"

    added = admin.post(f"{tickets}add/", change_data(Ticket(title="Laptop", custom_fields={}), template=template.pk))
    assert added.status_code == 302, added.context["adminform"].form.errors
    ticket = Ticket.objects.get(title="Laptop")

    def change(**overrides):
        ticket.refresh_from_db()
        response = admin.post(f"{tickets}{ticket.pk}/change/", change_data(ticket, **overrides))
        assert response.status_code == 302, response.context["adminform"].form.errors

    change(title="New laptop", custom_fields='{"serial": "X1"}')
    change(categories=[category.pk], labels=[label.pk])
    change(categories=[], labels=[])
    # change_data posts an empty due date, so the due date is set in the last change.
    change(priority="high", visibility="restricted", assignee=assignee.pk, due_at_0="2030-01-31", due_at_1="12:00:00")
    attachment = AttachmentFactory(ticket=ticket, created_by=boss, file_name="specs.txt")
    assert admin.post(f"/admin/tickets/attachment/{attachment.pk}/delete/", {"post": "yes"}).status_code == 302
    restore = {"action": "restore_selected", ACTION_CHECKBOX_NAME: [attachment.pk]}
    assert admin.post("/admin/tickets/attachment/?deleted=yes", restore).status_code == 302
    pasted = CommentFactory(ticket=ticket, created_by=assignee, note="My password is hunter2")
    redact = {"action": "redact_comments", ACTION_CHECKBOX_NAME: [pasted.pk]}
    assert admin.post("/admin/tickets/ticketnote/", redact).status_code == 302
    submit = {"action": "transition_to_submitted", ACTION_CHECKBOX_NAME: [ticket.pk]}
    assert admin.post(tickets, submit).status_code == 302

    entries = system_entries(client_for(boss), ticket)

    due = datetime(2030, 1, 31, 12, tzinfo=UTC).isoformat()  # TIME_ZONE is UTC
    created_details = {
        "key": ticket.key,
        "title": "Laptop",
        "status": "draft",
        "priority": "medium",
        "visibility": "internal",
        "template": template.pk,
        "approval_template": None,
    }
    file_details = {"attachment": attachment.pk, "file_name": "specs.txt", "note": None}
    assert entries == [
        ("created", boss.pk, created_details),
        ("field_change", boss.pk, {"field": "title", "old": "Laptop", "new": "New laptop"}),
        ("field_change", boss.pk, {"field": "custom_fields", "old": {}, "new": {"serial": "X1"}}),
        ("category_add", boss.pk, {"category": category.pk, "name": category.name}),
        ("label_add", boss.pk, {"label": label.pk, "name": label.name}),
        ("category_remove", boss.pk, {"category": category.pk, "name": category.name}),
        ("label_remove", boss.pk, {"label": label.pk, "name": label.name}),
        ("priority_change", boss.pk, {"field": "priority", "old": "medium", "new": "high"}),
        ("visibility_change", boss.pk, {"field": "visibility", "old": "internal", "new": "restricted"}),
        ("field_change", boss.pk, {"field": "due_at", "old": None, "new": due}),
        ("assignee_change", boss.pk, {"field": "assignee", "old": None, "new": assignee.pk}),
        ("attachment_remove", boss.pk, file_details),
        ("attachment_add", boss.pk, file_details),
        ("comment_redacted", boss.pk, {"comment": pasted.pk, "reason": ""}),
        ("status_change", boss.pk, {"from": "draft", "to": "open", "comment": ""}),
    ]
    assert {entry[0] for entry in entries} == TICKET_EVENTS - NOT_IN_THE_ADMIN
    row = Attachment.objects.get(pk=attachment.pk)
    assert (row.is_deleted, row.updated_by) == (False, boss)


# The admin's transition actions, each row an admin can take as creator and agent (a superuser who created the ticket).
ADMIN_ACTIONS = [
    ("transition_to_submitted", TicketStatus.DRAFT, TicketStatus.OPEN),
    ("transition_to_cancelled", TicketStatus.DRAFT, TicketStatus.CANCELLED),
    ("transition_to_draft", TicketStatus.REJECTED, TicketStatus.DRAFT),
    ("transition_to_in_progress", TicketStatus.OPEN, TicketStatus.IN_PROGRESS),
    ("transition_to_resolved", TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED),
    ("transition_to_in_progress", TicketStatus.RESOLVED, TicketStatus.IN_PROGRESS),
    ("transition_to_closed", TicketStatus.RESOLVED, TicketStatus.CLOSED),
]


@pytest.mark.parametrize(("action", "source", "target"), ADMIN_ACTIONS, ids=[f"{a}-from-{s}" for a, s, _ in ADMIN_ACTIONS])
def test_each_admin_transition_action_is_a_status_change_event(action, source, target):
    boss = AdminFactory()
    admin = Client()
    admin.force_login(boss)
    ticket = TicketFactory(status=source, created_by=boss)

    response = admin.post("/admin/tickets/ticket/", {"action": action, ACTION_CHECKBOX_NAME: [ticket.pk]})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == target
    [event] = TicketNote.objects.filter(ticket=ticket, system=True)
    assert (event.event_type, event.created_by) == (EventType.STATUS_CHANGE, boss)
    assert event.event_details == {"from": source, "to": target, "comment": ""}


def test_admin_withdraw_action_cancels_the_process_and_records_both(client_for):
    boss = AdminFactory()
    admin = Client()
    admin.force_login(boss)
    ticket = TicketFactory(created_by=boss, approval_template=template_with(("all", [UserFactory()])))
    ok(client_for(boss).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "waiting_approval"}, format="json"))
    before = TicketNote.objects.filter(ticket=ticket, system=True).count()

    admin.post("/admin/tickets/ticket/", {"action": "transition_to_draft", ACTION_CHECKBOX_NAME: [ticket.pk]})

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DRAFT
    new = TicketNote.objects.filter(ticket=ticket, system=True).order_by("id")[before:]
    assert [(e.event_type, e.created_by) for e in new] == [
        (EventType.APPROVAL_CANCELLED, boss),
        (EventType.STATUS_CHANGE, boss),
    ]
    assert new[1].event_details == {"from": "waiting_approval", "to": "draft", "comment": ""}


# --- a failed change leaves no event -------------------------------------------------------------------------------


def test_admin_refusals_leave_no_event():
    """A refused transition action and an invalid change form: nothing changes, nothing is recorded."""
    staff = UserFactory(is_staff=True, perms=["tickets.view_ticket", "tickets.change_ticket"])
    admin = Client()
    admin.force_login(staff)
    draft = TicketFactory(status=TicketStatus.DRAFT, title="Before")

    admin.post("/admin/tickets/ticket/", {"action": "transition_to_submitted", ACTION_CHECKBOX_NAME: [draft.pk]})
    admin.post(f"/admin/tickets/ticket/{draft.pk}/change/", change_data(draft, title="After", assignee=999999))

    draft.refresh_from_db()
    assert (draft.status, draft.title) == (TicketStatus.DRAFT, "Before")
    assert not TicketNote.objects.filter(ticket=draft).exists()


def test_api_refusals_leave_no_event(client_for, media_root):
    creator, stranger = UserFactory(), UserFactory()
    ticket = TicketFactory(created_by=creator, status=TicketStatus.OPEN, title="Before")
    attachment = AttachmentFactory(ticket=ticket)
    comment_url = f"/api/v1/tickets/{ticket.pk}/comments/"
    comment = ok(client_for(creator).post(comment_url, {"note": "Mine"}, format="json"), 201)
    before = TicketNote.objects.filter(ticket=ticket, system=True).count()
    them = client_for(stranger)
    bad_upload = SimpleUploadedFile("x.pdf", EXE, content_type="application/pdf")

    codes = [
        them.patch(f"/api/v1/tickets/{ticket.pk}/", {"title": "After"}, format="json").status_code,
        them.patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "nope"}, format="json").status_code,
        them.post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "resolved"}, format="json").status_code,
        them.patch(f"{comment_url}{comment['id']}/", {"note": "Yours"}, format="json").status_code,
        them.delete(f"{comment_url}{comment['id']}/").status_code,
        them.delete(f"/api/v1/attachments/{attachment.pk}/").status_code,
        them.post(f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": bad_upload}, format="multipart").status_code,
    ]

    assert codes == [403, 400, 409, 403, 403, 403, 415]
    assert TicketNote.objects.filter(ticket=ticket, system=True).count() == before
    ticket.refresh_from_db()
    assert ticket.title == "Before"
    assert Attachment.objects.filter(ticket=ticket).count() == 1
