"""Access to restricted tickets (SPEC §7, docs/workspace/access.md): who has access and the grants on the ticket page,
the access requests to decide, and asking for access to a ticket one cannot see.

Reads go through permissions.selectors (the API's selectors), writes through permissions.services. The panel's forms
post here; with htmx the answer is the panel again (swapped in place), without it a redirect with a message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from permissions import selectors, services
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from tickets.models import Ticket
from tickets.selectors import ticket_get_by_key
from ticketsite.errors import DomainPermissionDenied
from ticketsite.limits import REMARK_MAX_LENGTH
from workspace.forms import call_service
from workspace.middleware import same_site

PANEL = "workspace/access/panel.html"
PAGE_SIZE = 25


class Request(HttpRequest):
    """A request as django-htmx's middleware leaves it (for the type checker)."""

    htmx: HtmxDetails


# --- forms -----------------------------------------------------------------------------------------------------------


class GrantForm(forms.Form):
    """A user (by username) or a role (by name); the field names are the service's, so its errors land on them."""

    user = forms.ModelChoiceField(
        User.objects.all(),
        to_field_name="username",
        required=False,
        label="Username",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"invalid_choice": "No one has this username."},
    )
    role = forms.ModelChoiceField(
        Group.objects.all(),
        to_field_name="name",
        required=False,
        label="or role",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"invalid_choice": "No role has this name."},
    )

    def __init__(self, *args: Any, ticket: Ticket, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "grant_%s")  # unique ids beside the other forms of the ticket page
        super().__init__(*args, **kwargs)
        self.ticket, self.actor = ticket, actor

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            # A grant that exists already is a mistake in the form, not a page of its own.
            call_service(
                self,
                lambda: services.grant_check(
                    ticket=self.ticket, actor=self.actor, user=cleaned.get("user"), role=cleaned.get("role")
                ),
                conflict_on_form=True,
            )
        return cleaned


class DecisionForm(forms.Form):
    """Approve or deny (the button pressed), with a comment; the deny service requires the comment."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")])
    comment = forms.CharField(
        required=False,
        max_length=REMARK_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Comment",
        help_text="Optional to approve, required to deny.",
    )


class RequestAccessForm(forms.Form):
    reason = forms.CharField(max_length=REMARK_MAX_LENGTH, widget=forms.Textarea, label="Why do you need access?")


DECIDE = {"approve": services.access_request_approve, "deny": services.access_request_deny}


def decision_form(access_request: AccessRequest, data: Any = None) -> DecisionForm:
    return DecisionForm(data, auto_id=f"decide_{access_request.pk}_%s")


# --- the panel on the ticket page ------------------------------------------------------------------------------------


def require_grant_manager(user: User | AnonymousUser, ticket: Ticket) -> None:
    """Those who see the ticket but do not manage its grants are refused before their input is read (as the API refuses
    them the ticket's access requests), so a form error never shows them an access request."""
    if not selectors.can_manage_grants(user, ticket):
        raise DomainPermissionDenied("Only the ticket's creator, its assignee or a permissions manager can do this.")


def panel_context(
    request: Request,
    ticket: Ticket,
    *,
    grant_form: GrantForm | None = None,
    decided: tuple[AccessRequest, DecisionForm] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """What the panel shows `request.user`, who sees `ticket`: what the API would show them (grants to every viewer,
    access requests to grant managers only), with the forms of grant managers (one bound to its errors)."""
    manages = selectors.can_manage_grants(request.user, ticket)
    approver_users, approver_roles = selectors.ticket_approvers(ticket=ticket)
    pending: list[tuple[AccessRequest, DecisionForm]] = []
    if manages:
        requests = selectors.ticket_access_requests(ticket=ticket).filter(status=AccessRequestStatus.PENDING)
        bound = dict([decided]) if decided else {}
        pending = [(each, bound.get(each, decision_form(each))) for each in requests.select_related("requester")]
    assert isinstance(request.user, User)
    return {
        "ticket": ticket,
        "ticket_url": reverse("workspace:ticket", kwargs={"key": ticket.key}),
        "manages": manages,
        "approver_users": approver_users,
        "approver_roles": approver_roles,
        "grants": selectors.ticket_grants(ticket=ticket).select_related("user", "role", "created_by"),
        "grant_form": grant_form or GrantForm(ticket=ticket, actor=request.user),
        "pending": pending,
        "notice": notice,
    }


def panel_refused(request: Request, ticket: Ticket, **forms_: Any) -> HttpResponse:
    """A form of the panel with errors: the panel in place (htmx swaps only 2xx answers), else a page with the panel."""
    context = panel_context(request, ticket, **forms_)
    if request.htmx:
        return render(request, PANEL, context)
    return render(request, "workspace/access/panel_page.html", context, status=400)


def panel_done(request: Request, ticket: Ticket, message: str) -> HttpResponse:
    if request.htmx:
        return render(request, PANEL, panel_context(request, ticket, notice=message))
    messages.success(request, message)
    return redirect("workspace:ticket", key=ticket.key)


def name_of(user: User) -> str:
    return user.get_full_name() or user.get_username()


def grantee(grant: TicketViewPermission) -> str:
    if grant.role is not None:
        return f"the members of {grant.role.name}"
    assert grant.user is not None  # a grant names a user or a role
    return name_of(grant.user)


@login_required
@require_POST
def grant_add(request: Request, key: str) -> HttpResponse:
    ticket = ticket_get_by_key(user=request.user, key=key)
    require_grant_manager(request.user, ticket)
    assert isinstance(request.user, User)
    form = GrantForm(request.POST, ticket=ticket, actor=request.user)
    if not form.is_valid():
        return panel_refused(request, ticket, grant_form=form)
    grant = services.grant_create(
        ticket=ticket, actor=request.user, user=form.cleaned_data["user"], role=form.cleaned_data["role"]
    )
    return panel_done(request, ticket, f"Access granted to {grantee(grant)}.")


@login_required
@require_POST
def grant_revoke(request: Request, key: str, grant_id: int) -> HttpResponse:
    ticket = ticket_get_by_key(user=request.user, key=key)
    grant = selectors.get_ticket_grant(ticket=ticket, grant_id=grant_id)
    services.grant_revoke(grant=grant, actor=request.user)
    return panel_done(request, ticket, f"The grant to {grantee(grant)} was revoked.")


# --- access requests -------------------------------------------------------------------------------------------------


def safe_next(request: Request) -> str:
    return same_site(request, request.POST.get("next", ""))


@login_required
@require_POST
def access_request_decide(request: Request, request_id: int) -> HttpResponse:
    access_request = selectors.get_decidable_access_request(request.user, request_id)
    ticket = access_request.ticket
    require_grant_manager(request.user, ticket)
    form = decision_form(access_request, request.POST)
    decided = None
    if form.is_valid():
        decide, comment = DECIDE[form.cleaned_data["decision"]], form.cleaned_data["comment"]
        decided = call_service(form, lambda: decide(access_request=access_request, actor=request.user, comment=comment))
    if decided is None:
        if request.htmx:
            return render(request, PANEL, panel_context(request, ticket, decided=(access_request, form)))
        context = {"access_request": access_request, "form": form, "next": safe_next(request)}
        return render(request, "workspace/access/decide.html", context, status=400)
    verb = "approved: they may now see the ticket" if decided.status == AccessRequestStatus.APPROVED else "denied"
    message = f"The request of {name_of(access_request.requester)} was {verb}."
    if request.htmx:
        return render(request, PANEL, panel_context(request, ticket, notice=message))
    messages.success(request, message)
    return redirect(safe_next(request) or "workspace:access-requests")


@login_required
def access_requests(request: Request) -> HttpResponse:
    """Pending requests the caller may decide, and the caller's own requests with their outcome."""
    user = request.user
    assert isinstance(user, User)
    to_decide = selectors.access_requests_to_decide(user).select_related("ticket", "requester")
    mine = selectors.own_access_requests(user).select_related("decided_by")
    decide_page = Paginator(to_decide, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "decide_page": decide_page,
        "decide_rows": [(each, decision_form(each)) for each in decide_page],
        "mine_page": Paginator(mine, PAGE_SIZE).get_page(request.GET.get("mine_page")),
        "next": request.get_full_path(),
    }
    return render(request, "workspace/access/requests.html", context)


# --- asking for access -----------------------------------------------------------------------------------------------

# The page a person sees at the address of a ticket they cannot see, or of no ticket at all (workspace.middleware renders
# it for the `ticket` route's 404): the same bytes in both cases.
REQUEST_ACCESS = "workspace/access/request_access.html"


@login_required
@require_POST
def request_access(request: Request, key: str) -> HttpResponse:
    """Asking for access reveals what the API's POST tickets/{id}/access-requests/ reveals, in the same order: a missing
    or deleted ticket is 404 before anything else; then the input (400), then the service (409 already visible or a
    pending request; else the request is made)."""
    ticket = selectors.get_requestable_ticket_by_key(key)
    form = RequestAccessForm(request.POST)
    assert isinstance(request.user, User)
    requester = request.user
    made = None
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        made = call_service(form, lambda: services.access_request_create(ticket=ticket, requester=requester, reason=reason))
    if made is None:
        return render(request, REQUEST_ACCESS, {"form": form}, status=400)
    messages.success(request, "Your request for access was sent. You will see the answer here.")
    return redirect("workspace:access-requests")
