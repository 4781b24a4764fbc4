"""Reports (docs/reports.md, docs/workspace/service-levels.md): the dashboard of figures over the caller's visible
tickets, the compliance report per month, and ticket exports. HTTP only: the figures are reports.selectors' and
sla.reports', the files reports.exports', who may read what their rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from reports import selectors, services
from reports.exports import export_tickets
from reports.models import ExportFormat
from reports.periods import Period, period_from
from reports.responses import export_response, stored_export_response
from reports.selectors import Durations
from savedviews.selectors import view_parameters
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
from ticketsite.errors import DomainValidationError
from workspace.forms import call_service
from workspace.queues import REQUESTER_PARAMETER, SEARCH_PARAMETER, queue_for, with_requester
from workspace.templatetags.sla_badges import span

TEMPLATE = "workspace/reports/sla_compliance.html"
DASHBOARD = "workspace/reports/dashboard.html"


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


# --- the dashboard ---------------------------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To (included)", widget=forms.DateInput(attrs={"type": "date"}))


def _period(form: PeriodForm) -> Period | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return call_service(form, lambda: period_from(start=data.get("start"), end=data.get("end")))


def bars[Item](items: Iterable[Item], *values: Callable[[Item], float]) -> list[dict[str, Any]]:
    """Each item with the length of its bars, in percent of the chart's largest value (the charts are SVG rectangles
    of that width, drawn on the server)."""
    listed = list(items)
    largest = max((value(item) for item in listed for value in values), default=0) or 1
    return [{"item": item, "shares": [round(value(item) * 100 / largest, 1) for value in values]} for item in listed]


def timed(rows: Iterable[Durations]) -> list[dict[str, Any]]:
    """Durations as bars (median and 90th percentile) with their words ("2 d 4 h")."""
    charted = bars(rows, lambda row: row.median_seconds, lambda row: row.p90_seconds)
    for row in charted:
        row["median"], row["p90"] = span(row["item"].median_seconds / 60), span(row["item"].p90_seconds / 60)
    return charted


@require_GET
@login_required
def reports_page(request: HttpRequest) -> HttpResponse:
    """Every report over the tickets the caller may see, for a period (`?start=&end=`, dates; default the last twelve
    ISO weeks). Dates that are not, or an end before the start, give the page at 400 with the reasons and no figures.
    The approver workload and the compliance link are for those who work the desk."""
    user = request.user
    assert isinstance(user, User)
    form = PeriodForm(request.GET or None)
    period = _period(form) if form.is_bound else period_from(start=None, end=None)
    desk = works_the_desk(user)
    context: dict[str, Any] = {"nav_section": "reports", "form": form, "period": period, "desk": desk}
    context["exports"] = selectors.exports_of(user=user)
    context["export_limit"] = services.export_stream_limit()
    if period is None:
        return render(request, DASHBOARD, context, status=400)
    backlog = selectors.backlog(user=user)
    cycle = selectors.approval_cycle(user=user, period=period)
    context |= {
        "backlog": backlog,
        "by_status": bars(backlog.by_status, lambda bucket: bucket.count),
        "by_priority": bars(backlog.by_priority, lambda bucket: bucket.count),
        "by_category": bars(backlog.by_category, lambda bucket: bucket.count),
        "weeks": bars(selectors.created_and_resolved(user=user, period=period), lambda w: w.created, lambda w: w.resolved),
        "resolve_by_category": timed(selectors.time_to_resolve_by_category(user=user, period=period)),
        "resolve_by_template": timed(selectors.time_to_resolve_by_template(user=user, period=period)),
        "cycle_by_template": timed(cycle.by_template),
        "cycle_by_step": timed(cycle.by_step),
        "workload": selectors.approver_workload(user=user) if desk else None,
    }
    return render(request, DASHBOARD, context)


# --- exports ---------------------------------------------------------------------------------------------------------

FORMAT_PARAMETER = "format"
QUEUE_PARAMETER = "queue"


def _export_query(request: HttpRequest) -> tuple[QueryDict, QueryDict | None]:
    """The list API's parameters of the page's query string, and the base filters of the queue it names (if any): the
    queue pages' own words become the API's (`q` is `search`, a requester's username is `creator`)."""
    user = request.user
    assert isinstance(user, User)
    query = request.GET.copy()
    search = query.get(SEARCH_PARAMETER, "").strip()
    if search:
        query.setlist("search", [search])
    query, refusals = with_requester(query, query.get(REQUESTER_PARAMETER, "").strip())
    if refusals:  # an unknown username, refused as the queue page refuses it
        raise DomainValidationError(refusals[REQUESTER_PARAMETER][0], field=REQUESTER_PARAMETER)
    address = query.get(QUEUE_PARAMETER, "")
    base = None
    if address:
        queue = queue_for(address, user)  # a desk queue refused (403) to others, someone else's view unknown (404)
        base = view_parameters(queue, user)
        if not query.get("ordering") and queue.ordering:
            query.setlist("ordering", [",".join(queue.ordering)])
    # A form's empty field means "any" on the queue pages; the API would refuse it.
    for name in list(query):
        query.setlist(name, [value for value in query.getlist(name) if value != ""])
    return query, base


@require_GET
@login_required
def ticket_export(request: HttpRequest) -> HttpResponseBase:
    """The tickets a queue page or the ticket list API's parameters name, every page of them, as CSV or XLSX
    (`?format=`). More than EXPORT_STREAM_MAX_ROWS: written in the background, back to the reports page, where it is
    listed (and the requester notified) once ready."""
    user = request.user
    assert isinstance(user, User)
    file_format = request.GET.get(FORMAT_PARAMETER) or ExportFormat.CSV
    if file_format not in ExportFormat.values:
        raise DomainValidationError("Choose csv or xlsx.", field=FORMAT_PARAMETER, code="invalid_choice")
    query, base = _export_query(request)
    tickets = export_tickets(user=user, query=query, base=base)
    if tickets.count() <= services.export_stream_limit():
        return export_response(tickets, file_format)
    services.export_start(user=user, file_format=file_format, query=query, base=base)
    messages.success(request, "That is a large export: it is being written, and you will be notified when it is ready.")
    return redirect("workspace:reports")


@require_GET
@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A finished background export's file, for the person who asked for it (anyone else: 404)."""
    return stored_export_response(selectors.ready_export_get(user=request.user, export_id=pk))
