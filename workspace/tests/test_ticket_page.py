"""The ticket page (docs/workspace/ticket.md): what it shows to each person who may see the ticket, the controls each
may use, the same 404 for a hidden and an unknown ticket, no caching, CSRF on its forms, and a query count that does
not grow with the ticket's comments, events and attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.tests.factories import template_with
from tests.factories import UserFactory
from tickets.models import Ticket, TicketPriority, TicketStatus, TicketVisibility
from tickets.services import attachments as attachment_services
from tickets.services import tickets as ticket_services
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

SCHEMA = {
    "type": "object",
    "x-order": ["serial", "cost_centre"],
    "properties": {
        "cost_centre": {"type": "string", "title": "Cost centre (finance)"},
        "serial": {"type": "string"},
        "approved_budget": {"type": "boolean"},
    },
}


@dataclass
class Cast:
    creator: Any
    assignee: Any
    approver: Any
    agent: Any
    auditor: Any
    outsider: Any
    ticket: Ticket


def person(username: str, **kwargs: Any) -> Any:
    return UserFactory(username=username, first_name="", last_name="", **kwargs)


def page_url(ticket_or_key: Any) -> str:
    return reverse("workspace:ticket", kwargs={"key": getattr(ticket_or_key, "key", ticket_or_key)})


def upload(name: str = "specs.txt", data: bytes = b"16 GB RAM\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/plain")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def cast(media) -> Cast:
    """A restricted request of alice's, waiting for erin's approval, assigned to bob (not an agent); carol is an agent
    (who does not see restricted tickets), ivan an auditor, olga nobody to the ticket."""
    creator, assignee, approver = person("alice"), person("bob"), person("erin")
    agent = person("carol", perms=["tickets.work_on_ticket"])
    auditor = person("ivan", perms=["tickets.view_all_tickets"])
    template = TicketTemplateFactory(name="Laptop request", custom_fields_schema=SCHEMA)
    ticket = ticket_services.ticket_create(
        actor=creator,
        title="New laptop",
        description="Line one\nLine two <b>bold</b>",
        template=template,
        visibility=TicketVisibility.RESTRICTED,
        priority=TicketPriority.HIGH,
        approval_template=template_with(("all", [approver])),
        custom_fields={"cost_centre": "CC-42", "serial": "X1", "approved_budget": True},
        assignee=assignee,
        due_at=datetime(2030, 1, 31, 12, tzinfo=UTC),
        categories=[CategoryFactory(name="Hardware")],
        labels=[LabelFactory(name="vip", color="#aa0000")],
    )
    ticket_services.ticket_transition(
        ticket=ticket, actor=creator, to_status=TicketStatus.WAITING_APPROVAL, comment="Please hurry"
    )
    ticket_services.comment_create(ticket=ticket, actor=creator, note="Any news?")
    attachment_services.attachment_create(actor=creator, upload=upload(), ticket=ticket)
    return Cast(creator, assignee, approver, agent, auditor, person("olga"), ticket)


def body(response: Any) -> str:
    return response.content.decode()


@pytest.mark.parametrize("who", ["creator", "assignee", "approver", "auditor"])
def test_everyone_who_may_see_the_ticket_gets_its_page(cast, page_for, who):
    response = page_for(getattr(cast, who)).get(page_url(cast.ticket))

    assert response.status_code == 200
    text = body(response)
    assert cast.ticket.key in text and "New laptop" in text
    assert "alice moved the ticket from Draft to Waiting for approval: " in text


def test_the_page_shows_the_ticket_in_full(cast, page_for):
    text = body(page_for(cast.creator).get(page_url(cast.ticket)))

    assert '<span class="badge status-waiting_approval">Waiting for approval</span>' in text
    assert '<span class="badge priority-high">High</span>' in text
    assert "<dt>Assignee</dt><dd>bob</dd>" in text
    assert "<dt>Requester</dt><dd>alice</dd>" in text
    assert 'datetime="2030-01-31T12:00:00+00:00"' in text
    assert '<span class="chip">Hardware</span>' in text
    assert '--label-colour: #aa0000">vip</span>' in text
    assert "<dt>Template</dt><dd>Laptop request</dd>" in text
    # The description escaped, its line breaks kept.
    assert "Line one<br>Line two &lt;b&gt;bold&lt;/b&gt;" in text
    # Custom fields by their schema titles (else the name), in the form's order (x-order, then by name).
    fields = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", text.split('class="facts custom-fields"')[1].split("</dl>")[0])
    assert fields == [("Serial", "X1"), ("Cost centre (finance)", "CC-42"), ("Approved budget", "Yes")]
    # The attachment with its link, size and uploader.
    attachment = cast.ticket.attachments.get()
    download = reverse("workspace:ticket-attachment-download", kwargs={"key": cast.ticket.key, "attachment_id": attachment.pk})
    assert f'href="{download}" download>specs.txt</a>' in text
    assert "10\xa0bytes" in text
    assert '<td data-label="Uploaded by">alice</td>' in text
    # The timeline in words, the comment with its text.
    assert "alice created the ticket <em>New laptop</em>" in text
    assert 'alice moved the ticket from Draft to Waiting for approval: <span class="said">Please hurry</span>' in text
    assert "<strong>alice</strong> commented" in text and ">Any news?</div>" in text
    assert "alice attached <em>specs.txt</em>" in text


def test_an_outsider_and_an_unknown_key_get_the_same_not_found_page(cast, page_for):
    client = page_for(cast.outsider)

    hidden = client.get(page_url(cast.ticket))
    unknown = client.get(page_url("TCK-999999"))

    assert (hidden.status_code, unknown.status_code) == (404, 404)
    assert "New laptop" not in body(hidden) and cast.ticket.key not in body(hidden)

    def without_tokens(response: Any) -> str:
        text = body(response).replace(cast.ticket.key, "KEY").replace("TCK-999999", "KEY")
        return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|nonce=")[^"]+', r"\1", text)

    assert without_tokens(hidden) == without_tokens(unknown)


def test_an_agent_does_not_see_a_restricted_ticket(cast, page_for):
    assert page_for(cast.agent).get(page_url(cast.ticket)).status_code == 404


def test_signed_out_people_are_sent_to_sign_in(cast, page_for):
    response = page_for(None).get(page_url(cast.ticket))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("workspace:login"))


def test_the_page_is_never_cached(cast, page_for):
    response = page_for(cast.creator).get(page_url(cast.ticket))

    assert "no-store" in response["Cache-Control"]


# --- the controls each person may use --------------------------------------------------------------------------------


def controls(text: str) -> dict[str, bool]:
    return {
        "transitions": 'class="transition"' in text,
        "assign_to_me": "Assign to me" in text,
        "details": 'class="details-form"' in text,
        "upload": 'class="attach-form"' in text,
    }


def test_the_creator_may_withdraw_and_edit_nothing_an_agent_edits(cast, page_for):
    text = body(page_for(cast.creator).get(page_url(cast.ticket)))

    assert re.findall(r'name="to_status" value="(\w+)"', text) == ["draft"]
    assert ">Withdraw</button>" in text
    assert controls(text) == {"transitions": True, "assign_to_me": False, "details": False, "upload": True}


def test_an_auditor_reads_and_may_only_comment_and_attach(cast, page_for):
    text = body(page_for(cast.auditor).get(page_url(cast.ticket)))

    assert controls(text) == {"transitions": False, "assign_to_me": False, "details": False, "upload": True}
    assert "comment-form" in text


def test_the_assignee_changes_the_details_but_does_not_assign_themself_again(cast, page_for):
    text = body(page_for(cast.assignee).get(page_url(cast.ticket)))

    assert controls(text) == {"transitions": False, "assign_to_me": False, "details": True, "upload": True}
    assert re.findall(r'name="fields" value="(\w+)"', text) == ["priority", "assignee", "due_at", "categories", "labels"]


def test_an_agent_on_an_open_ticket_starts_work_and_may_assign_it_to_themself(cast, page_for):
    ticket = TicketFactory(status=TicketStatus.OPEN)

    text = body(page_for(cast.agent).get(page_url(ticket)))

    assert re.findall(r'name="to_status" value="(\w+)"', text) == ["in_progress"]
    assert ">Start work</button>" in text
    assert controls(text) == {"transitions": True, "assign_to_me": True, "details": True, "upload": True}
    # The assignee select offers the agents by name.
    assert f'<option value="{cast.agent.pk}">carol</option>' in text


def test_a_draft_offers_its_creator_submit_and_cancel_and_the_categories_and_labels(cast, page_for):
    draft = TicketFactory(created_by=cast.creator)

    text = body(page_for(cast.creator).get(page_url(draft)))

    assert re.findall(r">(Submit|Cancel draft)</button>", text) == ["Submit", "Cancel draft"]
    assert re.findall(r'name="fields" value="(\w+)"', text) == ["categories", "labels"]
    assert "Edit request" in text


def test_a_closed_ticket_offers_nothing_but_comments(cast, page_for):
    closed = TicketFactory(created_by=cast.creator, status=TicketStatus.CLOSED)

    text = body(page_for(cast.creator).get(page_url(closed)))

    assert controls(text) == {"transitions": False, "assign_to_me": False, "details": False, "upload": False}
    assert "comment-form" in text


def test_only_the_author_sees_the_controls_of_a_comment(cast, page_for):
    comment = cast.ticket.notes.get(system=False)
    edit = reverse("workspace:ticket-comment-edit", kwargs={"key": cast.ticket.key, "note_id": comment.pk})

    assert edit in body(page_for(cast.creator).get(page_url(cast.ticket)))
    assert edit not in body(page_for(cast.auditor).get(page_url(cast.ticket)))


def test_only_the_uploader_sees_the_delete_of_an_attachment(cast, page_for):
    attachment = cast.ticket.attachments.get()
    delete = reverse("workspace:ticket-attachment-delete", kwargs={"key": cast.ticket.key, "attachment_id": attachment.pk})

    assert delete in body(page_for(cast.creator).get(page_url(cast.ticket)))
    assert delete not in body(page_for(cast.assignee).get(page_url(cast.ticket)))


# --- CSRF ------------------------------------------------------------------------------------------------------------


def test_every_form_of_the_page_carries_a_csrf_token(cast, page_for):
    text = body(page_for(cast.assignee).get(page_url(cast.ticket)))

    forms = re.findall(r'<form[^>]*method="post".*?</form>', text, flags=re.DOTALL)
    assert len(forms) >= 4  # sign out, attach, comment, details (and the panels' own)
    assert all('name="csrfmiddlewaretoken"' in form for form in forms)


@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("ticket-comment-add", {"note": "Hi"}),
        ("ticket-transition", {"to_status": "draft"}),
        ("ticket-attachment-upload", {"file": "upload"}),
    ],
)
def test_a_post_without_the_csrf_token_is_refused(cast, route, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.creator)
    data = {key: upload() if value == "upload" else value for key, value in data.items()}
    before = (cast.ticket.notes.count(), cast.ticket.attachments.count())

    response = client.post(reverse(f"workspace:{route}", kwargs={"key": cast.ticket.key}), data)

    assert response.status_code == 403
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == TicketStatus.WAITING_APPROVAL
    assert (cast.ticket.notes.count(), cast.ticket.attachments.count()) == before


def test_a_post_with_the_csrf_token_goes_through(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.creator)
    client.get(page_url(cast.ticket))
    token = client.cookies["csrftoken"].value

    url = reverse("workspace:ticket-attachment-upload", kwargs={"key": cast.ticket.key})
    response = client.post(url, {"file": upload("more.txt"), "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert cast.ticket.attachments.filter(file_name="more.txt").exists()


# --- query count -----------------------------------------------------------------------------------------------------


def grow(ticket: Ticket, creator: Any, times: int) -> None:
    """`times` more comments (each edited once), attachments and events (priority and label changes, by an agent)."""
    agent = person(f"agent-{ticket.pk}-{times}", perms=["tickets.work_on_ticket"])
    for index in range(times):
        comment = ticket_services.comment_create(ticket=ticket, actor=creator, note=f"Comment {index}")
        ticket_services.comment_update(comment=comment, actor=creator, note=f"Comment {index}, edited")
        attachment_services.attachment_create(actor=creator, upload=upload(f"file-{index}.txt"), ticket=ticket)
        priority = TicketPriority.LOW if index % 2 else TicketPriority.URGENT
        ticket_services.ticket_update(ticket=ticket, actor=agent, data={"priority": priority, "labels": [LabelFactory()]})


def queries_of(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("who", ["assignee", "creator"])
def test_the_page_runs_as_many_queries_for_ten_comments_events_and_files_as_for_one(cast, page_for, who):
    small = TicketFactory(created_by=cast.creator, assignee=cast.assignee, status=TicketStatus.OPEN)
    large = TicketFactory(created_by=cast.creator, assignee=cast.assignee, status=TicketStatus.OPEN)
    grow(small, cast.creator, 1)
    grow(large, cast.creator, 10)
    client = page_for(getattr(cast, who))
    client.get(page_url(small))  # the session's first read of the person

    assert queries_of(client, page_url(small)) == queries_of(client, page_url(large))


# The queries of the ticket page whoever reads it, whatever the ticket's length (tests below, at N and 10N):
SESSION = 2  # the session; the user with their permissions (ticketsite.backends)
TICKET = 3  # the ticket with its people and template; its categories; its labels
TIMELINE = 3  # the notes; the people they name; the files
HEADER = 2  # the header's counts: unread notifications, approvals waiting
APPROVALS = 4  # the processes; their steps; their slots with their people; the slots the reader may decide now (running)
ACCESS = 4  # the access requests (to the creator and assignee, who manage access); the approvers; their roles; the grants
DETAILS = 3  # the details form's choices (to those who may change them): assignees, categories, labels


@pytest.mark.parametrize(
    ("who", "queries"),
    [
        ("assignee", SESSION + TICKET + TIMELINE + HEADER + APPROVALS + ACCESS + DETAILS),
        ("creator", SESSION + TICKET + TIMELINE + HEADER + APPROVALS + ACCESS),  # no details to change while waiting
    ],
)
def test_the_page_reads_a_fixed_list_of_queries(cast, page_for, who, queries, django_assert_num_queries):
    client = page_for(getattr(cast, who))
    for times in (1, 9):  # N, then 10N comments (each edited), files and events
        grow(cast.ticket, cast.creator, times)
        with django_assert_num_queries(queries):
            client.get(page_url(cast.ticket))
