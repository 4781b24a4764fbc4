"""The reports API (reports/api.py, `/api/v1/reports/...` once reports.urls is routed in ticketsite/urls.py): the
figures of the small world (reports/tests/world.py) in their JSON shape, who may read which, and bad periods in the
SPEC's error shape. Called through DRF's request factory, as the compliance report's API tests were before routing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory, force_authenticate

from reports import api
from reports.tests.world import HOUR, build_report_world
from tickets.models import TicketStatus
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

NOVEMBER = {"start": "2026-11-02", "end": "2026-11-29"}


@pytest.fixture
def world():
    return build_report_world()


def call(view: Any, user: Any, path: str = "/api/v1/reports/", **params: str) -> Any:
    request = APIRequestFactory().get(path, params)
    if user is not None:
        force_authenticate(request, user=user)
    response = view.as_view()(request)
    response.render()
    return response


def body_of(response: Any) -> Any:
    return json.loads(response.content)


def test_backlog(world):
    body = body_of(call(api.BacklogView, world.people["outsider"]))

    assert body == {
        "total": 3,
        "by_status": [
            {"status": "waiting_approval", "name": "Waiting for approval", "count": 1},
            {"status": "open", "name": "Open", "count": 1},
            {"status": "in_progress", "name": "In progress", "count": 1},
        ],
        "by_priority": [
            {"priority": "urgent", "name": "Urgent", "count": 1},
            {"priority": "high", "name": "High", "count": 1},
            {"priority": "medium", "name": "Medium", "count": 1},
            {"priority": "low", "name": "Low", "count": 0},
        ],
        "by_category": [
            {"category": world.software.pk, "name": "Software", "count": 2},
            {"category": None, "name": "No category", "count": 1},
        ],
    }


def test_created_and_resolved(world):
    body = body_of(call(api.ThroughputView, world.people["agent"], **NOVEMBER))

    assert body == {
        "start": "2026-11-02",
        "end": "2026-11-29",
        "weeks": [
            {"week": "2026-W45", "starts_on": "2026-11-02", "created": 2, "resolved": 1},
            {"week": "2026-W46", "starts_on": "2026-11-09", "created": 2, "resolved": 2},
            {"week": "2026-W47", "starts_on": "2026-11-16", "created": 2, "resolved": 0},
            {"week": "2026-W48", "starts_on": "2026-11-23", "created": 1, "resolved": 0},
        ],
    }


def test_time_to_resolve(world):
    body = body_of(call(api.TimeToResolveView, world.people["agent"], **NOVEMBER))

    assert body["by_category"] == [
        {"category": world.hardware.pk, "name": "Hardware", "count": 3, "median_seconds": 86400.0, "p90_seconds": 155520.0},
        {"category": world.software.pk, "name": "Software", "count": 1, "median_seconds": 43200.0, "p90_seconds": 43200.0},
    ]
    assert body["by_template"] == [
        {
            "template": world.laptop.pk,
            "name": "Laptop request",
            "count": 2,
            "median_seconds": 36 * HOUR,
            "p90_seconds": 45.6 * HOUR,
        },
        {"template": None, "name": "No template", "count": 1, "median_seconds": 12 * HOUR, "p90_seconds": 12 * HOUR},
    ]


def test_approval_cycle(world):
    body = body_of(call(api.ApprovalCycleView, world.people["agent"], **NOVEMBER))

    template = world.manager_approval.pk
    assert body["by_template"] == [
        {
            "approval_template": template,
            "name": "Manager approval",
            "count": 2,
            "median_seconds": 7200.0,
            "p90_seconds": 10080.0,
        }
    ]
    assert body["by_step"] == [
        {
            "approval_template": template,
            "template_name": "Manager approval",
            "order": 1,
            "name": "Manager",
            "count": 2,
            "median_seconds": 3600.0,
            "p90_seconds": 3600.0,
        },
        {
            "approval_template": template,
            "template_name": "Manager approval",
            "order": 2,
            "name": "Finance",
            "count": 1,
            "median_seconds": 7200.0,
            "p90_seconds": 7200.0,
        },
    ]


def test_approver_workload_for_the_desk(world):
    body = body_of(call(api.ApproverWorkloadView, world.people["auditor"]))

    assert body == {
        "approvers": [
            {
                "user": world.people["approver1"].pk,
                "role": None,
                "name": "approver1",
                "pending": 2,
                "oldest_since": "2026-11-20T00:00:00Z",
            },
            {
                "user": None,
                "role": world.purchasing.pk,
                "name": "Purchasing (role)",
                "pending": 1,
                "oldest_since": "2026-11-24T10:00:00Z",
            },
        ]
    }


def test_approver_workload_refuses_who_does_not_work_the_desk(world):
    response = call(api.ApproverWorkloadView, world.people["requester"])

    assert response.status_code == 403
    assert body_of(response)["errors"][0] == {"code": "permission_denied", "detail": api.DESK_ONLY, "attr": None}


@pytest.mark.parametrize(
    "view", [api.BacklogView, api.ThroughputView, api.TimeToResolveView, api.ApprovalCycleView, api.ApproverWorkloadView]
)
def test_a_stranger_is_unauthenticated(view):
    response = call(view, None)

    assert response.status_code == 401
    assert body_of(response)["errors"][0]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": ""}, "start"),
        ({"start": "2026-11-30", "end": "2026-11-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-11-01"}, "start"),
    ],
)
@pytest.mark.parametrize("view", [api.ThroughputView, api.TimeToResolveView, api.ApprovalCycleView])
def test_a_bad_period_is_a_validation_error_naming_the_field(view, params, attr, world):
    response = call(view, world.people["agent"], **params)

    assert response.status_code == 400
    body = body_of(response)
    assert body["type"] == "validation_error"
    assert body["errors"][0]["attr"] == attr


@pytest.mark.parametrize("more", [0, 10])
def test_the_api_answers_in_a_fixed_number_of_queries(more, world, django_assert_num_queries):
    """Ten more open tickets, each in a category of its own: the same statements."""
    for _ in range(more):
        TicketFactory(status=TicketStatus.OPEN, categories=[CategoryFactory()])
    agent = world.people["agent"]
    call(api.BacklogView, agent)  # the caller's permissions, looked up once

    with django_assert_num_queries(3):
        body = body_of(call(api.BacklogView, agent))
    with django_assert_num_queries(2):
        call(api.ThroughputView, agent, **NOVEMBER)
    with django_assert_num_queries(2):
        call(api.TimeToResolveView, agent, **NOVEMBER)
    with django_assert_num_queries(2):
        call(api.ApprovalCycleView, agent, **NOVEMBER)
    with django_assert_num_queries(1):
        call(api.ApproverWorkloadView, agent)
    assert body["total"] == 3 + more


def test_without_dates_the_period_is_the_last_twelve_iso_weeks(world):
    today = timezone.localdate()

    body = body_of(call(api.ThroughputView, world.people["agent"]))

    assert body["end"] == today.isoformat()
    assert len(body["weeks"]) == 12
    assert body["weeks"][-1]["starts_on"] == (today - timedelta(days=today.weekday())).isoformat()
    assert body["start"] == body["weeks"][0]["starts_on"]
