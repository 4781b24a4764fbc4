"""The timeline in words (tickets.timeline_words): every event type, produced for real by the services, reads as a
sentence; user-supplied words are escaped in the HTML and left alone in the text; odd detail shapes never crash; the
names of a batch cost a bounded number of queries."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals import services as approval_services
from approvals.models import ApprovalProcessStepApprover
from approvals.tests.factories import DelegationFactory, template_with
from permissions import services as permission_services
from sla.services.clocks import sla_tick
from sla.tests.factories import BusinessCalendarFactory, SlaPolicyFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import EventType, Ticket, TicketNote, TicketStatus, TicketVisibility
from tickets.services import attachments as attachment_services
from tickets.services import tickets as ticket_services
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketTemplateFactory
from tickets.timeline_words import EVENT_FALLBACK, Names, describe, describe_all, names_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def person(username: str, **kwargs: Any) -> Any:
    """People named by their username (no full name), as in the sentences below."""
    return UserFactory(username=username, first_name="", last_name="", **kwargs)


class Story:
    """alice files a ticket; carol is an agent; erin and frank approve; dave is frank's proxy; grace manages grants."""

    def __init__(self) -> None:
        self.alice, self.carol = person("alice"), person("carol", perms=["tickets.work_on_ticket"])
        self.erin, self.frank, self.dave = person("erin"), person("frank"), person("dave")
        self.grace = person("grace", perms=["permissions.manage_ticket_permissions", "tickets.view_all_tickets"])
        self.ticket = ticket_services.ticket_create(actor=self.alice, title="New laptop")

    def approval(self, *steps: tuple[str, list]) -> Ticket:
        flow = template_with(*steps)
        flow.name = "Purchase"
        flow.save()
        self.ticket.approval_template = flow
        self.ticket.save(update_fields=["approval_template"])
        ticket_services.ticket_transition(ticket=self.ticket, actor=self.alice, to_status=TicketStatus.WAITING_APPROVAL)
        return self.ticket

    def slot(self, user: Any) -> ApprovalProcessStepApprover:
        return ApprovalProcessStepApprover.objects.get(ticket=self.ticket, user=user, status="pending")

    def restricted(self) -> Ticket:
        ticket_services.ticket_update(ticket=self.ticket, actor=self.alice, data={"visibility": TicketVisibility.RESTRICTED})
        return self.ticket


def approve_for_frank(story: Story) -> None:
    story.approval(("all", [story.frank]))
    DelegationFactory(delegator=story.frank, delegate=story.dave)
    approval_services.approval_decide(slot=story.slot(story.frank), actor=story.dave, approve=True, comment="Fine by me")


def step_two(story: Story) -> None:
    finance = RoleFactory(name="Finance")
    person("fiona", roles=[finance])
    story.approval(("all", [story.erin]), ("any", [story.frank, finance]))
    approval_services.approval_decide(slot=story.slot(story.erin), actor=story.erin, approve=True)


def uploaded(story: Story) -> Any:
    upload = SimpleUploadedFile("specs.txt", b"16 GB RAM\n", content_type="text/plain")
    return attachment_services.attachment_create(actor=story.alice, upload=upload, ticket=story.ticket)


def commented(story: Story, text: str = "Frist") -> TicketNote:
    return ticket_services.comment_create(ticket=story.ticket, actor=story.alice, note=text)


def access_request(story: Story) -> Any:
    story.restricted()
    return permission_services.access_request_create(ticket=story.ticket, requester=story.frank, reason="I pay for it")


def classified(story: Story, field: str, model_factory: Callable[..., Any], name: str, *, remove: bool) -> None:
    item = model_factory(name=name)
    ticket_services.ticket_update(ticket=story.ticket, actor=story.alice, data={field: [item]})
    if remove:
        ticket_services.ticket_update(ticket=story.ticket, actor=story.alice, data={field: []})


def under_service_level(story: Story, *, tick_at: int | None = None, urgent: bool = False) -> None:
    """alice submits on Monday 09:00 UTC under "Standard" (an hour, 09:00-18:00); the tick runs at minute `tick_at`;
    carol makes it urgent ("Urgent": half an hour)."""
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=monday):
        calendar = BusinessCalendarFactory(time_zone="UTC", is_default=True)
        SlaPolicyFactory(name="Urgent", order=1, priorities=["urgent"], calendar=calendar, resolution_minutes=30)
        SlaPolicyFactory(name="Standard", order=2, calendar=calendar, first_response_minutes=None, resolution_minutes=60)
        ticket_services.ticket_transition(ticket=story.ticket, actor=story.alice, to_status=TicketStatus.OPEN)
        if urgent:
            ticket_services.ticket_update(ticket=story.ticket, actor=story.carol, data={"priority": "urgent"})
    if tick_at is not None:
        sla_tick(now=monday + timedelta(minutes=tick_at))


# event type -> (what produces it, through the services, and the sentence of its latest event)
PRODUCERS: dict[str, tuple[Callable[[Story], Any], str]] = {
    EventType.CREATED: (lambda story: None, 'alice created the ticket "New laptop"'),
    EventType.STATUS_CHANGE: (
        lambda story: story.approval(("all", [story.erin])),
        "alice moved the ticket from Draft to Waiting for approval",
    ),
    EventType.ASSIGNEE_CHANGE: (
        lambda story: ticket_services.ticket_update(ticket=story.ticket, actor=story.carol, data={"assignee": story.dave}),
        "carol assigned the ticket to dave",
    ),
    EventType.PRIORITY_CHANGE: (
        lambda story: ticket_services.ticket_update(ticket=story.ticket, actor=story.carol, data={"priority": "low"}),
        "carol changed priority from Medium to Low",
    ),
    EventType.VISIBILITY_CHANGE: (Story.restricted, "alice changed visibility from Internal to Restricted"),
    EventType.FIELD_CHANGE: (
        lambda story: ticket_services.ticket_update(ticket=story.ticket, actor=story.alice, data={"title": "Laptop"}),
        'alice renamed the ticket from "New laptop" to "Laptop"',
    ),
    EventType.CATEGORY_ADD: (
        lambda story: classified(story, "categories", CategoryFactory, "Hardware", remove=False),
        'alice added category "Hardware"',
    ),
    EventType.CATEGORY_REMOVE: (
        lambda story: classified(story, "categories", CategoryFactory, "Hardware", remove=True),
        'alice removed category "Hardware"',
    ),
    EventType.LABEL_ADD: (
        lambda story: classified(story, "labels", LabelFactory, "vip", remove=False),
        'alice added label "vip"',
    ),
    EventType.LABEL_REMOVE: (
        lambda story: classified(story, "labels", LabelFactory, "vip", remove=True),
        'alice removed label "vip"',
    ),
    EventType.ATTACHMENT_ADD: (uploaded, 'alice attached "specs.txt"'),
    EventType.ATTACHMENT_REMOVE: (
        lambda story: attachment_services.attachment_delete(actor=story.alice, attachment=uploaded(story)),
        'alice removed the attachment "specs.txt"',
    ),
    EventType.APPROVAL_STARTED: (lambda story: story.approval(("all", [story.erin])), 'Approval "Purchase" started'),
    EventType.APPROVAL_STEP_STARTED: (step_two, 'Step 2 "Step 2" started: waiting for one of frank and role "Finance"'),
    EventType.APPROVAL_GIVEN: (approve_for_frank, 'dave approved "Step 1" for frank: Fine by me'),
    EventType.APPROVAL_REJECTED: (
        lambda story: (
            story.approval(("all", [story.erin])),
            approval_services.approval_decide(slot=story.slot(story.erin), actor=story.erin, approve=False, comment="No"),
        ),
        'erin rejected "Step 1": No',
    ),
    EventType.APPROVAL_COMPLETED: (approve_for_frank, 'Approval "Purchase" completed'),
    EventType.APPROVAL_CANCELLED: (
        lambda story: (
            story.approval(("all", [story.erin])),
            ticket_services.ticket_transition(ticket=story.ticket, actor=story.alice, to_status=TicketStatus.DRAFT),
        ),
        'Approval "Purchase" cancelled: the ticket was withdrawn',
    ),
    EventType.PERMISSION_GRANTED: (
        lambda story: permission_services.grant_create(ticket=story.ticket, actor=story.alice, role=RoleFactory(name="HR")),
        'alice gave role "HR" access',
    ),
    EventType.PERMISSION_REVOKED: (
        lambda story: permission_services.grant_revoke(
            grant=permission_services.grant_create(ticket=story.ticket, actor=story.alice, user=story.erin), actor=story.alice
        ),
        "alice took away the access of erin",
    ),
    EventType.ACCESS_REQUESTED: (access_request, "frank asked for access: I pay for it"),
    EventType.ACCESS_GRANTED: (
        lambda story: permission_services.access_request_approve(
            access_request=access_request(story), actor=story.grace, comment="Welcome"
        ),
        "grace granted the access request of frank: Welcome",
    ),
    EventType.ACCESS_DENIED: (
        lambda story: permission_services.access_request_deny(
            access_request=access_request(story), actor=story.grace, comment="No"
        ),
        "grace denied the access request of frank: No",
    ),
    EventType.COMMENT_EDITED: (
        lambda story: ticket_services.comment_update(comment=commented(story), actor=story.alice, note="First"),
        "alice edited a comment: First",
    ),
    EventType.COMMENT_DELETED: (
        lambda story: ticket_services.comment_delete(comment=commented(story), actor=story.alice),
        "alice deleted a comment",
    ),
    EventType.COMMENT_REDACTED: (
        lambda story: ticket_services.comment_redact(comment=commented(story), actor=story.alice, reason="A password"),
        "alice redacted a comment: A password",
    ),
    EventType.SLA_POLICY_CHANGE: (
        lambda story: under_service_level(story, urgent=True),
        'Service level changed from "Standard" to "Urgent": first response due 2026-12-07 10:00 and resolution due '
        "2026-12-07 09:30",
    ),
    EventType.SLA_WARNING: (
        lambda story: under_service_level(story, tick_at=48),
        'The resolution target of service level "Standard" is nearly used up (due 2026-12-07 10:00)',
    ),
    EventType.SLA_BREACHED: (
        lambda story: under_service_level(story, tick_at=61),
        'The resolution target of service level "Standard" was breached (due 2026-12-07 10:00)',
    ),
}


@pytest.mark.parametrize("event_type", list(EventType))
def test_every_event_type_reads_as_a_sentence(event_type):
    """A new event type fails here until it has a producer and a sentence."""
    produce, expected = PRODUCERS[event_type]
    story = Story()

    produce(story)

    notes = list(TicketNote.objects.filter(ticket=story.ticket).order_by("created_at", "id"))
    latest = [note for note in notes if note.event_type == event_type][-1]
    sentence = describe(latest, names_for(notes))
    assert sentence.text == expected
    assert EVENT_FALLBACK not in sentence.text


def test_the_html_emphasises_objects_and_names_people_plainly():
    story = Story()
    approve_for_frank(story)
    notes = list(TicketNote.objects.filter(ticket=story.ticket, event_type=EventType.APPROVAL_GIVEN))

    [sentence] = describe_all(notes)

    assert sentence.html == 'dave approved <em>Step 1</em> for frank: <span class="said">Fine by me</span>'


def test_decisions_and_comments_that_came_by_e_mail_say_so():
    story = Story()
    story.approval(("all", [story.frank]), ("all", [story.erin]))
    DelegationFactory(delegator=story.frank, delegate=story.dave)
    approval_services.approval_decide(slot=story.slot(story.frank), actor=story.dave, approve=True, via="email")
    approval_services.approval_decide(
        slot=story.slot(story.erin), actor=story.erin, approve=False, comment="Too dear", via="email"
    )
    reply = ticket_services.comment_create(ticket=story.ticket, actor=story.alice, note="Why?", via="email")
    notes = list(TicketNote.objects.filter(ticket=story.ticket))
    names = names_for(notes)

    decisions = [note for note in notes if note.event_type in (EventType.APPROVAL_GIVEN, EventType.APPROVAL_REJECTED)]
    assert [describe(note, names).text for note in decisions] == [
        'dave approved "Step 1" for frank by e-mail',
        'erin rejected "Step 2" by e-mail: Too dear',
    ]
    assert describe(reply, names).text == "alice commented by e-mail: Why?"
    by_mail = ticket_services.ticket_create(actor=story.alice, title="Printer jam", via="email")
    [created] = TicketNote.objects.filter(ticket=by_mail, event_type=EventType.CREATED)
    assert describe(created, names_for([created])).text == 'alice created the ticket "Printer jam" by e-mail'
    assert reply.event_details == {"via": "email"}
    assert "via" not in commented(story).event_details  # the web and the API leave no channel


def test_a_step_of_one_approver_and_an_assignee_who_takes_the_ticket():
    story = Story()
    ticket_services.ticket_update(ticket=story.ticket, actor=story.carol, data={"assignee": story.carol})
    story.approval(("all", [story.erin]))

    texts = [sentence.text for sentence in describe_all(TicketNote.objects.filter(ticket=story.ticket))]

    assert texts[1:] == [
        "carol took the ticket",
        "alice moved the ticket from Draft to Waiting for approval",
        'Approval "Purchase" started',
        'Step 1 "Step 1" started: waiting for erin',
    ]


def test_field_changes_of_every_kind():
    story = Story()
    template = TicketTemplateFactory(custom_fields_schema={"type": "object", "properties": {"cost_centre": {"type": "string"}}})
    story.ticket.template = template
    story.ticket.save(update_fields=["template"])
    due = datetime(2030, 1, 31, 12, tzinfo=UTC)
    update = ticket_services.ticket_update
    update(ticket=story.ticket, actor=story.alice, data={"description": "More", "custom_fields": {"cost_centre": "42"}})
    update(ticket=story.ticket, actor=story.carol, data={"due_at": due, "priority": "urgent"})
    update(ticket=story.ticket, actor=story.carol, data={"due_at": due + timedelta(days=1)})
    update(ticket=story.ticket, actor=story.carol, data={"due_at": None, "assignee": story.dave})
    update(ticket=story.ticket, actor=story.carol, data={"assignee": story.erin})
    update(ticket=story.ticket, actor=story.carol, data={"assignee": None})

    texts = [sentence.text for sentence in describe_all(TicketNote.objects.filter(ticket=story.ticket))]

    assert texts[1:] == [
        "alice edited the description",
        'alice changed the custom fields "Cost centre"',
        "carol changed priority from Medium to Urgent",
        "carol set the due date to 2030-01-31 12:00",  # TIME_ZONE is UTC
        "carol changed the due date from 2030-01-31 12:00 to 2030-02-01 12:00",
        "carol removed the due date",
        "carol assigned the ticket to dave",
        "carol reassigned the ticket from dave to erin",
        "carol unassigned erin",
    ]


def test_comments_read_with_their_text_edits_deletion_and_redaction():
    story = Story()
    edited = ticket_services.comment_update(comment=commented(story, "Frist"), actor=story.alice, note="First")
    deleted = commented(story, "Oops")
    ticket_services.comment_delete(comment=deleted, actor=story.alice)
    redacted = ticket_services.comment_redact(comment=commented(story, "hunter2"), actor=story.alice)
    notes = list(TicketNote.all_objects.filter(ticket=story.ticket))
    names = names_for(notes)

    assert describe(edited, names).text == "alice commented (edited): First"
    assert [note.event_details["new"] for note in names.edits[edited.pk]] == ["First"]
    assert describe(TicketNote.all_objects.get(pk=deleted.pk), names).text == "alice: comment deleted"
    assert describe(redacted, names).text == f"alice commented: {redacted.note}"
    assert redacted.note.startswith("Redacted by alice at ")


def test_user_supplied_words_are_escaped_in_html_and_left_alone_in_text():
    story = Story()
    ticket_services.ticket_update(ticket=story.ticket, actor=story.alice, data={"title": "<script>alert(1)</script> & co"})
    commented(story, 'Look: <script>alert("x")</script> & "quotes"')
    notes = list(TicketNote.objects.filter(ticket=story.ticket))

    sentences = describe_all(notes)

    assert sentences[1].text == 'alice renamed the ticket from "New laptop" to "<script>alert(1)</script> & co"'
    assert sentences[1].html == (
        "alice renamed the ticket from <em>New laptop</em> to <em>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</em>"
    )
    assert sentences[2].text == 'alice commented: Look: <script>alert("x")</script> & "quotes"'
    assert "<script>" not in sentences[2].html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in sentences[2].html
    for sentence in sentences:
        assert "&lt;" not in sentence.text and "&amp;" not in sentence.text and "&quot;" not in sentence.text


def test_people_with_markup_in_their_names_are_escaped():
    story = Story()
    story.alice.first_name, story.alice.last_name = "<b>Al", "& Co</b>"
    story.alice.save()

    [sentence] = describe_all(TicketNote.objects.filter(ticket=story.ticket))

    assert sentence.text.startswith("<b>Al & Co</b> created")
    assert sentence.html.startswith("&lt;b&gt;Al &amp; Co&lt;/b&gt; created")


LEGACY_DETAILS = [None, [], "text", {}, {"old": [1], "new": {"x": 1}, "field": 7}, {"approvers": "x", "step_order": "1"}]


@pytest.mark.parametrize("details", LEGACY_DETAILS, ids=repr)
@pytest.mark.parametrize("event_type", [*EventType, "a_future_event"])
def test_unknown_detail_shapes_and_event_types_never_crash(event_type, details):
    note = TicketNote(system=True, event_type=event_type, event_details=details, created_by_id=None)

    sentence = describe(note, names_for([note]))

    assert sentence.text
    assert str(sentence.html)


def test_an_unknown_event_type_reads_as_a_change():
    note = TicketNote(system=True, event_type="a_future_event", event_details={})

    assert describe(note, Names()).text == f"The system {EVENT_FALLBACK} (a future event)"


def test_deleted_people_categories_and_unknown_ids_still_read():
    story = Story()
    classified(story, "labels", LabelFactory, "vip", remove=False)
    note = TicketNote.objects.get(ticket=story.ticket, event_type=EventType.LABEL_ADD)
    note.event_details = {"label": note.event_details["label"]}  # an old row, written before names were kept
    other = TicketNote(system=True, event_type=EventType.ASSIGNEE_CHANGE, event_details={"old": None, "new": 987654})

    assert [sentence.text for sentence in describe_all([note, other])] == [
        'alice added label "vip"',
        "The system assigned the ticket to someone",
    ]


def test_the_names_of_a_batch_cost_at_most_four_queries(django_assert_num_queries):
    story = Story()
    classified(story, "labels", LabelFactory, "vip", remove=True)
    classified(story, "categories", CategoryFactory, "Hardware", remove=True)
    step_two(story)
    permission_services.grant_create(ticket=story.ticket, actor=story.alice, role=RoleFactory())
    for _ in range(5):
        commented(story)
    notes = list(TicketNote.objects.filter(ticket=story.ticket))
    for note in notes:  # old rows without names: the categories and labels are looked up too
        note.event_details.pop("name", None)

    with django_assert_num_queries(4):
        sentences = describe_all(notes)

    assert len(sentences) == len(notes)
    with django_assert_num_queries(0):
        describe_all([])
