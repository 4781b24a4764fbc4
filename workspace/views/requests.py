"""The requester's pages: "My requests", the catalogue of ticket templates, the new request form (fields generated
from the template's JSON Schema, attachments, save as draft or submit) and the edit page (docs/workspace/requests.md).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from approvals.models import ApprovalProcessStep, ApprovalType
from approvals.selectors import waiting_steps
from tickets import statemachine
from tickets.models import Ticket, TicketPriority, TicketStatus, TicketTemplate, TicketVisibility
from tickets.selectors import requests_of, template_catalogue, template_get, ticket_get_by_key
from tickets.services.attachments import ticket_create_with_attachments
from tickets.services.tickets import editable_fields, ticket_transition, ticket_update
from ticketsite.errors import DomainConflict
from ticketsite.limits import TITLE_MAX_LENGTH
from workspace.forms import call_service
from workspace.schema_form import PREFIX, custom_fields_of, schema_fields
from workspace.templatetags.workspace_ui import person

PAGE_SIZE = 25
# "My requests" shows one of these groups of statuses; "open" is every status that is not final.
STATUS_GROUPS = {"open": "Open", "closed": "Closed and cancelled", "all": "All"}
# What the edit page changes: the request as written. Visibility is offered too while the person may change it.
CONTENT_FIELDS = frozenset({"title", "description", "custom_fields"})
VISIBILITY_CHOICES = [
    (TicketVisibility.INTERNAL, "Internal: everyone in the help desk may see it"),
    (TicketVisibility.RESTRICTED, "Restricted: only you, the people working on it and those you let in"),
]
# What a request waits on, by status, when it is not waiting for approval or for the help desk.
WAITS_ON_STATUS = {
    TicketStatus.DRAFT: "You: submit it",
    TicketStatus.REJECTED: "You: revise it",
    TicketStatus.RESOLVED: "You: close it, or reopen it",
    TicketStatus.CLOSED: "Nothing",
    TicketStatus.CANCELLED: "Nothing",
}


class Request(HttpRequest):
    """A request as django-htmx's middleware leaves it (for the type checker)."""

    htmx: HtmxDetails


def requester(request: HttpRequest) -> User:
    """The signed-in person (every page here requires signing in)."""
    assert isinstance(request.user, User)
    return request.user


def waits_on(ticket: Ticket, step: ApprovalProcessStep | None) -> str:
    """Who has to act next: the approvers of the running step ("Security review: Erin Cole or Managers (role)"), the
    requester, or the assignee ("an agent" while nobody has taken it)."""
    if ticket.status == TicketStatus.WAITING_APPROVAL:
        if step is None:
            return "Approval"
        joiner = " or " if step.approval_type == ApprovalType.ANY else " and "
        who = [person(slot.user) if slot.user_id else f"{slot.role} (role)" for slot in step.approvers.all()]
        return f"{step.name}: {joiner.join(who)}"
    if ticket.status in WAITS_ON_STATUS:
        return WAITS_ON_STATUS[TicketStatus(ticket.status)]
    return person(ticket.assignee) if ticket.assignee_id else "an agent"


# --- forms: input types and widgets only; the services judge the values ---------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Any number of files (none included); each is inspected by the attachment service."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        clean_one = super().clean
        files = data if isinstance(data, (list, tuple)) else [data]
        return [clean_one(upload, initial) for upload in files if upload]


class RequestForm(forms.Form):
    """A request as its requester writes it: title, description, who may see it, the template's custom fields; on a
    new request also its priority and files. Only the fields `editable` names are offered."""

    title = forms.CharField(required=False, widget=forms.TextInput(attrs={"required": True, "maxlength": TITLE_MAX_LENGTH}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    priority = forms.CharField(required=False, widget=forms.Select(choices=TicketPriority.choices))
    visibility = forms.CharField(required=False, label="Who may see it", widget=forms.RadioSelect(choices=VISIBILITY_CHOICES))
    file = FilesField(required=False, allow_empty_file=True, label="Attachments")

    def __init__(self, *args: Any, template: TicketTemplate | None, editable: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = template.custom_fields_schema if template is not None else None
        for name in [name for name in self.fields if name not in editable]:
            del self.fields[name]
        if "custom_fields" in editable:
            self.fields.update(schema_fields(self.schema, values=self.initial.get("custom_fields")))
        if "file" in self.fields:
            self.fields["file"].help_text = f"Any number of files, up to {filesizeformat(settings.ATTACHMENT_MAX_SIZE)} each."

    def custom_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(PREFIX)]

    def request_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in ("title", "description") if name in self.fields]

    def setting_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in ("priority", "visibility") if name in self.fields]

    def values(self, *, stored: dict[str, Any] | None) -> dict[str, Any]:
        """The ticket's fields as the services take them; custom fields merged into `stored`, the ticket's (None for a
        new request)."""
        values: dict[str, Any] = {
            name: self.cleaned_data[name] for name in ("title", "description", "priority", "visibility") if name in self.fields
        }
        if self.custom_rows():
            values["custom_fields"] = custom_fields_of(self, self.schema, stored=stored)
        return values


class SubmitRefusal(forms.Form):
    """No fields: where the reasons a submit was refused are collected (call_service), to tell the person."""


NEW_REQUEST_FIELDS = frozenset({"title", "description", "priority", "visibility", "file", "custom_fields"})


# --- pages ---------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def my_requests(request: Request) -> HttpResponse:
    """The caller's requests, newest first, by status group, searchable by title or key, with what each waits on."""
    group = request.GET.get("status", "open")
    group = group if group in STATUS_GROUPS else "open"
    query = request.GET.get("q", "").strip()
    tickets = requests_of(user=requester(request))
    if group == "open":
        tickets = tickets.exclude(status__in=statemachine.FINAL_STATUSES)
    elif group == "closed":
        tickets = tickets.filter(status__in=statemachine.FINAL_STATUSES)
    if query:
        tickets = tickets.filter(Q(title__icontains=query) | Q(key__iexact=query))
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    steps = waiting_steps(ticket_ids=[ticket.pk for ticket in page if ticket.status == TicketStatus.WAITING_APPROVAL])
    context = {
        "nav_section": "requests",
        "page": page,
        "rows": [(ticket, waits_on(ticket, steps.get(ticket.pk))) for ticket in page],
        "group": group,
        "groups": STATUS_GROUPS,
        "query": query,
        "filtered": bool(query) or group != "open",
    }
    return render(request, "workspace/requests/list.html#results" if request.htmx else "workspace/requests/list.html", context)


@login_required
@require_GET
def new_request(request: HttpRequest) -> HttpResponse:
    """The catalogue: every ticket template as a card, and a blank request."""
    context = {"nav_section": "new", "templates": list(template_catalogue())}
    return render(request, "workspace/requests/catalogue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def new_request_form(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """The form of a new request from a template (or blank). It is created as a draft with its files in one
    transaction; "Submit" then moves the draft on, and a refused submit leaves the draft, saying why."""
    user = requester(request)
    template = template_get(template_id=template_id) if template_id is not None else None
    initial = {
        "title": template.default_title if template else "",
        "description": template.default_description if template else "",
        "priority": template.default_priority if template else TicketPriority.MEDIUM,
        "visibility": template.default_visibility if template else TicketVisibility.INTERNAL,
    }
    data = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = RequestForm(*data, initial=initial, template=template, editable=NEW_REQUEST_FIELDS)
    if form.is_bound and form.is_valid():
        ticket = call_service(
            form,
            lambda: ticket_create_with_attachments(
                actor=user, uploads=form.cleaned_data["file"], template=template, **form.values(stored=None)
            ),
            upload_field="file",
        )
        if ticket is not None:
            if request.POST.get("action") == "draft":
                messages.success(request, f"{ticket.key} is saved as a draft. Submit it when it is ready.")
            else:
                _submit(request, ticket, user)
            return redirect("workspace:ticket", key=ticket.key)
    # A browser cannot refill a file input: when the form comes back, the person chooses the files again.
    files_dropped = bool(request.FILES) and bool(form.errors)
    context = {"nav_section": "new", "form": form, "template": template, "files_dropped": files_dropped}
    return render(request, "workspace/requests/form.html", context)


def _submit(request: HttpRequest, ticket: Ticket, user: User) -> None:
    """Submit a new draft (statemachine.submit_status: for approval when the ticket has an approval template, else
    open). A refusal (no eligible approver) keeps the draft, and the message says why."""
    target = statemachine.submit_status(ticket)
    refusal = SubmitRefusal(data={})
    if call_service(refusal, lambda: ticket_transition(ticket=ticket, actor=user, to_status=target)) is None:
        reasons = " ".join(str(reason) for reason in refusal.non_field_errors())
        messages.warning(request, f"{ticket.key} is saved as a draft, but it could not be submitted: {reasons}")
    elif target == TicketStatus.WAITING_APPROVAL:
        messages.success(request, f"{ticket.key} is submitted and waits for approval.")
    else:
        messages.success(request, f"{ticket.key} is submitted; the help desk will pick it up.")


def _refuse_edit(ticket: Ticket, user: User) -> NoReturn:
    """Why the person may not edit the request: not now (409: its creator, or a final ticket), or not theirs (403)."""
    if statemachine.is_final(ticket.status) or ticket.created_by_id == user.pk:
        hint = ""
        if TicketStatus.DRAFT in statemachine.allowed_transitions(ticket, user):
            hint = " Take it back to a draft on its page first."
        raise DomainConflict(
            f"{ticket.key} is {ticket.get_status_display().lower()}: its request can no longer be changed.{hint}",
            code="invalid_state",
        )
    raise PermissionDenied("Only the person who made this request may change it.")


@login_required
@require_http_methods(["GET", "POST"])
def ticket_edit(request: HttpRequest, key: str) -> HttpResponse:
    """The requester revises the title, description and custom fields (and who may see it) of their draft or
    rejected request, through ticket_update; what the page offers is what editable_fields allows."""
    user = requester(request)
    ticket = ticket_get_by_key(user=user, key=key)
    editable = editable_fields(ticket, user)
    if not editable & CONTENT_FIELDS:
        _refuse_edit(ticket, user)
    initial = {
        "title": ticket.title,
        "description": ticket.description,
        "visibility": ticket.visibility,
        "custom_fields": ticket.custom_fields,
    }
    data = request.POST if request.method == "POST" else None
    form = RequestForm(data, initial=initial, template=ticket.template, editable=editable & (CONTENT_FIELDS | {"visibility"}))
    if form.is_bound and form.is_valid():
        if not form.has_changed():
            messages.info(request, "Nothing was changed.")
            return redirect("workspace:ticket", key=ticket.key)
        values = form.values(stored=ticket.custom_fields)
        if call_service(form, lambda: ticket_update(ticket=ticket, actor=user, data=values)) is not None:
            messages.success(request, f"{ticket.key} is saved.")
            return redirect("workspace:ticket", key=ticket.key)
    context = {"nav_section": "requests", "form": form, "ticket": ticket, "template": ticket.template}
    return render(request, "workspace/requests/edit.html", context)
