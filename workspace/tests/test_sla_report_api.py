"""The compliance report's API view (sla/api/reports.py, `GET /api/v1/sla/compliance/?month=YYYY-MM` once registered
in sla/urls.py): the same figures as the page, for the same people, in the SPEC's error shape otherwise. Called through
DRF's request factory, since its route is not in the URL conf yet (docs/workspace/service-levels.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIRequestFactory, force_authenticate

from sla.api.reports import ComplianceReportView
from tests.factories import UserFactory
from workspace.tests.test_sla_report import november  # noqa: F401  (the fixture: Gold's outcomes in November 2026)

pytestmark = pytest.mark.django_db

PATH = "/api/v1/sla/compliance/"


def body_of(response: Any) -> Any:
    return json.loads(response.content)


def call(user: Any, **params: str) -> Any:
    request = APIRequestFactory().get(PATH, params)
    if user is not None:
        force_authenticate(request, user=user)
    response = ComplianceReportView.as_view()(request)
    response.render()
    return response


def test_an_agent_gets_the_month_per_policy(november):  # noqa: F811
    response = call(UserFactory(perms=["tickets.work_on_ticket"]), month="2026-11")

    assert response.status_code == 200
    body = body_of(response)
    assert (body["month"], body["start"], body["end"]) == ("2026-11", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
    gold, silver = body["policies"]
    assert gold == {
        "policy": november.pk,
        "policy_name": "Gold",
        "is_active": True,
        "first_response": {"met": 2, "breached": 1, "met_percent": 66},
        "resolution": {"met": 1, "breached": 1, "met_percent": 50},
        "first_responses": 3,
        "median_first_response_minutes": 45.0,
    }
    assert silver["first_response"] == {"met": 0, "breached": 0, "met_percent": None}


def test_an_auditor_gets_the_restricted_tickets_too(november):  # noqa: F811
    body = body_of(call(UserFactory(perms=["tickets.view_all_tickets"]), month="2026-11"))

    assert body["policies"][0]["first_response"]["met"] == 3


def test_someone_else_is_refused_in_the_error_shape(november):  # noqa: F811
    response = call(UserFactory(), month="2026-11")

    assert response.status_code == 403
    assert body_of(response)["errors"][0]["code"] == "permission_denied"
    assert "Gold" not in response.content.decode()


def test_a_stranger_is_unauthenticated(november):  # noqa: F811
    assert call(None).status_code == 401


@pytest.mark.parametrize("month", ["2026-13", "nope", "", "2026-11-01"])
def test_a_bad_month_is_a_validation_error_naming_it(month, november):  # noqa: F811
    response = call(UserFactory(perms=["tickets.work_on_ticket"]), month=month)

    assert response.status_code == 400
    body = body_of(response)
    assert body["type"] == "validation_error"
    assert body["errors"][0]["attr"] == "month"
