"""Signing in and out, changing one's password, and the landing page that sends each person to their first page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy

from approvals.selectors import actionable_slots
from permissions.selectors import MANAGE_GRANTS_PERMISSION, access_requests_to_decide, can_view_all
from tickets.statemachine import is_agent


class LoginView(auth_views.LoginView):
    """Django's login: authenticate() gets the request, so django-axes counts failures and locks out exactly as for the
    API's token endpoint and the admin (one lockout per username and per address)."""

    template_name = "workspace/account/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link or an image cannot sign anybody out."""


class PasswordChangeView(auth_views.PasswordChangeView):
    """set_password() changes the hash that every API token is bound to: a changed password ends the person's tokens
    (ticketsite.authentication). The session that changed it stays signed in."""

    template_name = "workspace/account/password_change.html"
    success_url = reverse_lazy("workspace:home")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each person starts where their work is: agents at the Unassigned queue, approvers with something waiting at
    their approvals, managers (of grants on any ticket) with access requests to decide at those, auditors (who see
    every ticket) at all tickets, everybody else at their requests."""
    user = request.user
    if is_agent(user):
        return redirect("workspace:queue", queue="unassigned")
    if actionable_slots(user).exists():
        return redirect("workspace:approvals")
    if user.has_perm(MANAGE_GRANTS_PERMISSION) and access_requests_to_decide(user).exists():
        return redirect("workspace:access-requests")
    if can_view_all(user):
        return redirect("workspace:queue", queue="all")
    return redirect("workspace:my-requests")
