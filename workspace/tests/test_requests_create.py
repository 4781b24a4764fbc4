"""A new request: the form of a template (or a blank one), saved as a draft or submitted, with attachments created in
the same transaction as the ticket (a refused file leaves nothing), and refusals shown next to their fields."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from approvals.models import ApprovalProcess, ProcessStatus
from approvals.tests.factories import template_with
from tests.factories import UserFactory
from tickets.models import Attachment, EventType, Ticket, TicketNote, TicketStatus, TicketVisibility
from tickets.services.templates import template_delete
from tickets.tests.factories import TicketTemplateFactory
from tickets.tests.test_attachments_api import EXE, PDF

pytestmark = pytest.mark.django_db

SCHEMA = {
    "type": "object",
    "properties": {
        "model": {"type": "string", "title": "Model", "enum": ["13-inch", "16-inch"]},
        "needed_by": {"type": "string", "format": "date", "description": "When the new starter begins."},
    },
    "required": ["model"],
}
DETAILS = {"custom_fields.model": '"16-inch"', "custom_fields.needed_by": "2030-09-01"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def laptop():
    return TicketTemplateFactory(
        name="Laptop request",
        description="A new or replacement laptop.",
        default_title="Laptop",
        default_priority="high",
        custom_fields_schema=SCHEMA,
    )


def errors_of(response, name: str) -> list[str]:
    found = re.findall(rf'<p class="error" id="id_{re.escape(name)}_error">(.*?)</p>', response.content.decode())
    return [html.unescape(message) for message in found]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def events_of(ticket) -> list[str]:
    return list(TicketNote.objects.filter(ticket=ticket).order_by("id").values_list("event_type", flat=True))


def text_file(name="notes.txt", data=b"plain text\n"):
    return SimpleUploadedFile(name, data, content_type="text/plain")


# --- the form ------------------------------------------------------------------------------------------------------


def test_the_form_of_a_template(page_for, alice, laptop):
    response = page_for(alice).get(f"/requests/new/{laptop.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Laptop request</h1>" in page
    assert "A new or replacement laptop." in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'name="title" value="Laptop"' in page
    assert '<option value="high" selected>High</option>' in page
    assert '<label for="id_custom_fields.model">Model <span class="required" aria-label="required">*</span></label>' in page
    assert '<select name="custom_fields.model"' in page
    assert 'type="date" name="custom_fields.needed_by"' in page
    assert "When the new starter begins." in page
    assert 'type="file" name="file" multiple' in page
    assert 'value="submit" class="primary">Submit</button>' in page
    assert 'value="draft">Save as draft</button>' in page
    assert "goes to approval" not in page


def test_a_template_with_an_approval_says_so(page_for, alice):
    flow = template_with(("all", [UserFactory()]))
    template = TicketTemplateFactory(approval_template=flow)

    page = page_for(alice).get(f"/requests/new/{template.pk}/").content.decode()

    assert f"goes to approval ({flow.name})" in page
    assert "Submit for approval</button>" in page


def test_a_blank_request_has_no_details(page_for, alice):
    page = page_for(alice).get("/requests/new/blank/").content.decode()

    assert "<h1>Something else</h1>" in page
    assert "custom_fields." not in page
    assert 'name="title"' in page


@pytest.mark.parametrize("which", ["deleted", "unknown", "beyond any id"])
def test_a_deleted_or_unknown_template_is_not_found(page_for, alice, laptop, which):
    if which == "deleted":
        template_delete(template=laptop, actor=None)
    template_id = {"deleted": laptop.pk, "unknown": laptop.pk + 1000, "beyond any id": 10**30}[which]

    assert page_for(alice).get(f"/requests/new/{template_id}/").status_code == 404
    assert page_for(alice).post(f"/requests/new/{template_id}/", {"title": "x"}).status_code == 404


# --- save as draft, submit -----------------------------------------------------------------------------------------


def test_save_as_draft(page_for, alice, laptop):
    response = page_for(alice).post(
        f"/requests/new/{laptop.pk}/",
        {
            "title": "Laptop for Ben",
            "description": "Starts in September.",
            "priority": "urgent",
            "visibility": "restricted",
            "action": "draft",
            **DETAILS,
        },
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.key}/"
    assert (ticket.title, ticket.description, ticket.priority, ticket.visibility, ticket.status) == (
        "Laptop for Ben",
        "Starts in September.",
        "urgent",
        TicketVisibility.RESTRICTED,
        TicketStatus.DRAFT,
    )
    assert (ticket.template, ticket.created_by) == (laptop, alice)
    assert ticket.custom_fields == {"model": "16-inch", "needed_by": "2030-09-01"}
    assert events_of(ticket) == [EventType.CREATED]
    assert messages_of(response) == [f"{ticket.key} is saved as a draft. Submit it when it is ready."]


def test_submit_without_an_approval_opens_the_request(page_for, alice, laptop):
    response = page_for(alice).post(f"/requests/new/{laptop.pk}/", {"title": "Laptop", "action": "submit", **DETAILS})

    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.OPEN
    assert events_of(ticket) == [EventType.CREATED, EventType.STATUS_CHANGE]
    assert messages_of(response) == [f"{ticket.key} is submitted; the help desk will pick it up."]


def test_submit_with_an_approval_starts_it(page_for, alice, laptop):
    laptop.approval_template = template_with(("all", [UserFactory()]), ("any", [UserFactory()]))
    laptop.save()

    response = page_for(alice).post(f"/requests/new/{laptop.pk}/", {"title": "Laptop", "action": "submit", **DETAILS})

    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.WAITING_APPROVAL
    assert ticket.approval_template == laptop.approval_template
    assert ApprovalProcess.objects.get(ticket=ticket).status == ProcessStatus.RUNNING
    assert events_of(ticket) == [
        EventType.CREATED,
        EventType.STATUS_CHANGE,
        EventType.APPROVAL_STARTED,
        EventType.APPROVAL_STEP_STARTED,
    ]
    assert messages_of(response) == [f"{ticket.key} is submitted and waits for approval."]


def test_a_refused_submit_keeps_the_draft_and_says_why(page_for, alice, laptop):
    laptop.approval_template = template_with(("all", [alice]))  # nobody but the requester could approve
    laptop.save()

    response = page_for(alice).post(f"/requests/new/{laptop.pk}/", {"title": "Laptop", "action": "submit", **DETAILS})

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.key}/"
    assert ticket.status == TicketStatus.DRAFT
    assert not ApprovalProcess.objects.exists()
    assert events_of(ticket) == [EventType.CREATED]
    [message] = messages_of(response)
    assert message.startswith(f"{ticket.key} is saved as a draft, but it could not be submitted: Step 1")
    assert "cannot approve their own ticket" in message


def test_a_blank_request_needs_a_title(page_for, alice):
    response = page_for(alice).post("/requests/new/blank/", {"title": "  ", "description": "Help", "action": "draft"})

    assert response.status_code == 200
    assert errors_of(response, "title") == ["A title is required."]
    assert "Help</textarea>" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_blank_request_is_created_without_a_template(page_for, alice):
    page_for(alice).post("/requests/new/blank/", {"title": "Monitor flickers", "action": "submit"})

    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.template, ticket.custom_fields, ticket.status) == ("Monitor flickers", None, {}, "open")


def test_a_priority_that_does_not_exist_is_refused_next_to_it(page_for, alice, laptop):
    response = page_for(alice).post(f"/requests/new/{laptop.pk}/", {"title": "x", "priority": "whenever", **DETAILS})

    assert errors_of(response, "priority") == ["'whenever' is not a valid priority."]
    assert not Ticket.objects.exists()


# --- attachments ---------------------------------------------------------------------------------------------------


def test_files_are_attached_to_the_new_request(page_for, alice, laptop):
    files = [text_file(), SimpleUploadedFile("quote.pdf", PDF, content_type="application/pdf")]

    page_for(alice).post(f"/requests/new/{laptop.pk}/", {"title": "Laptop", "action": "submit", "file": files, **DETAILS})

    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.OPEN
    assert sorted(Attachment.objects.filter(ticket=ticket).values_list("file_name", flat=True)) == ["notes.txt", "quote.pdf"]
    assert events_of(ticket) == [
        EventType.CREATED,
        EventType.ATTACHMENT_ADD,
        EventType.ATTACHMENT_ADD,
        EventType.STATUS_CHANGE,
    ]


def test_a_refused_file_type_changes_nothing_and_keeps_the_form(page_for, alice, laptop, media):
    files = [text_file(), SimpleUploadedFile("invoice.pdf", EXE, content_type="application/pdf")]

    response = page_for(alice).post(
        f"/requests/new/{laptop.pk}/", {"title": "Laptop for Ben", "action": "submit", "file": files, **DETAILS}
    )

    page = response.content.decode()
    assert response.status_code == 200
    [error] = errors_of(response, "file")
    assert error.startswith("Files of type") and error.endswith("are not allowed.")
    assert 'name="title" value="Laptop for Ben"' in page
    assert '<option value="&quot;16-inch&quot;" selected>16-inch</option>' in page
    assert "choose them again" in page
    assert not Ticket.all_objects.exists()
    assert not Attachment.all_objects.exists()
    assert not TicketNote.all_objects.exists()
    assert stored_files(media) == []


def test_an_empty_file_is_refused_next_to_the_files(page_for, alice, laptop):
    response = page_for(alice).post(
        f"/requests/new/{laptop.pk}/", {"title": "Laptop", "file": [text_file("empty.txt", b"")], **DETAILS}
    )

    assert errors_of(response, "file") == ["The submitted file is empty."]
    assert not Ticket.objects.exists()


def test_a_file_over_the_limit_is_refused_next_to_the_files(page_for, alice, laptop, settings):
    settings.ATTACHMENT_MAX_SIZE = 10

    response = page_for(alice).post(
        f"/requests/new/{laptop.pk}/", {"title": "Laptop", "file": [text_file(data=b"x" * 11)], **DETAILS}
    )

    assert errors_of(response, "file") == ["The file is larger than the limit of 10 bytes."]
    assert not Ticket.objects.exists()


# --- who may -------------------------------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(alice, laptop):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(f"/requests/new/{laptop.pk}/", {"title": "Laptop", **DETAILS})

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_a_stranger_is_asked_to_sign_in(laptop):
    response = Client().post(f"/requests/new/{laptop.pk}/", {"title": "Laptop", **DETAILS})

    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Ticket.objects.exists()
