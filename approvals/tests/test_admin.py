"""The back office: templates with inline steps, approvers on the step page, read-only processes, delegations."""

import pytest
from django.test import Client

from approvals.models import ApprovalProcess, ApprovalTemplate, Delegation
from approvals.tests.factories import DelegationFactory, template_with
from tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(AdminFactory())
    return client


def test_pages_render(admin_client, flow):
    template = template_with(("all", [UserFactory()]))
    ticket = flow.submit(flow.ticket(template))
    process = ApprovalProcess.objects.get(ticket=ticket)
    delegation = DelegationFactory()
    step = template.steps.get()

    for url in [
        "/admin/approvals/approvaltemplate/",
        f"/admin/approvals/approvaltemplate/{template.pk}/change/",
        f"/admin/approvals/approvaltemplatestep/{step.pk}/change/",
        "/admin/approvals/approvalprocess/",
        f"/admin/approvals/approvalprocess/{process.pk}/change/",
        "/admin/approvals/delegation/",
        f"/admin/approvals/delegation/{delegation.pk}/change/",
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_processes_are_read_only(admin_client, flow):
    ticket = flow.submit(flow.ticket(template_with(("all", [UserFactory()]))))
    process = ApprovalProcess.objects.get(ticket=ticket)

    assert admin_client.get("/admin/approvals/approvalprocess/add/").status_code == 403
    admin_client.post(f"/admin/approvals/approvalprocess/{process.pk}/change/", {"status": "approved"})
    process.refresh_from_db()
    assert process.status == "running"


def test_create_template_with_inline_steps_stamps_the_admin(admin_client):
    response = admin_client.post(
        "/admin/approvals/approvaltemplate/add/",
        {
            "name": "Travel",
            "description": "",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-order": "1",
            "steps-0-name": "Manager",
            "steps-0-approval_type": "any",
        },
    )

    assert response.status_code == 302
    template = ApprovalTemplate.objects.get(name="Travel")
    assert template.created_by is not None
    assert template.steps.get().created_by == template.created_by


def test_self_delegation_is_refused_in_the_admin(admin_client):
    user = UserFactory()
    response = admin_client.post(
        "/admin/approvals/delegation/add/",
        {
            "delegator": user.pk,
            "delegate": user.pk,
            "starts_at_0": "2030-01-01",
            "starts_at_1": "00:00:00",
            "ends_at_0": "2030-01-02",
            "ends_at_1": "00:00:00",
            "reason": "",
        },
    )

    assert response.status_code == 200  # the form comes back with the error
    assert not Delegation.objects.exists()
