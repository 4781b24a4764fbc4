"""The queues (saved views) and bulk actions on their rows (docs/workspace/queues.md). HTTP only: the listing is
workspace.queues over the API's filters; the writes are tickets.services.bulk and savedviews.services ("Save this
view")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from savedviews.models import PEOPLES_VISIBILITIES, Column, SavedView, ViewVisibility, default_columns
from savedviews.services import view_create
from tickets.models import Category, Label, SlaStatus, TicketPriority, TicketStatus, TicketTemplate
from tickets.selectors import active_agents
from tickets.services.bulk import BulkAction, BulkResult, bulk_apply
from tickets.statemachine import TRANSITIONS, Party, is_agent, works_the_desk
from workspace.forms import call_service
from workspace.queues import (
    ORDERING_PARAMETER,
    PAGE_PARAMETER,
    REQUESTER_PARAMETER,
    SEARCH_PARAMETER,
    Listing,
    filter_parameters,
    listing,
    page_filters,
    queue_and_queues,
    queue_counts,
    saved_filters,
)

TEMPLATE = "workspace/queues/queue.html"


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


# --- the page --------------------------------------------------------------------------------------------------------

# Column headers that sort: the API's ordering field, and the direction of a first click (newest, most urgent first).
SORTABLE_COLUMNS = {
    "key": "key",
    "title": "title",
    "status": "status",
    "priority": "-priority",
    "created": "-created_at",
    "updated": "-updated_at",
    "due": "due_at",
    "resolution_due": "resolution_due_at",
}
SORT_CHOICES = [
    ("-updated_at", "Updated, newest first"),
    ("updated_at", "Updated, oldest first"),
    ("-created_at", "Created, newest first"),
    ("created_at", "Created, oldest first"),
    ("due_at", "Due, soonest first"),
    ("-due_at", "Due, latest first"),
    ("resolution_due_at", "Resolution due, soonest first"),
    ("-resolution_due_at", "Resolution due, latest first"),
    ("first_response_due_at", "First response due, soonest first"),
    ("-priority", "Priority, most urgent first"),
    ("priority", "Priority, lowest first"),
    ("status", "Status"),
    ("title", "Title, A to Z"),
    ("-title", "Title, Z to A"),
    ("-key", "Key, newest first"),
    ("key", "Key, oldest first"),
]
FILTER_LABELS = {
    "status": "Status",
    "priority": "Priority",
    "sla_status": "Service level",
    "category": "Category",
    "label": "Label",
    "template": "Template",
    "assignee": "Assignee",
    "creator": "Requester",
    REQUESTER_PARAMETER: "Requester",
    "created_after": "Created from",
    "created_before": "Created before",
    "updated_after": "Updated from",
    "updated_before": "Updated before",
}
# Where an agent may move a ticket (the state machine's rows an agent takes), in the lifecycle's order.
AGENT_TARGETS = [
    status for status in TicketStatus if any(row.target == status and Party.AGENT in row.who for row in TRANSITIONS)
]


def _query(query: QueryDict, **changes: str | None) -> str:
    """The page's query string with some parameters set or (None) removed."""
    params = query.copy()
    for name, value in changes.items():
        params.pop(name, None)
        if value is not None:
            params[name] = value
    return params.urlencode()


def _sort_headers(query: QueryDict, ordering: list[str]) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it (reversing the current direction) and its aria-sort state."""
    primary = ordering[0] if ordering else ""
    headers = {}
    for column, first_click in SORTABLE_COLUMNS.items():
        name = first_click.lstrip("-")
        if primary == name:
            state, term = "ascending", f"-{name}"
        elif primary == f"-{name}":
            state, term = "descending", name
        else:
            state, term = "none", first_click
        headers[column] = {"sort": state, "query": _query(query, **{ORDERING_PARAMETER: term, PAGE_PARAMETER: None})}
    return headers


def _filter_context(request: HttpRequest, found: Listing) -> dict[str, Any]:
    query = request.GET
    selected = {name: filter_parameters(query).getlist(name) for name in FILTER_LABELS}
    errors = [(FILTER_LABELS.get(name, name), name, messages) for name, messages in found.errors.items()]
    agents = list(active_agents())  # the assignee filter's and the bulk assignment's choices
    agent_ids = {str(agent.pk) for agent in agents}
    return {
        "selected": selected,
        "agents": agents,
        # An assignee filter naming someone who is not an agent (a link, a saved URL) stays visible and selected.
        "other_assignees": [value for value in selected["assignee"] if value not in agent_ids],
        "requester": query.get(REQUESTER_PARAMETER, ""),
        "search": query.get(SEARCH_PARAMETER, ""),
        "filter_errors": errors,
        "filter_error_names": set(found.errors),
        "statuses": TicketStatus.choices,
        "priorities": TicketPriority.choices,
        "sla_statuses": SlaStatus.choices,
        # Reference lists, one query each (names are public: every user reads them through the API).
        "categories": Category.objects.only("id", "name").order_by("name", "id"),
        "labels": Label.objects.only("id", "name").order_by("name", "id"),
        "templates": TicketTemplate.objects.only("id", "name").order_by("name", "id"),
        # A search lists the best matches first until another sort is chosen.
        "sort_choices": ([("", "Best match first")] if query.get(SEARCH_PARAMETER, "").strip() else []) + SORT_CHOICES,
        "filters_open": bool(found.errors) or any(selected.values()) or bool(query.get(REQUESTER_PARAMETER)),
    }


def _page_context(request: HttpRequest, queue: SavedView, queues: list[SavedView], **extra: Any) -> dict[str, Any]:
    """The page of `queue`, with `queues` beside it (queue_and_queues)."""
    user = request.user
    assert isinstance(user, User)
    found = listing(request, queue)
    desk = works_the_desk(user)
    counts = queue_counts(user, queues)
    page = found.paginator(counts).get_page(request.GET.get(PAGE_PARAMETER))
    query = request.GET
    return {
        "nav_section": "queues",
        "queue": queue,
        "queues": [(view, counts[view.pk]) for view in queues],
        "columns": queue.columns,
        "column_count": len(queue.columns) + 1 + int(is_agent(user)),
        "page": page,
        "rows": page.object_list,
        "narrowed": found.narrowed,
        "headers": _sort_headers(query, found.ordering),
        "ordering": found.ordering[0] if found.ordering else "",
        "query": query.urlencode(),
        "page_query": {
            "previous": _query(query, page=str(page.previous_page_number())) if page.has_previous() else "",
            "next": _query(query, page=str(page.next_page_number())) if page.has_next() else "",
        },
        "can_bulk": is_agent(user),
        "transition_targets": [(status.value, status.label) for status in AGENT_TARGETS],
        "bulk_form": BulkForm(),
        "results": None,
        "save_form": SaveViewForm(user=user, initial={"columns": queue.columns}) if desk else None,
        # What a view keeps: the filters and the sort, not the search words nor the page.
        "save_query": _query(query, **{SEARCH_PARAMETER: None, PAGE_PARAMETER: None}),
        **_filter_context(request, found),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@login_required
def queue_page(request: HttpRequest, queue: str) -> HttpResponse:
    """A queue: its tickets narrowed by the page's filters, search and sort, a page at a time, with the queues beside
    it. Filters the API would refuse give the page again at 400 with the reasons next to the filters.

    POST saves the page as a view of one's own ("Save this view": the queue's filters narrowed by the page's, its
    sort, the chosen columns; personal or shared with one's roles) and goes to it."""
    current, queues = queue_and_queues(queue, request.user)
    if request.method == "POST":
        return _save_view(request, current, queues)
    context = _page_context(request, current, queues)
    return render(request, TEMPLATE, context, status=400 if context["filter_errors"] else 200)


# --- save this view --------------------------------------------------------------------------------------------------


class SaveViewForm(forms.Form):
    """The name, who sees it and the columns; the filters and sort come from the page's query string."""

    name = forms.CharField(max_length=SavedView._meta.get_field("name").max_length)
    visibility = forms.ChoiceField(
        choices=[(value.value, value.label) for value in PEOPLES_VISIBILITIES], initial=ViewVisibility.PERSONAL
    )
    roles: forms.ModelMultipleChoiceField[Group] = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    columns = forms.MultipleChoiceField(choices=Column.choices, initial=default_columns, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One's own roles only: a view is shared with the people one works with.
        roles = self.fields["roles"]
        assert isinstance(roles, forms.ModelMultipleChoiceField)
        roles.queryset = user.groups.order_by("name")


def _save_view(request: HttpRequest, queue: SavedView, queues: list[SavedView]) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not works_the_desk(user):
        raise PermissionDenied("Saved views are for the people who work the desk.")
    form = SaveViewForm(request.POST, user=user)
    found = listing(request, queue)
    view = None
    if form.is_valid() and not found.errors:
        data = form.cleaned_data
        narrowing, _ = page_filters(request.GET)
        view = call_service(
            form,
            lambda: view_create(
                actor=user,
                name=data["name"],
                description=f"Saved from {queue.name}.",
                filters=saved_filters(queue, narrowing, user),
                ordering=found.ordering,
                columns=[column for column in Column.values if column in data["columns"]],
                visibility=data["visibility"],
                roles=data["roles"],
            ),
        )
    if view is None:
        context = _page_context(request, queue, queues, save_form=form, save_open=True)
        return render(request, TEMPLATE, context, status=400)
    messages.success(request, f'Saved the view "{view.name}".')
    return redirect(reverse("workspace:queue", kwargs={"queue": view.address}))


# --- bulk actions ----------------------------------------------------------------------------------------------------

# The button pressed (name="action") -> the bulk action and what it is called in the summary.
BULK_BUTTONS = {
    "assign_to_me": (BulkAction.ASSIGN, "Assign to me"),
    "assign": (BulkAction.ASSIGN, "Assign"),
    "priority": (BulkAction.PRIORITY, "Change priority"),
    "add_label": (BulkAction.ADD_LABEL, "Add label"),
    "transition": (BulkAction.TRANSITION, "Change status"),
}
UNASSIGN = "none"


class TicketIdsField(forms.Field):
    """The rows ticked: repeated `ids`, each a whole number (how many, and which exist, is the service's business)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value or []
        if not all(isinstance(item, str) and item.isascii() and item.isdigit() for item in values):
            raise forms.ValidationError("Tick tickets in the list.", code="invalid")
        return [int(item) for item in values]


class BulkForm(forms.Form):
    """One bulk action: the ticked rows, the button pressed, and the inputs of that action (the service checks them)."""

    ids = TicketIdsField(required=False)
    action = forms.ChoiceField(choices=[(name, title) for name, (_, title) in BULK_BUTTONS.items()])
    assignee = forms.RegexField(regex=rf"^(\d+|{UNASSIGN})$", required=False)
    priority = forms.CharField(required=False)
    label = forms.IntegerField(required=False)
    status = forms.CharField(required=False)
    comment = forms.CharField(required=False)

    def service_arguments(self, actor: User) -> tuple[BulkAction, dict[str, Any]]:
        data = self.cleaned_data
        action = BULK_BUTTONS[data["action"]][0]
        params: dict[str, Any] = {}
        if data["action"] == "assign_to_me":
            params["assignee"] = actor.pk
        elif data["action"] == "assign" and data["assignee"]:
            params["assignee"] = None if data["assignee"] == UNASSIGN else int(data["assignee"])
        elif data["action"] == "priority":
            params["priority"] = data["priority"]
        elif data["action"] == "add_label" and data["label"] is not None:
            params["label"] = data["label"]
        elif data["action"] == "transition":
            params.update(status=data["status"], comment=data["comment"])
        return action, params


def _result_name(result: BulkResult) -> str:
    """A row of the summary: the ticket's key when the caller may see it, else the id as asked."""
    if result.ticket is not None and result.ticket.key:
        return result.ticket.key
    return f"#{result.ticket_id}"


def _summary(form: BulkForm, results: list[BulkResult] | None) -> dict[str, Any]:
    if results is None:
        return {"results": None}
    done = sum(result.ok for result in results)
    return {
        "results": results,
        "results_title": BULK_BUTTONS[form.cleaned_data["action"]][1],
        "results_done": done,
        "results_refused": len(results) - done,
    }


def _flash(request: HttpRequest, form: BulkForm, results: list[BulkResult] | None) -> None:
    """Without JavaScript the page redirects back: the outcome travels as messages, one line per refusal."""
    if results is None:
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, str(error))
        return
    title = BULK_BUTTONS[form.cleaned_data["action"]][1]
    done = [result for result in results if result.ok]
    refused = [result for result in results if not result.ok]
    messages.add_message(
        request,
        messages.WARNING if refused else messages.SUCCESS,
        f"{title}: {len(done)} done, {len(refused)} refused.",
    )
    if done:
        messages.success(request, f"Done: {', '.join(_result_name(result) for result in done)}.")
    for result in refused:
        messages.error(request, f"{_result_name(result)} refused: {result.detail}")


@require_POST
@login_required
def queue_bulk(request: HtmxRequest, queue: str) -> HttpResponse:
    """One action on the ticked rows, each ticket through its service (tickets.services.bulk). Without JavaScript:
    redirect back to the same page of the queue with the outcome as messages; with htmx: the page's body again, with
    a per-row summary."""
    current, queues = queue_and_queues(queue, request.user)
    actor = request.user
    assert isinstance(actor, User)
    if not is_agent(actor):
        raise PermissionDenied("Bulk actions are for agents.")
    form = BulkForm(request.POST)
    results = None
    if form.is_valid():
        action, params = form.service_arguments(actor)
        ids = form.cleaned_data["ids"]
        results = call_service(form, lambda: bulk_apply(actor=actor, ticket_ids=ids, action=action, params=params))
    if request.htmx:
        context = _page_context(request, current, queues, bulk_form=form, **_summary(form, results))
        return render(request, f"{TEMPLATE}#body", context)
    _flash(request, form, results)
    return redirect(f"{reverse('workspace:queue', kwargs={'queue': current.address})}?{request.GET.urlencode()}")
