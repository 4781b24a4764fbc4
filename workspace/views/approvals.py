"""The approver's pages: "Awaiting my approval" (deciding from the list), the decision itself (also posted by the ticket
page's approval panel, workspace.templatetags.approval_panels) and "My proxies". Reads through approvals.selectors,
writes through approvals.services; which slot one may decide, and how, is the engine's rule (`_routes`), never ours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from approvals import selectors, services
from approvals.models import ApprovalProcessStepApprover as Slot
from approvals.models import SlotStatus
from approvals.selectors import Route
from ticketsite.limits import REMARK_MAX_LENGTH
from workspace.forms import call_service
from workspace.middleware import same_site
from workspace.templatetags.workspace_ui import person

AWAITING_PAGE_SIZE = 50
RECENT_DECISIONS = 10
DELEGATIONS_PAGE_SIZE = 25


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails  # set by django_htmx's middleware


def caller(request: HttpRequest) -> User:
    """The signed-in person (every view here is login_required)."""
    assert isinstance(request.user, User)
    return request.user


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` the form carries when it points into this site, else `default` (no open redirect)."""
    return same_site(request, request.POST.get("next", "")) or default


# --- deciding ------------------------------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        required=False,
        max_length=REMARK_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional to approve, required to reject.",
    )


def decision_form(slot: Slot, data: QueryDict | None = None) -> DecisionForm:
    """A decision form whose field ids are unique on a page listing many slots."""
    return DecisionForm(data, auto_id=f"slot{slot.pk}_%s")


@dataclass(frozen=True)
class SlotRow:
    """A slot as a row of the list: how the caller may decide it (None once decided) and its decision form."""

    slot: Slot
    route: Route | None
    form: DecisionForm


@login_required
def awaiting(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    page = Paginator(selectors.awaiting_slots(user), AWAITING_PAGE_SIZE).get_page(request.GET.get("page"))
    slots = list(page)
    routes = selectors.acting_routes(actor=user, slots=Slot.objects.filter(pk__in=[slot.pk for slot in slots]))
    context = {
        "nav_section": "approvals",
        "page": page,
        "rows": [SlotRow(slot, routes.get(slot.pk), decision_form(slot)) for slot in slots],
        "recent": list(selectors.decided_slots(user)[:RECENT_DECISIONS]),
        "next": request.get_full_path(),
    }
    return render(request, "workspace/approvals/awaiting.html", context)


def decided_message(slot: Slot) -> str:
    verb = "approved" if slot.status == SlotStatus.APPROVED else "rejected"
    behalf = f" for {person(slot.on_behalf_of)}" if slot.on_behalf_of else ""
    return f'You {verb} {slot.ticket.key} (step "{slot.step.name}"){behalf}.'


@login_required
@require_POST
def decide(request: HtmxHttpRequest, slot_id: int) -> HttpResponse:
    """Approve or reject one slot (approvals.services.approval_decide). A refusal (no longer actionable: 409; not the
    caller's to decide: 403) is the error page; a slot of a ticket the caller cannot see does not exist (404)."""
    user = caller(request)
    slot = get_object_or_404(selectors.visible_slots(user).select_related(*selectors.SLOT_ROW_RELATIONS), pk=slot_id)
    form = decision_form(slot, request.POST)
    decided = (
        call_service(
            form,
            lambda: services.approval_decide(
                slot=slot, actor=user, approve=form.cleaned_data["decision"] == "approve", comment=form.cleaned_data["comment"]
            ),
        )
        if form.is_valid()
        else None
    )
    back = safe_next(request, reverse("workspace:approvals"))
    if decided is None:
        if request.htmx:
            row = SlotRow(slot, selectors.acting_route(actor=user, slot=slot), form)
            return render(request, "workspace/approvals/awaiting.html#slot-row", {"row": row, "next": back})
        return render(request, "workspace/approvals/decide.html", {"slot": slot, "form": form, "next": back})
    slot = get_object_or_404(selectors.decided_slots(user), pk=slot.pk)
    if request.htmx:
        return render(request, "workspace/approvals/awaiting.html#decided", {"row": SlotRow(slot, None, form)})
    messages.success(request, decided_message(slot))
    return redirect(back)


# --- proxies -------------------------------------------------------------------------------------------------------


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        to_field_name="username",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        label="Delegate's username",
        error_messages={"invalid_choice": "No active user has this username."},
        help_text="The person who may approve for you during the window.",
    )
    starts_at = forms.DateTimeField(
        label="Starts", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    reason = forms.CharField(required=False, max_length=REMARK_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        self.fields["starts_at"].help_text = self.fields["ends_at"].help_text = f"Time zone: {zone}."


@login_required
@require_http_methods(["GET", "POST"])
def proxies(request: HttpRequest) -> HttpResponse:
    """The caller's delegations, given and received, and the form lending their approval rights to someone."""
    user = caller(request)
    form = DelegationForm(request.POST or None, initial={"starts_at": timezone.localtime().replace(second=0, microsecond=0)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = call_service(
            form,
            lambda: services.delegation_create(
                actor=user,
                delegate=data["delegate"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
            ),
        )
        if created is not None:
            messages.success(request, f"{person(created.delegate)} may approve for you in the window you set.")
            return redirect("workspace:proxies")
    page = Paginator(selectors.own_delegations(user), DELEGATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workspace/approvals/proxies.html", {"form": form, "page": page, "me": user})


@login_required
@require_POST
def proxy_end(request: HttpRequest, delegation_id: int) -> HttpResponse:
    """End one of the caller's delegations now (approvals.services.delegation_end: a running one ends, an upcoming one
    is withdrawn). Only the delegator may (403 for the delegate); someone else's is not found."""
    user = caller(request)
    delegation = get_object_or_404(selectors.own_delegations(user), pk=delegation_id)
    ended = services.delegation_end(delegation=delegation, actor=user)
    delegate = person(delegation.delegate)
    messages.success(
        request, f"{delegate} no longer approves for you." if ended else f"The delegation to {delegate} is withdrawn."
    )
    return redirect("workspace:proxies")
