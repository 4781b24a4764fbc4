"""Partial updates (ticketsite.services.model_update) through every endpoint that edits a row in place: only the fields
whose value changes are written and stamped; an update that changes nothing writes nothing. Names stay unique among
live rows, ignoring case, on every renamable model."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.tests.factories import ApprovalTemplateFactory, DelegationFactory
from notifications.tests.factories import NotificationRuleFactory
from tests.factories import UserFactory
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    path: str
    table: str
    factory: Callable[[], Any]
    permission: str  # "app.model": the editor gets view and change
    same: Callable[[Any], dict[str, Any]]  # a body restating the row's values
    change: tuple[str, Any]  # one field and a new value


ENDPOINTS = [
    Endpoint(
        "labels",
        "labels",
        LabelFactory,
        "tickets.label",
        lambda row: {"name": row.name, "color": row.color},
        ("description", "New"),
    ),
    Endpoint(
        "categories", "categories", CategoryFactory, "tickets.category", lambda row: {"name": row.name}, ("description", "New")
    ),
    Endpoint(
        "ticket-templates",
        "ticket_templates",
        TicketTemplateFactory,
        "tickets.tickettemplate",
        lambda row: {"name": row.name, "categories": []},
        ("description", "New"),
    ),
    Endpoint(
        "approval-templates",
        "approval_templates",
        ApprovalTemplateFactory,
        "approvals.approvaltemplate",
        lambda row: {"name": row.name},
        ("description", "New"),
    ),
    Endpoint(
        "delegations",
        "delegations",
        DelegationFactory,
        "approvals.delegation",
        lambda row: {"reason": row.reason},
        ("reason", "New"),
    ),
    Endpoint(
        "notification-rules",
        "notification_rules",
        NotificationRuleFactory,
        "notifications.notificationrule",
        lambda row: {"name": row.name, "is_active": True, "users": []},
        ("is_active", False),
    ),
]
RENAMABLE = [
    endpoint for endpoint in ENDPOINTS if endpoint.path in ("labels", "categories", "ticket-templates", "approval-templates")
]


def editor(endpoint: Endpoint) -> Any:
    app, model = endpoint.permission.split(".")
    return UserFactory(perms=[f"{app}.view_{model}", f"{app}.change_{model}"])


def patch(client: Any, endpoint: Endpoint, row: Any, body: dict[str, Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.patch(f"/api/v1/{endpoint.path}/{row.pk}/", body, format="json")
    updates = [query["sql"] for query in queries if query["sql"].startswith(f'UPDATE "{endpoint.table}"')]
    return response, updates


def set_columns(update: str) -> set[str]:
    return set(re.findall(r'"(\w+)" = ', update.split(" WHERE ")[0]))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.path)
def test_an_update_that_changes_nothing_writes_nothing(client_for, endpoint):
    row = endpoint.factory()
    before = type(row).objects.get(pk=row.pk)

    response, updates = patch(client_for(editor(endpoint)), endpoint, row, endpoint.same(row))

    assert response.status_code == 200, response.json()
    assert updates == []
    after = type(row).objects.get(pk=row.pk)
    assert (after.updated_by_id, after.updated_at) == (before.updated_by_id, before.updated_at)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.path)
def test_an_update_writes_and_stamps_only_the_fields_that_change(client_for, endpoint):
    row = endpoint.factory()
    user = editor(endpoint)
    field, value = endpoint.change

    response, updates = patch(client_for(user), endpoint, row, {**endpoint.same(row), field: value})

    assert response.status_code == 200, response.json()
    assert [set_columns(update) for update in updates] == [{field, "updated_by_id", "updated_at"}]
    after = type(row).objects.get(pk=row.pk)
    assert (getattr(after, field), after.updated_by) == (value, user)


@pytest.mark.parametrize("endpoint", RENAMABLE, ids=lambda endpoint: endpoint.path)
def test_a_rename_to_a_live_name_in_any_case_is_refused(client_for, endpoint):
    row, taken, freed = endpoint.factory(), endpoint.factory(), endpoint.factory()
    freed.soft_delete(actor=None)
    client = client_for(editor(endpoint))

    refused, updates = patch(client, endpoint, row, {"name": taken.name.upper()})

    assert refused.status_code == 400
    assert [(error["attr"], error["code"]) for error in refused.json()["errors"]] == [("name", "unique")]
    assert updates == []
    response, _ = patch(client, endpoint, row, {"name": freed.name.upper()})
    assert response.status_code == 200, response.json()
    assert type(row).objects.get(pk=row.pk).name == freed.name.upper()
