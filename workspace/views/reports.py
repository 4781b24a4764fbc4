"""Reports (docs/workspace/service-levels.md): service-level compliance per policy and month. HTTP only: the figures
are sla.reports' (over the caller's visible tickets), who may read them is its rule."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sla.reports import (
    MONTH_HELP,
    REPORT_REFUSED,
    current_month,
    next_month,
    parse_month,
    previous_month,
    sla_compliance,
)
from tickets.statemachine import works_the_desk

TEMPLATE = "workspace/reports/sla_compliance.html"


@require_GET
@login_required
def sla_compliance_page(request: HttpRequest) -> HttpResponse:
    """Met and breached targets per policy in a month (`?month=YYYY-MM`, default this month); a month that is not one
    is the page at 400 with the reason and no figures."""
    if not works_the_desk(request.user):
        raise PermissionDenied(REPORT_REFUSED)
    asked = request.GET.get("month", "")
    month = parse_month(asked) if asked else current_month()
    if month is None:
        context: dict[str, Any] = {"nav_section": "queues", "month_value": asked, "month_error": MONTH_HELP, "report": None}
        return render(request, TEMPLATE, context, status=400)
    context = {
        "nav_section": "queues",
        "month_value": f"{month:%Y-%m}",
        "month_error": "",
        "report": sla_compliance(user=request.user, month=month),
        "previous": f"{previous_month(month):%Y-%m}",
        "next": f"{next_month(month):%Y-%m}",
    }
    return render(request, TEMPLATE, context)
