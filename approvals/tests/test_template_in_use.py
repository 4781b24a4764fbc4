"""An approval template still named by a ticket template or an unsubmitted ticket cannot be deleted: such a ticket could
never start its approval (its creator cannot change the approval template). Running processes keep their snapshot."""

import pytest

from approvals.models import ApprovalTemplate
from approvals.tests.factories import template_with
from tests.factories import UserFactory
from tickets.models import TicketStatus, TicketVisibility
from tickets.tests.factories import TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/approval-templates/"


@pytest.fixture
def editor():
    return UserFactory(perms=["approvals.delete_approvaltemplate", "approvals.view_approvaltemplate"])


@pytest.fixture
def flow():
    return template_with(("all", [UserFactory()]))


@pytest.mark.parametrize("status", [TicketStatus.DRAFT, TicketStatus.REJECTED])
def test_an_unsubmitted_ticket_keeps_its_approval_template(client_for, editor, flow, status):
    TicketFactory(approval_template=flow, status=status, visibility=TicketVisibility.RESTRICTED, title="Secret merger")

    response = client_for(editor).delete(f"{URL}{flow.pk}/")

    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "in_use"
    assert "1 unsubmitted ticket" in error["detail"]
    assert "Secret merger" not in response.content.decode()  # counts only: the caller may not see the ticket
    assert not ApprovalTemplate.all_objects.get(pk=flow.pk).is_deleted


def test_a_ticket_template_keeps_its_approval_template(client_for, editor, flow):
    TicketTemplateFactory(approval_template=flow)

    response = client_for(editor).delete(f"{URL}{flow.pk}/")

    assert response.status_code == 409
    assert "1 ticket template" in response.json()["errors"][0]["detail"]
    assert not ApprovalTemplate.all_objects.get(pk=flow.pk).is_deleted


@pytest.mark.parametrize("status", [TicketStatus.WAITING_APPROVAL, TicketStatus.OPEN, TicketStatus.CLOSED])
def test_submitted_tickets_do_not_hold_it(client_for, editor, flow, status):
    TicketFactory(approval_template=flow, status=status)

    assert client_for(editor).delete(f"{URL}{flow.pk}/").status_code == 204

    assert ApprovalTemplate.all_objects.get(pk=flow.pk).is_deleted


def test_the_admin_lists_what_uses_it_and_deletes_nothing(admin_client, flow):
    ticket = TicketFactory(approval_template=flow, status=TicketStatus.DRAFT)
    url = f"/admin/approvals/approvaltemplate/{flow.pk}/delete/"

    page = admin_client.get(url)
    admin_client.post(url, {"post": "yes"})

    assert f"ticket {ticket.key}" in page.content.decode()
    assert not ApprovalTemplate.all_objects.get(pk=flow.pk).is_deleted


def test_the_admin_deletes_an_unused_one(admin_client, flow):
    response = admin_client.post(f"/admin/approvals/approvaltemplate/{flow.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    deleted = ApprovalTemplate.all_objects.get(pk=flow.pk)
    assert deleted.is_deleted
    assert deleted.deleted_by is not None
