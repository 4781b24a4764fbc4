"""Tickets over HTTP: create with template defaults, who may edit what, soft delete, visibility, the list."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from approvals.models import ApprovalProcess, ProcessStatus
from approvals.tests.factories import template_with
from tests.factories import AdminFactory, UserFactory
from tickets.models import EventType, Ticket, TicketNote, TicketStatus
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


@pytest.fixture
def creator():
    return UserFactory(username="creator")


@pytest.fixture
def agent():
    return UserFactory(username="agent", perms=["tickets.work_on_ticket"])


@pytest.fixture
def ticket_admin():
    return UserFactory(username="ticketadmin", is_staff=True, perms=["tickets.change_ticket", "tickets.delete_ticket"])


def detail(ticket):
    return f"{URL}{ticket.pk}/"


# --- create --------------------------------------------------------------------------------------------------------


def test_create_minimal_ticket(creator, client_for):
    response = client_for(creator).post(URL, {"title": "Printer on fire", "description": "Third floor."})

    assert response.status_code == 201, response.json()
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert body["key"] == f"TCK-{ticket.pk}"
    assert body["status"] == "draft"
    assert body["priority"] == "medium"
    assert body["visibility"] == "internal"
    assert body["created_by"] == creator.pk
    assert body["allowed_transitions"] == ["open", "cancelled"]
    for field in ("template", "approval_template", "assignee", "due_at", "resolved_at", "closed_at", "updated_by"):
        assert field in body
    created = TicketNote.objects.get(ticket=ticket, event_type=EventType.CREATED)
    assert created.created_by == creator
    assert created.event_details["key"] == body["key"]


def test_create_applies_template_defaults(creator, client_for):
    category, label = CategoryFactory(), LabelFactory()
    flow = template_with(("all", [UserFactory()]))
    template = TicketTemplateFactory(
        default_title="New laptop",
        default_description="Model and reason:",
        default_priority="high",
        default_visibility="restricted",
        approval_template=flow,
        categories=[category],
        labels=[label],
    )

    response = client_for(creator).post(URL, {"template": template.pk})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["title"] == "New laptop"
    assert body["description"] == "Model and reason:"
    assert body["priority"] == "high"
    assert body["visibility"] == "restricted"
    assert body["template"] == template.pk
    assert body["approval_template"] == flow.pk
    assert body["categories"] == [category.pk]
    assert body["labels"] == [label.pk]
    assert body["allowed_transitions"] == ["waiting_approval", "cancelled"]


def test_values_given_at_create_override_template_defaults(creator, client_for):
    template = TicketTemplateFactory(default_title="Default", default_priority="high", categories=[CategoryFactory()])
    own_category = CategoryFactory()

    response = client_for(creator).post(
        URL, {"template": template.pk, "title": "Mine", "priority": "low", "categories": [own_category.pk]}
    )

    body = response.json()
    assert (body["title"], body["priority"], body["categories"]) == ("Mine", "low", [own_category.pk])


def test_create_without_title_and_without_template_default_is_refused(creator, client_for):
    response = client_for(creator).post(URL, {"description": "no title"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "title"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("field", ["status", "key", "created_by", "resolved_at", "id", "mystery"])
def test_read_only_and_unknown_fields_cannot_be_written(field, creator, client_for):
    response = client_for(creator).post(URL, {"title": "x", field: "closed"})

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == ("non_field_errors", "read_only")
    assert field in error["detail"]
    assert not Ticket.objects.exists()


def test_create_with_unknown_category_is_refused(creator, client_for):
    response = client_for(creator).post(URL, {"title": "x", "categories": [999999]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"].startswith("categories")


def test_create_with_deleted_label_is_refused(creator, client_for):
    label = LabelFactory()
    label.soft_delete(actor=None)

    response = client_for(creator).post(URL, {"title": "x", "labels": [label.pk]})

    assert response.status_code == 400


# --- who may edit what ---------------------------------------------------------------------------------------------

EDIT_CASES = [
    # (status, person, field, value, expected status code)
    ("draft", "creator", "title", "New title", 200),
    ("rejected", "creator", "description", "Revised", 200),
    ("draft", "creator", "categories", "CATEGORY", 200),
    ("open", "creator", "title", "Late change", 403),
    ("open", "creator", "visibility", "restricted", 200),
    ("in_progress", "creator", "visibility", "restricted", 200),
    ("draft", "creator", "priority", "urgent", 403),
    ("draft", "creator", "assignee", "AGENT", 403),
    ("open", "agent", "priority", "urgent", 200),
    ("open", "agent", "assignee", "AGENT", 200),
    ("open", "agent", "due_at", "DUE", 200),
    ("open", "agent", "labels", "LABEL", 200),
    ("open", "agent", "title", "Agent title", 403),
    ("open", "agent", "visibility", "restricted", 403),
    ("in_progress", "assignee", "priority", "low", 200),
    ("in_progress", "assignee", "description", "nope", 403),
    ("open", "bystander", "priority", "urgent", 403),
    ("open", "admin", "title", "Admin title", 200),
    ("in_progress", "admin", "custom_fields", {}, 200),
    ("waiting_approval", "admin", "description", "Admin text", 200),
    ("closed", "admin", "title", "Too late", 409),
    ("cancelled", "creator", "visibility", "restricted", 409),
]


@pytest.mark.parametrize(("status", "person", "field", "value", "expected"), EDIT_CASES)
def test_who_may_edit_what(status, person, field, value, expected, creator, agent, ticket_admin, client_for):
    assignee = UserFactory(username="assignee")
    users = {"creator": creator, "agent": agent, "admin": ticket_admin, "assignee": assignee, "bystander": UserFactory()}
    ticket = TicketFactory(status=status, created_by=creator, assignee=assignee, custom_fields={"x": 1})
    value = (
        {
            "CATEGORY": [CategoryFactory().pk],
            "LABEL": [LabelFactory().pk],
            "AGENT": agent.pk,
            "DUE": (timezone.now() + timedelta(days=3)).isoformat(),
        }.get(value, value)
        if isinstance(value, str)
        else value
    )

    response = client_for(users[person]).patch(detail(ticket), {field: value})

    assert response.status_code == expected, response.json()
    events = TicketNote.objects.filter(ticket=ticket, system=True)
    if expected == 200:
        assert events.count() == 1
        assert events.get().created_by == users[person]
    else:
        error = response.json()["errors"][0]
        assert field in error["detail"] or expected == 409
        assert not events.exists()


def test_unchanged_values_need_no_permission_and_record_nothing(creator, client_for):
    ticket = TicketFactory(status=TicketStatus.OPEN, created_by=creator, priority="medium")

    response = client_for(creator).patch(detail(ticket), {"priority": "medium", "visibility": "internal"})

    assert response.status_code == 200
    assert not TicketNote.objects.filter(ticket=ticket).exists()


def test_inactive_assignee_is_refused(agent, client_for):
    ticket = TicketFactory(status=TicketStatus.OPEN)
    gone = UserFactory(is_active=False)

    response = client_for(agent).patch(detail(ticket), {"assignee": gone.pk})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "assignee"


# --- delete --------------------------------------------------------------------------------------------------------


def test_creator_deletes_own_draft_softly(creator, client_for):
    ticket = TicketFactory(created_by=creator)
    client = client_for(creator)

    response = client.delete(detail(ticket))

    assert response.status_code == 204
    row = Ticket.all_objects.get(pk=ticket.pk)
    assert row.is_deleted and row.deleted_by == creator and row.deleted_at is not None
    assert client.get(detail(ticket)).status_code == 404
    assert client.get(URL).json()["count"] == 0


def test_creator_cannot_delete_a_submitted_ticket(creator, client_for):
    ticket = TicketFactory(created_by=creator, status=TicketStatus.OPEN)

    response = client_for(creator).delete(detail(ticket))

    assert response.status_code == 409
    assert not Ticket.all_objects.get(pk=ticket.pk).is_deleted


@pytest.mark.parametrize("person", ["agent", "bystander"])
def test_others_cannot_delete(person, agent, client_for):
    ticket = TicketFactory()
    user = agent if person == "agent" else UserFactory()

    response = client_for(user).delete(detail(ticket))

    assert response.status_code == 403
    assert not Ticket.all_objects.get(pk=ticket.pk).is_deleted


def test_staff_without_delete_permission_cannot_delete(client_for):
    staff = UserFactory(is_staff=True, perms=["tickets.change_ticket"])
    ticket = TicketFactory(status=TicketStatus.OPEN)

    assert client_for(staff).delete(detail(ticket)).status_code == 403


def test_admin_deletes_any_time_and_a_running_approval_is_cancelled(creator, ticket_admin, client_for):
    ticket = TicketFactory(created_by=creator, approval_template=template_with(("all", [UserFactory()])))
    assert client_for(creator).post(f"{detail(ticket)}transition/", {"status": "waiting_approval"}).status_code == 200

    response = client_for(ticket_admin).delete(detail(ticket))

    assert response.status_code == 204
    assert Ticket.all_objects.get(pk=ticket.pk).is_deleted
    assert ApprovalProcess.objects.get(ticket=ticket).status == ProcessStatus.CANCELLED


# --- visibility ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"priority": "high"}),
        ("delete", "", None),
        ("post", "transition/", {"status": "open"}),
        ("get", "timeline/", None),
        ("get", "comments/", None),
        ("post", "comments/", {"note": "hello"}),
    ],
)
def test_restricted_ticket_does_not_exist_for_others(method, suffix, body, agent, client_for):
    ticket = TicketFactory(visibility="restricted")

    response = getattr(client_for(agent), method)(f"{detail(ticket)}{suffix}", body)

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    assert not TicketNote.objects.filter(ticket=ticket).exists()


def test_restricted_ticket_is_visible_to_creator_and_assignee(creator, client_for):
    assignee = UserFactory()
    ticket = TicketFactory(visibility="restricted", created_by=creator, assignee=assignee)

    assert client_for(creator).get(detail(ticket)).status_code == 200
    assert client_for(assignee).get(detail(ticket)).status_code == 200
    assert client_for(UserFactory()).get(URL).json()["count"] == 0


# --- list ----------------------------------------------------------------------------------------------------------


def listing(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()


def keys(body):
    return [row["key"] for row in body["results"]]


def test_list_is_paginated_with_count(creator, client_for):
    TicketFactory.create_batch(7, created_by=creator)

    body = listing(client_for(creator), page_size=3, page=2)

    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert body["next"] and body["previous"]


def test_list_filters(creator, agent, client_for):
    category, label = CategoryFactory(), LabelFactory()
    template = TicketTemplateFactory()
    other = UserFactory()
    a = TicketFactory(created_by=creator, status="open", priority="high", categories=[category], template=template)
    b = TicketFactory(created_by=other, assignee=creator, status="draft", priority="low", labels=[label])
    c = TicketFactory(created_by=other, status="resolved", visibility="restricted", assignee=agent)
    client = client_for(agent)

    assert keys(listing(client, status="open")) == [a.key]
    assert sorted(keys(listing(client, status=["open", "draft"]))) == sorted([a.key, b.key])
    assert keys(listing(client, priority="low")) == [b.key]
    assert keys(listing(client, visibility="restricted")) == [c.key]
    assert keys(listing(client, assignee=creator.pk)) == [b.key]
    assert keys(listing(client, creator=creator.pk)) == [a.key]
    assert keys(listing(client, category=category.pk)) == [a.key]
    assert keys(listing(client, label=label.pk)) == [b.key]
    assert keys(listing(client, template=template.pk)) == [a.key]
    assert keys(listing(client_for(creator), mine="true", ordering="id")) == [a.key, b.key]
    assert keys(listing(client, mine="true")) == [c.key]


def test_list_time_ranges(creator, client_for):
    old = TicketFactory(created_by=creator, created_at=timezone.now() - timedelta(days=10))
    old.updated_at = timezone.now() - timedelta(days=9)
    old.save(update_fields=["updated_at"])
    new = TicketFactory(created_by=creator)
    cut = (timezone.now() - timedelta(days=5)).isoformat()
    client = client_for(creator)

    assert keys(listing(client, created_after=cut)) == [new.key]
    assert keys(listing(client, created_before=cut)) == [old.key]
    assert keys(listing(client, updated_before=cut)) == [old.key]
    assert keys(listing(client, updated_after=cut)) == [new.key]


def test_list_search_over_key_title_and_description(creator, client_for):
    a = TicketFactory(created_by=creator, title="VPN is down")
    b = TicketFactory(created_by=creator, description="The vpn client crashes")
    TicketFactory(created_by=creator, title="Coffee machine")
    client = client_for(creator)

    assert sorted(keys(listing(client, search="vpn"))) == sorted([a.key, b.key])
    assert keys(listing(client, search=a.key)) == [a.key]


def test_list_search_does_not_reveal_hidden_tickets(creator, client_for):
    TicketFactory(title="Secret merger", visibility="restricted")

    assert listing(client_for(creator), search="merger")["count"] == 0


def test_list_ordering(creator, client_for):
    low = TicketFactory(created_by=creator, priority="low")
    urgent = TicketFactory(created_by=creator, priority="urgent")
    medium = TicketFactory(created_by=creator, priority="medium")
    client = client_for(creator)

    assert keys(listing(client, ordering="priority")) == [low.key, medium.key, urgent.key]
    assert keys(listing(client, ordering="-priority")) == [urgent.key, medium.key, low.key]
    assert keys(listing(client, ordering="key")) == [low.key, urgent.key, medium.key]
    assert keys(listing(client)) == [medium.key, urgent.key, low.key]  # newest first by default


def test_list_ordering_outside_the_allow_list_is_ignored(creator, client_for):
    TicketFactory.create_batch(2, created_by=creator)

    assert listing(client_for(creator), ordering="created_by__password")["count"] == 2


def test_list_query_count_is_constant(creator, agent, client_for, django_assert_num_queries):
    """5 and 50 tickets cost the same number of queries (categories, labels and transitions read in batches)."""
    category, label = CategoryFactory(), LabelFactory()

    def make(n):
        for _ in range(n):
            TicketFactory(created_by=creator, assignee=agent, categories=[category], labels=[label], status="open")

    def fresh_client():
        # A fresh user object per request, as authentication gives: its permissions are not cached yet.
        return client_for(User.objects.get(pk=agent.pk))

    make(5)
    client = fresh_client()
    # the caller's permissions (own and roles', once for all rows), count, page (each row with its category and label
    # ids)
    with django_assert_num_queries(3):
        assert len(listing(client, page_size=100)["results"]) == 5
    make(45)
    client = fresh_client()
    with django_assert_num_queries(3):
        body = listing(client, page_size=100)
    assert len(body["results"]) == 50
    assert body["results"][0]["allowed_transitions"] == ["in_progress"]


def test_superuser_list_needs_no_permission_queries(client_for, django_assert_max_num_queries):
    admin = AdminFactory()
    TicketFactory.create_batch(5)

    with django_assert_max_num_queries(4):
        listing(client_for(admin))


@pytest.mark.parametrize("value", [{}, "12", 3])
def test_id_lists_must_be_lists(value, creator, client_for):
    response = client_for(creator).post(URL, {"title": "x", "labels": value})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "labels"
    assert not Ticket.objects.exists()
