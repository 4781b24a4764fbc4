"""The admin as a client of the ticket services: its changes land on the timeline with the admin as actor."""

import json

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from approvals.tests.factories import template_with
from permissions import services as permission_services
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import Category, EventType, Ticket, TicketNote, TicketStatus, TicketTemplate
from tickets.services import tickets as ticket_services
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketFactory, TicketTemplateFactory
from tickets.timeline_words import person_name

pytestmark = pytest.mark.django_db

TICKETS = "/admin/tickets/ticket/"
TEMPLATES = "/admin/tickets/tickettemplate/"


@pytest.fixture
def admin_user():
    return AdminFactory(username="boss")


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def change_data(ticket, **overrides):
    """The change form as the browser would post it, with `overrides` applied."""
    saved = ticket.pk is not None
    notes = TicketNote.objects.filter(ticket=ticket).count() if saved else 0
    data = {
        "title": ticket.title,
        "description": ticket.description,
        "approval_template": ticket.approval_template_id or "",
        "custom_fields": json.dumps(ticket.custom_fields),
        "priority": ticket.priority,
        "visibility": ticket.visibility,
        "assignee": ticket.assignee_id or "",
        "due_at_0": "",
        "due_at_1": "",
        "categories": [c.pk for c in ticket.categories.all()] if saved else [],
        "labels": [label.pk for label in ticket.labels.all()] if saved else [],
        "notes-TOTAL_FORMS": notes,
        "notes-INITIAL_FORMS": notes,
        "notes-MIN_NUM_FORMS": 0,
        "notes-MAX_NUM_FORMS": 1000,
    }
    data.update(overrides)
    return data


def events(ticket):
    return list(TicketNote.objects.filter(ticket=ticket, system=True).order_by("id"))


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_changelist_with_filters_and_search(admin_client):
    wanted = TicketFactory(title="VPN is down", status=TicketStatus.OPEN)
    TicketFactory(title="VPN again", status=TicketStatus.DRAFT)

    response = admin_client.get(TICKETS, {"status__exact": "open", "q": "vpn"})

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [wanted]


def test_add_goes_through_the_service(admin_client, admin_user):
    category = CategoryFactory()
    template = TicketTemplateFactory(categories=[category])
    data = change_data(Ticket(title="From the admin", custom_fields={}), template=template.pk)

    response = admin_client.post(f"{TICKETS}add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket = Ticket.objects.get(title="From the admin")
    assert ticket.key == f"TCK-{ticket.pk}"
    assert ticket.created_by == admin_user
    assert list(ticket.categories.all()) == [category]  # template default, left empty in the form
    [created] = events(ticket)
    assert (created.event_type, created.created_by) == (EventType.CREATED, admin_user)


def test_changes_in_the_admin_land_on_the_timeline(admin_client, admin_user):
    old_assignee, new_assignee = UserFactory(), UserFactory()
    kept, added = CategoryFactory(), CategoryFactory()
    label = LabelFactory()
    ticket = TicketFactory(status=TicketStatus.OPEN, title="Old", assignee=old_assignee, categories=[kept])

    response = admin_client.post(
        f"{TICKETS}{ticket.pk}/change/",
        change_data(
            ticket,
            title="New",
            priority="urgent",
            visibility="restricted",
            assignee=new_assignee.pk,
            categories=[kept.pk, added.pk],
            labels=[label.pk],
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    recorded = {e.event_type: e.event_details for e in events(ticket)}
    assert recorded == {
        EventType.FIELD_CHANGE: {"field": "title", "old": "Old", "new": "New"},
        EventType.PRIORITY_CHANGE: {"field": "priority", "old": "medium", "new": "urgent"},
        EventType.VISIBILITY_CHANGE: {"field": "visibility", "old": "internal", "new": "restricted"},
        EventType.ASSIGNEE_CHANGE: {"field": "assignee", "old": old_assignee.pk, "new": new_assignee.pk},
        EventType.CATEGORY_ADD: {"category": added.pk, "name": added.name},
        EventType.LABEL_ADD: {"label": label.pk, "name": label.name},
    }
    assert {e.created_by for e in events(ticket)} == {admin_user}
    ticket.refresh_from_db()
    assert (ticket.title, ticket.priority, ticket.assignee) == ("New", "urgent", new_assignee)
    assert ticket.updated_by == admin_user


def test_removing_a_label_in_the_admin_is_recorded(admin_client, admin_user):
    label = LabelFactory()
    ticket = TicketFactory(status=TicketStatus.OPEN, labels=[label])

    admin_client.post(f"{TICKETS}{ticket.pk}/change/", change_data(ticket, labels=[]))

    [event] = events(ticket)
    assert (event.event_type, event.event_details, event.created_by) == (
        EventType.LABEL_REMOVE,
        {"label": label.pk, "name": label.name},
        admin_user,
    )


def test_invalid_custom_fields_are_a_form_error_and_record_nothing(admin_client):
    template = TicketTemplateFactory(
        custom_fields_schema={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    )
    ticket = TicketFactory(template=template, custom_fields={"n": 1}, title="Before")

    response = admin_client.post(
        f"{TICKETS}{ticket.pk}/change/", change_data(ticket, title="After", custom_fields='{"n": "one"}')
    )

    assert response.status_code == 200
    assert "custom_fields" in response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.title == "Before"
    assert events(ticket) == []


def test_final_ticket_is_read_only_in_the_admin(admin_client):
    ticket = TicketFactory(status=TicketStatus.CLOSED, title="Done")

    page = admin_client.get(f"{TICKETS}{ticket.pk}/change/")
    post = admin_client.post(f"{TICKETS}{ticket.pk}/change/", change_data(ticket, title="Changed"))

    assert page.status_code == 200
    assert post.status_code == 403
    ticket.refresh_from_db()
    assert ticket.title == "Done"


def test_change_page_shows_the_timeline_in_words(admin_client, admin_user, client_for):
    creator = UserFactory(first_name="Carol", last_name="Ng")
    ticket = TicketFactory(created_by=creator)
    client_for(creator).post(f"/api/v1/tickets/{ticket.pk}/comments/", {"note": "Visible in the admin"})
    client_for(creator).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "open"})
    admin_client.post(f"{TICKETS}{ticket.pk}/change/", change_data(ticket, priority="high"))

    response = admin_client.get(f"{TICKETS}{ticket.pk}/change/")

    timeline = response.text.split('class="timeline-in-words"')[1].split("</ol>")[0]
    entries = [entry.split("</time>")[1].split("</li>")[0].strip() for entry in timeline.split("<li>")[1:]]
    assert entries == [
        'Carol Ng commented: <span class="said">Visible in the admin</span>',
        "Carol Ng moved the ticket from Draft to Open",
        f"{person_name(admin_user)} changed priority from Medium to High",
    ]
    assert "event_details" not in response.text and "{&quot;" not in response.text  # no raw JSON
    assert "status" in response.context["adminform"].readonly_fields
    assert "timeline" in response.context["adminform"].readonly_fields


def test_the_timeline_tells_a_deleted_comment_without_its_text(admin_client, client_for):
    creator = UserFactory(first_name="Carol", last_name="Ng")
    ticket = TicketFactory(created_by=creator)
    comment = client_for(creator).post(f"/api/v1/tickets/{ticket.pk}/comments/", {"note": "Oops, wrong ticket"}).json()
    client_for(creator).delete(f"/api/v1/tickets/{ticket.pk}/comments/{comment['id']}/")

    response = admin_client.get(f"{TICKETS}{ticket.pk}/change/")

    assert "Carol Ng: comment deleted" in response.text
    assert "Carol Ng deleted a comment" in response.text
    assert "Oops, wrong ticket" not in response.text


def test_the_timeline_entries_list_and_page_read_in_words(admin_client, client_for):
    creator = UserFactory(first_name="Carol", last_name="Ng")
    ticket = TicketFactory(created_by=creator)
    client_for(creator).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "open"})
    event = TicketNote.objects.get(ticket=ticket, event_type=EventType.STATUS_CHANGE)

    listed = admin_client.get("/admin/tickets/ticketnote/")
    page = admin_client.get(f"/admin/tickets/ticketnote/{event.pk}/change/")

    assert "Carol Ng moved the ticket from Draft to Open" in listed.text
    assert "Carol Ng moved the ticket from Draft to Open" in page.text
    assert f"status change by {creator.username} on {ticket.key}" in listed.text


def test_transition_action_calls_the_service(admin_client, admin_user):
    ticket = TicketFactory(status=TicketStatus.OPEN)

    response = admin_client.post(TICKETS, {"action": "transition_to_in_progress", "_selected_action": [ticket.pk]})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    [event] = events(ticket)
    assert (event.event_type, event.created_by) == (EventType.STATUS_CHANGE, admin_user)
    assert event.event_details == {"from": "open", "to": "in_progress", "comment": ""}


def test_refused_transition_action_is_a_message_and_records_nothing(admin_client):
    # Only the creator submits; the admin is not the creator.
    ticket = TicketFactory(status=TicketStatus.DRAFT)

    response = admin_client.post(TICKETS, {"action": "transition_to_submitted", "_selected_action": [ticket.pk]}, follow=True)

    assert any(ticket.key in text and "open" in text for text in messages_of(response))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DRAFT
    assert events(ticket) == []


def test_submit_action_for_the_creator_starts_the_approval(client_for):
    creator = AdminFactory()
    client = Client()
    client.force_login(creator)
    ticket = TicketFactory(created_by=creator, approval_template=template_with(("all", [UserFactory()])))

    client.post(TICKETS, {"action": "transition_to_submitted", "_selected_action": [ticket.pk]})

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_APPROVAL
    assert ticket.approval_processes.count() == 1


def test_delete_in_the_admin_is_the_service_soft_delete(admin_client, admin_user):
    ticket = TicketFactory(status=TicketStatus.OPEN)

    response = admin_client.post(f"{TICKETS}{ticket.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    row = Ticket.all_objects.get(pk=ticket.pk)
    assert row.is_deleted and row.deleted_by == admin_user


def test_staff_with_model_permissions_edits_through_the_service():
    staff = UserFactory(is_staff=True, perms=["tickets.view_ticket", "tickets.change_ticket"])
    client = Client()
    client.force_login(staff)
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS, title="Old")

    page = client.get(f"{TICKETS}{ticket.pk}/change/")
    response = client.post(f"{TICKETS}{ticket.pk}/change/", change_data(ticket, title="New"))

    assert page.status_code == 200
    assert response.status_code == 302
    [event] = events(ticket)
    assert (event.event_type, event.created_by) == (EventType.FIELD_CHANGE, staff)


# --- templates -----------------------------------------------------------------------------------------------------


def template_data(**overrides):
    data = {
        "name": "Hardware",
        "description": "",
        "default_title": "",
        "default_description": "",
        "default_priority": "medium",
        "default_visibility": "internal",
        "custom_fields_schema": "{}",
    }
    data.update(overrides)
    return data


def test_template_with_a_valid_schema_is_saved(admin_client, admin_user):
    schema = {"type": "object", "properties": {"serial": {"type": "string"}}, "required": ["serial"]}

    response = admin_client.post(f"{TEMPLATES}add/", template_data(custom_fields_schema=json.dumps(schema)))

    assert response.status_code == 302
    template = TicketTemplate.objects.get(name="Hardware")
    assert template.custom_fields_schema == schema
    assert template.created_by == admin_user


@pytest.mark.parametrize("schema", ['{"type": "object", "properties": {"a": {"type": 5}}}', '{"type": "array"}', "{not json"])
def test_template_with_an_invalid_schema_is_a_form_error(schema, admin_client):
    response = admin_client.post(f"{TEMPLATES}add/", template_data(custom_fields_schema=schema))

    assert response.status_code == 200
    assert "custom_fields_schema" in response.context["adminform"].form.errors
    assert not TicketTemplate.objects.exists()


def test_template_schema_is_shown_pretty_printed(admin_client):
    template = TicketTemplateFactory(custom_fields_schema={"type": "object", "required": ["a"]})

    response = admin_client.get(f"{TEMPLATES}{template.pk}/change/")

    assert "{\n  &quot;type&quot;: &quot;object&quot;" in response.content.decode()


def test_service_refusal_in_the_change_form_is_a_form_error_and_changes_nothing(admin_client):
    # The form accepts any user id; the service refuses an inactive assignee and the whole save rolls back.
    ticket = TicketFactory(status=TicketStatus.OPEN, title="Before")
    gone = UserFactory(is_active=False)

    response = admin_client.post(f"{TICKETS}{ticket.pk}/change/", change_data(ticket, title="After", assignee=gone.pk))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert any("active user" in error for error in form.errors["assignee"]), form.errors
    assert form["title"].value() == "After"  # what was typed is kept
    ticket.refresh_from_db()
    assert (ticket.title, ticket.assignee) == ("Before", None)
    assert events(ticket) == []


def test_a_deleted_ticket_shows_it_is_deleted_and_is_read_only_until_restored(admin_client, admin_user):
    ticket = TicketFactory(status=TicketStatus.OPEN, title="Before")
    ticket_services.ticket_delete(ticket=ticket, actor=admin_user)

    page = admin_client.get(f"{TICKETS}{ticket.pk}/change/")
    edit = admin_client.post(f"{TICKETS}{ticket.pk}/change/", change_data(ticket, title="While deleted"))
    deleted_list = admin_client.get(TICKETS, {"deleted": "all"})

    assert page.status_code == 200
    assert any(text.startswith(f"Deleted by {admin_user}") for text in messages_of(page))
    assert 'name="_save"' not in page.text
    assert edit.status_code == 403
    assert Ticket.all_objects.get(pk=ticket.pk).title == "Before"
    assert "field-is_deleted" in deleted_list.text
    admin_client.post(f"{TICKETS}?deleted=yes", {"action": "restore_selected", "_selected_action": [ticket.pk]})
    restored = admin_client.post(f"{TICKETS}{ticket.pk}/change/", change_data(ticket, title="After restore"))
    assert restored.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).title == "After restore"


def test_every_audited_admin_keeps_deleted_rows_read_only(admin_client, admin_user):
    category = CategoryFactory(name="Old name")
    category.soft_delete(actor=admin_user)

    edit = admin_client.post(f"/admin/tickets/category/{category.pk}/change/", {"name": "New name", "description": ""})
    delete = admin_client.get(f"/admin/tickets/category/{category.pk}/delete/")

    assert (edit.status_code, delete.status_code) == (403, 403)
    assert Category.all_objects.get(pk=category.pk).name == "Old name"


def test_restoring_a_ticket_deleted_while_waiting_for_approval_brings_it_back_as_a_draft(client_for, admin_user):
    creator = UserFactory()
    ticket = TicketFactory(created_by=creator, approval_template=template_with(("all", [UserFactory()])))
    assert (
        client_for(creator).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "waiting_approval"}).status_code == 200
    )
    client = Client()
    client.force_login(admin_user)
    client.post(f"{TICKETS}{ticket.pk}/delete/", {"post": "yes"})
    deleted = Ticket.all_objects.get(pk=ticket.pk)
    assert (deleted.is_deleted, deleted.status) == (True, TicketStatus.WAITING_APPROVAL)
    assert deleted.approval_processes.get().status == "cancelled"

    response = client.post(f"{TICKETS}?deleted=yes", {"action": "restore_selected", "_selected_action": [ticket.pk]})

    assert response.status_code == 302, response.content[:3000]
    row = Ticket.all_objects.get(pk=ticket.pk)
    assert not row.is_deleted
    assert row.status == TicketStatus.DRAFT
    change = events(row)[-1]
    assert change.event_type == EventType.STATUS_CHANGE
    assert (change.event_details["from"], change.event_details["to"]) == ("waiting_approval", "draft")
    assert change.created_by == admin_user
    # The creator can submit again: a new process starts.
    assert (
        client_for(creator).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "waiting_approval"}).status_code == 200
    )
    assert row.approval_processes.count() == 2


def test_restoring_an_open_ticket_keeps_its_status(admin_client):
    ticket = TicketFactory(status=TicketStatus.OPEN)
    admin_client.post(f"{TICKETS}{ticket.pk}/delete/", {"post": "yes"})
    notes_before = len(events(ticket))

    admin_client.post(f"{TICKETS}?deleted=yes", {"action": "restore_selected", "_selected_action": [ticket.pk]})

    row = Ticket.all_objects.get(pk=ticket.pk)
    assert not row.is_deleted
    assert row.status == TicketStatus.OPEN
    assert len(events(row)) == notes_before


def test_the_ticket_page_lists_its_grants_and_links_the_grant_form_with_its_key(admin_client):
    ticket = TicketFactory(visibility="restricted")
    permission_services.grant_create(ticket=ticket, actor=None, user=UserFactory(username="erin"))
    permission_services.grant_create(ticket=ticket, actor=None, role=RoleFactory(name="managers"))

    page = admin_client.get(f"{TICKETS}{ticket.pk}/change/")
    link = f"/admin/permissions/ticketviewpermission/add/?ticket={ticket.pk}"
    form = admin_client.get(link)

    assert f'erin, managers (role) <a href="{link}">Grant access</a>' in page.text
    assert form.context["adminform"].form.initial["ticket_key"] == ticket.key
