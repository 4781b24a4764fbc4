"""Approval templates over HTTP: writable nested steps and approvers, validation, permissions, query counts."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalTemplate, ApprovalTemplateStep, ApprovalTemplateStepApprover
from approvals.tests.factories import template_with
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/approval-templates/"
WRITE_PERMS = [
    "approvals.add_approvaltemplate",
    "approvals.change_approvaltemplate",
    "approvals.delete_approvaltemplate",
]


@pytest.fixture
def editor():
    return UserFactory(perms=WRITE_PERMS)


def body(alice, role):
    return {
        "name": "Purchase",
        "description": "Spend over 1000",
        "steps": [
            {"name": "Manager", "order": 1, "approval_type": "any", "approvers": [{"user": alice.pk}, {"role": role.pk}]},
            {"name": "Finance", "order": 2, "approvers": [{"role": role.pk}]},
        ],
    }


def test_create_with_nested_steps_and_read_it_back(client_for, editor):
    alice, role = UserFactory(), RoleFactory()

    response = client_for(editor).post(URL, body(alice, role), format="json")

    assert response.status_code == 201
    data = response.json()
    assert data["name"] == "Purchase" and data["created_by"] == editor.pk
    assert [(s["name"], s["order"], s["approval_type"]) for s in data["steps"]] == [
        ("Manager", 1, "any"),
        ("Finance", 2, "all"),
    ]
    approvers = data["steps"][0]["approvers"]
    assert [(a["user"], a["role"]) for a in approvers] == [(alice.pk, None), (None, role.pk)]
    reader = client_for(UserFactory())
    assert reader.get(f"{URL}{data['id']}/").json() == data


def test_writes_need_the_model_permissions(client_for):
    alice, role = UserFactory(), RoleFactory()
    template = template_with(("all", [alice]))
    plain = client_for(UserFactory())

    assert plain.get(URL).status_code == 200
    assert plain.post(URL, body(alice, role), format="json").status_code == 403
    assert plain.patch(f"{URL}{template.pk}/", {"name": "x"}, format="json").status_code == 403
    assert plain.delete(f"{URL}{template.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        (lambda b: b.update(steps=[]), "steps.non_field_errors"),
        (lambda b: b["steps"][0].update(approvers=[]), "steps.0.approvers.non_field_errors"),
        (lambda b: b["steps"][1].update(order=1), "steps"),
        (lambda b: b["steps"][0]["approvers"].append({}), "steps.0.approvers.2.non_field_errors"),
        (lambda b: b["steps"][0]["approvers"].append({"user": b["steps"][0]["approvers"][0]["user"]}), "steps"),
        (lambda b: b["steps"][0].update(approval_type="most"), "steps.0.approval_type"),
    ],
    ids=["no-steps", "step-without-approvers", "duplicate-order", "approver-names-nothing", "user-twice", "bad-type"],
)
def test_invalid_templates_are_refused(client_for, editor, change, attr):
    payload = body(UserFactory(), RoleFactory())
    change(payload)

    response = client_for(editor).post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
    assert not ApprovalTemplate.objects.exists()


def test_update_keeps_steps_by_id_reorders_and_soft_deletes_the_rest(client_for, editor):
    alice, bob = UserFactory(), UserFactory()
    template = template_with(("all", [alice]), ("any", [bob]))
    first, second = template.steps.order_by("order")
    payload = {
        "name": template.name,
        "steps": [
            {"id": second.pk, "name": "Now first", "order": 1, "approvers": [{"user": bob.pk}]},
            {"name": "Brand new", "order": 2, "approval_type": "any", "approvers": [{"user": alice.pk}]},
        ],
    }

    response = client_for(editor).put(f"{URL}{template.pk}/", payload, format="json")

    assert response.status_code == 200, response.json()
    steps = response.json()["steps"]
    assert [(s["id"] == second.pk, s["name"], s["order"]) for s in steps] == [(True, "Now first", 1), (False, "Brand new", 2)]
    assert ApprovalTemplateStep.all_objects.get(pk=first.pk).is_deleted
    assert ApprovalTemplateStepApprover.all_objects.filter(step=first, is_deleted=True).count() == 1


def test_patch_name_only_keeps_the_steps(client_for, editor):
    template = template_with(("all", [UserFactory()]))

    response = client_for(editor).patch(f"{URL}{template.pk}/", {"name": "Renamed"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed" and len(response.json()["steps"]) == 1


def test_delete_is_soft(client_for, editor):
    template = template_with(("all", [UserFactory()]))

    assert client_for(editor).delete(f"{URL}{template.pk}/").status_code == 204

    assert ApprovalTemplate.all_objects.get(pk=template.pk).is_deleted
    assert client_for(editor).get(f"{URL}{template.pk}/").status_code == 404


def test_list_runs_a_constant_number_of_queries(client_for):
    reader = UserFactory()
    role = RoleFactory()

    def count(n_more):
        for _ in range(n_more):
            template_with(("all", [UserFactory(), role]), ("any", [role]))
        client = client_for(User.objects.get(pk=reader.pk))
        with CaptureQueriesContext(connection) as context:
            response = client.get(URL)
        return len(context.captured_queries), response.json()["count"]

    assert count(3)[1] == 3
    small = count(0)[0]
    assert count(3) == (small, 6)
