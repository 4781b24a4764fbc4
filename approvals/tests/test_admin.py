"""The back office: templates with their steps and approvers, read-only processes, delegations. Templates and
delegations are saved through the services, so the admin refuses what the API refuses, in the form."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalProcess, ApprovalTemplate, ApprovalTemplateStepApprover, Delegation
from approvals.tests.factories import DelegationFactory, template_with
from tests.factories import AdminFactory, RoleFactory, UserFactory

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

    for url in [
        "/admin/approvals/approvaltemplate/",
        f"/admin/approvals/approvaltemplate/{template.pk}/change/",
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


TEMPLATES = "/admin/approvals/approvaltemplate/"
DELEGATIONS = "/admin/approvals/delegation/"


def template_form(name="Travel", steps=(), initial=0):
    """The template page as the browser posts it; each step: dict of order, name, approval_type, users, roles, id."""
    data = {"name": name, "description": "", "steps-TOTAL_FORMS": str(len(steps)), "steps-INITIAL_FORMS": str(initial)}
    for index, step in enumerate(steps):
        prefix = f"steps-{index}-"
        data.update({prefix + "order": step["order"], prefix + "name": step["name"], prefix + "approval_type": "any"})
        data[prefix + "approver_users"] = [user.pk for user in step.get("users", [])]
        data[prefix + "approver_roles"] = [role.pk for role in step.get("roles", [])]
        if "id" in step:
            data[prefix + "id"] = step["id"]
            data[prefix + "DELETE"] = "on" if step.get("delete") else ""
    return data


def approvers_of(template):
    return [
        (approver.step.order, approver.step.name, approver.user_id, approver.role_id)
        for approver in ApprovalTemplateStepApprover.objects.filter(step__template=template).order_by("step__order", "id")
    ]


def form_errors(response):
    return " ".join(str(error) for error in response.context["adminform"].form.non_field_errors())


def test_a_template_is_created_with_its_steps_and_approvers_through_the_service(admin_client):
    manager, finance = UserFactory(), RoleFactory()
    steps = [{"order": 1, "name": "Manager", "users": [manager]}, {"order": 2, "name": "Finance", "roles": [finance]}]

    response = admin_client.post(f"{TEMPLATES}add/", template_form(steps=steps))

    assert response.status_code == 302, form_errors(response)
    template = ApprovalTemplate.objects.get(name="Travel")
    assert approvers_of(template) == [(1, "Manager", manager.pk, None), (2, "Finance", None, finance.pk)]
    assert template.created_by is not None
    assert template.steps.get(order=1).created_by == template.created_by


def test_a_template_whose_step_has_no_approver_is_refused_in_the_form(admin_client):
    response = admin_client.post(f"{TEMPLATES}add/", template_form(steps=[{"order": 1, "name": "Manager"}]))

    assert response.status_code == 200
    assert 'Step "Manager" needs at least one approver.' in form_errors(response)
    assert not ApprovalTemplate.all_objects.exists()


def test_a_template_without_steps_is_refused_in_the_form(admin_client):
    response = admin_client.post(f"{TEMPLATES}add/", template_form(steps=[]))

    assert response.status_code == 200
    assert "An approval template needs at least one step." in form_errors(response)
    assert not ApprovalTemplate.all_objects.exists()


def test_editing_a_template_replaces_its_steps_through_the_service(admin_client):
    old, new = UserFactory(), UserFactory()
    template = template_with(("all", [old]))
    step = template.steps.get()
    steps = [
        {"id": step.pk, "order": 2, "name": "Renamed", "users": [new]},
        {"order": 1, "name": "First", "users": [old]},
    ]

    response = admin_client.post(
        f"{TEMPLATES}{template.pk}/change/", template_form(name="Renamed flow", steps=steps, initial=1)
    )

    assert response.status_code == 302, form_errors(response)
    template.refresh_from_db()
    assert template.name == "Renamed flow"
    assert approvers_of(template) == [(1, "First", old.pk, None), (2, "Renamed", new.pk, None)]


def test_removing_every_approver_of_a_step_is_refused_and_changes_nothing(admin_client):
    approver = UserFactory()
    template = template_with(("all", [approver]))
    step = template.steps.get()
    steps = [{"id": step.pk, "order": 1, "name": "Step 1"}]

    response = admin_client.post(f"{TEMPLATES}{template.pk}/change/", template_form(name="Changed", steps=steps, initial=1))

    assert response.status_code == 200
    assert 'Step "Step 1" needs at least one approver.' in form_errors(response)
    template.refresh_from_db()
    assert template.name != "Changed"
    assert approvers_of(template) == [(1, "Step 1", approver.pk, None)]


def delegation_form(delegator, delegate, *, days=1):
    start = timezone.now() + timedelta(days=1)
    end = start + timedelta(days=days)
    return {
        "delegator": delegator.pk,
        "delegate": delegate.pk,
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": "09:00:00",
        "ends_at_0": end.strftime("%Y-%m-%d"),
        "ends_at_1": "09:00:00",
        "reason": "Holiday",
    }


def test_a_delegation_to_an_inactive_user_is_refused_in_the_form_and_to_an_active_one_saved(admin_client):
    delegator, inactive, active = UserFactory(), UserFactory(is_active=False), UserFactory()

    refused = admin_client.post(f"{DELEGATIONS}add/", delegation_form(delegator, inactive))
    saved = admin_client.post(f"{DELEGATIONS}add/", delegation_form(delegator, active))

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["delegate"] == ["The delegate is an inactive user."]
    assert saved.status_code == 302
    delegation = Delegation.all_objects.get()
    assert (delegation.delegator, delegation.delegate, delegation.reason) == (delegator, active, "Holiday")
    assert delegation.created_by is not None


def test_self_delegation_is_refused_in_the_admin(admin_client):
    user = UserFactory()

    response = admin_client.post(f"{DELEGATIONS}add/", delegation_form(user, user))

    assert response.status_code == 200  # the form comes back with the error
    assert not Delegation.objects.exists()


def test_the_template_page_shows_each_steps_approvers_by_name(admin_client):
    erin, managers = UserFactory(username="erin"), RoleFactory(name="managers")
    template = template_with(("all", [erin]), ("any", [managers]))

    response = admin_client.get(f"{TEMPLATES}{template.pk}/change/")

    steps = response.context["inline_admin_formsets"][0].formset.initial_forms
    assert [(form["approver_users"].value(), form["approver_roles"].value()) for form in steps] == [
        ([erin.pk], []),
        ([], [managers.pk]),
    ]
    assert f'<option value="{erin.pk}" selected>erin</option>' in response.text
    assert f'<option value="{managers.pk}" selected>managers</option>' in response.text
    assert f"{template.name} step 1 Step 1" in response.text  # each step row is named


def test_a_steps_approvers_are_changed_from_the_template_page(admin_client):
    erin, frank, managers, security = UserFactory(), UserFactory(), RoleFactory(), RoleFactory()
    template = template_with(("all", [erin, managers]))
    step = template.steps.get()
    steps = [{"id": step.pk, "order": 1, "name": "Step 1", "users": [frank], "roles": [managers, security]}]

    response = admin_client.post(f"{TEMPLATES}{template.pk}/change/", template_form(name=template.name, steps=steps, initial=1))

    assert response.status_code == 302, form_errors(response)
    assert sorted(approvers_of(template), key=str) == sorted(
        [(1, "Step 1", frank.pk, None), (1, "Step 1", None, managers.pk), (1, "Step 1", None, security.pk)], key=str
    )
    assert template.steps.get().pk == step.pk  # the same step, its approvers replaced by the service


def test_the_approver_pickers_search_users_and_roles(admin_client):
    UserFactory(username="erin"), UserFactory(username="frank"), RoleFactory(name="managers")
    lookup = {"app_label": "approvals", "model_name": "approvaltemplatestepapprover"}

    users = admin_client.get("/admin/autocomplete/", {**lookup, "field_name": "user", "term": "eri"}).json()
    roles = admin_client.get("/admin/autocomplete/", {**lookup, "field_name": "role", "term": "mana"}).json()

    assert [row["text"] for row in users["results"]] == ["erin"]
    assert [row["text"] for row in roles["results"]] == ["managers"]


def test_the_template_list_shows_steps_and_approvers(admin_client):
    template = template_with(("all", [UserFactory(username="erin")]), ("any", [RoleFactory(name="managers")]))

    response = admin_client.get(TEMPLATES)

    assert f"{template.name}" in response.text
    assert "1. Step 1: erin<br>2. Step 2: managers (role)" in response.text


def test_processes_and_their_slots_are_named_by_ticket_key_and_title(admin_client, flow):
    erin, managers = UserFactory(username="erin"), RoleFactory(name="managers")
    UserFactory(roles=[managers])
    template = template_with(("all", [erin]), ("any", [managers]))
    ticket = flow.submit(flow.ticket(template, title="Laptop for Ann"))
    process = ApprovalProcess.objects.get(ticket=ticket)

    listed = admin_client.get("/admin/approvals/approvalprocess/")
    page = admin_client.get(f"/admin/approvals/approvalprocess/{process.pk}/change/")

    name = f"{ticket.key} Laptop for Ann — approval ({template.name})"
    assert name in listed.text
    assert f"<h2>{name}</h2>" in page.text
    assert f"{ticket.key} step 1 Step 1: erin" in page.text
    assert f"{ticket.key} step 2 Step 2: managers (role)" in page.text
    assert f"process {process.pk} of ticket" not in listed.text


def test_the_admin_index_names_approval_processes_and_roles(admin_client):
    response = admin_client.get("/admin/")

    assert "Approval processes" in response.text and "processs" not in response.text
    assert ">Roles<" in response.text and ">Groups<" not in response.text
    assert ">View grants<" in response.text and ">Timeline entries<" in response.text
