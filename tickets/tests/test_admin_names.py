"""The back office names things as people do: rows by ticket key (and title where the row is the ticket's process),
people by username, roles as roles; model names read right in the plural ("Approval processes")."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory, template_with
from notifications.models import NotificationEvent
from notifications.tests.factories import NotificationFactory
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import Attachment, TicketNote, TicketStatus
from tickets.services import tickets as ticket_services
from tickets.tests.factories import AttachmentFactory, CommentFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def ticket():
    return TicketFactory(key="TCK-15", title="Laptop for Ann", created_by=UserFactory(username="ann"))


def test_rows_hanging_off_a_ticket_are_named_by_its_key(ticket):
    carol, erin, frank, dave = (UserFactory(username=name) for name in ("carol", "erin", "frank", "dave"))
    role = RoleFactory(name="managers")
    slot = ApprovalSlotFactory(step__process__ticket=ticket, step__process__name="Manager sign-off", step__order=1, user=erin)
    ticket_services.ticket_transition(ticket=ticket, actor=ticket.created_by, to_status=TicketStatus.OPEN)

    assert str(slot.process) == "TCK-15 Laptop for Ann — approval (Manager sign-off)"
    assert str(slot.step) == f"TCK-15 step 1 {slot.step.name}"
    assert str(slot) == f"TCK-15 step 1 {slot.step.name}: erin"
    assert str(ApprovalSlotFactory(step=slot.step, role=role)) == f"TCK-15 step 1 {slot.step.name}: managers (role)"
    assert str(GrantFactory(ticket=ticket, user=erin)) == "TCK-15 → erin"
    assert str(GrantFactory(ticket=ticket, role=role)) == "TCK-15 → managers (role)"
    assert str(AccessRequestFactory(ticket=ticket, requester=frank)) == "TCK-15 access request by frank (pending)"
    assert str(CommentFactory(ticket=ticket, created_by=carol)) == "comment by carol on TCK-15"
    assert str(TicketNote.objects.get(ticket=ticket, system=True)) == "status change by ann on TCK-15"
    assert str(AttachmentFactory(ticket=ticket, file_name="spec.pdf")) == "spec.pdf on TCK-15"
    notification = NotificationFactory(ticket=ticket, recipient=erin, event_type=NotificationEvent.APPROVAL_REQUESTED)
    assert str(notification) == "Approval requested for erin on TCK-15"
    assert str(DelegationFactory(delegator=frank, delegate=dave)) == "frank → dave"


def test_template_steps_and_their_approvers_are_named_by_template(ticket):
    template = template_with(("all", [UserFactory(username="erin"), RoleFactory(name="managers")]))
    step = template.steps.get()

    assert str(step) == f"{template.name} step 1 Step 1"
    assert sorted(str(approver) for approver in step.approvers.all()) == [
        f"{template.name} step 1 Step 1: erin",
        f"{template.name} step 1 Step 1: managers (role)",
    ]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/admin/tickets/ticketnote/", "comment by carol on TCK-15"),
        ("/admin/permissions/ticketviewpermission/", "TCK-15 → erin"),
        ("/admin/permissions/accessrequest/", "TCK-15 access request by frank (pending)"),
        ("/admin/notifications/notification/", "Comment added for erin on TCK-15"),
        ("/admin/approvals/approvalprocess/", "TCK-15 Laptop for Ann — approval (Manager sign-off)"),
    ],
)
def test_lists_and_change_pages_show_the_names(admin_client, ticket, url, name):
    carol, erin, frank = (UserFactory(username=username) for username in ("carol", "erin", "frank"))
    rows = [
        CommentFactory(ticket=ticket, created_by=carol),
        GrantFactory(ticket=ticket, user=erin),
        AccessRequestFactory(ticket=ticket, requester=frank),
        NotificationFactory(ticket=ticket, recipient=erin, event_type=NotificationEvent.COMMENT_ADDED),
        ApprovalSlotFactory(step__process__ticket=ticket, step__process__name="Manager sign-off").process,
    ]
    [row] = [row for row in rows if str(row) == name]

    listed = admin_client.get(url)
    page = admin_client.get(f"{url}{row.pk}/change/")

    assert name in listed.text
    assert page.status_code == 200
    assert f"<h2>{name}</h2>" in page.text
    assert f"<title>{name} |" in page.text


def test_an_attachment_page_is_named_by_file_and_ticket(admin_client, ticket):
    attachment = AttachmentFactory(ticket=ticket, file_name="spec.pdf")

    page = admin_client.get(f"/admin/tickets/attachment/{attachment.pk}/change/")

    assert "<h2>spec.pdf on TCK-15</h2>" in page.text
    assert Attachment.objects.count() == 1


def test_roles_are_called_roles_in_the_admin(admin_client):
    role = RoleFactory(name="managers")
    user = UserFactory(roles=[role])

    index = admin_client.get("/admin/")
    roles = admin_client.get("/admin/auth/group/")
    user_page = admin_client.get(f"/admin/auth/user/{user.pk}/change/")
    users = admin_client.get("/admin/auth/user/")

    assert ">Roles<" in index.text and ">Groups<" not in index.text
    assert "Select role to change" in roles.text
    assert [(row.name, row.member_count) for row in roles.context["cl"].result_list] == [("managers", 1)]
    assert user_page.context["adminform"].form.fields["groups"].label == "Roles"
    assert 'data-field-name="roles"' in user_page.text  # the picker's JavaScript titles its boxes "Available roles"
    assert "By roles" in users.text
    assert Group._meta.verbose_name_plural == "roles"


def test_deleting_a_role_counts_what_blocks_it_without_naming_tickets(admin_client, ticket):
    role = RoleFactory(name="managers")
    GrantFactory(ticket=ticket, role=role)
    ApprovalSlotFactory(step__process__ticket=ticket, role=role)

    response = admin_client.get(f"/admin/auth/group/{role.pk}/delete/")

    assert response.status_code == 200
    assert "TCK-15" not in response.text
    assert response.context["protected"] == ["1 approval slots", "1 view grants"]


def test_a_role_without_rows_is_deleted_with_its_memberships(admin_client):
    role = RoleFactory(name="temps")
    UserFactory(roles=[role])

    response = admin_client.post(f"/admin/auth/group/{role.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Group.objects.filter(name="temps").exists()
