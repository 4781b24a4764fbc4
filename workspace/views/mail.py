"""The pages mail links open (docs/workspace.md "Pages that mail links open"): deciding an approval from the Approve or
Reject link of a mail, and turning off the e-mails of one event type from a mail's unsubscribe link.

Both work without signing in: the signed token in the URL is the authentication, for that one act only. A GET only
shows what the link would do (mail scanners and link previews follow links); a POST does it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mailgate import approval_links
from mailgate.approval_links import LinkRefused
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from ticketsite.limits import REMARK_MAX_LENGTH
from workspace.forms import call_service


def session_user(request: HttpRequest) -> User | None:
    """The signed-in person, or None (these pages are open to whoever holds the link)."""
    return request.user if isinstance(request.user, User) else None


def refused(request: HttpRequest, *, headline: str, message: str, status: int) -> HttpResponse:
    """The page of a link that does nothing: what is wrong, in words, with its status code."""
    context = {"headline": headline, "message": message}
    return render(request, "workspace/mail/refused.html", context, status=status)


# --- approval by link ----------------------------------------------------------------------------------------------


class ApprovalLinkForm(forms.Form):
    """The comment of a decision by link: a reason, required, to reject; an optional comment to approve."""

    comment = forms.CharField(max_length=REMARK_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, approve: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        comment = self.fields["comment"]
        comment.required = not approve
        comment.label = "Comment" if approve else "Reason"
        comment.help_text = "Optional." if approve else "Required: the requester reads it."


@require_http_methods(["GET", "HEAD", "POST"])
def approval(request: HttpRequest, token: str) -> HttpResponse:
    """Approve or reject one slot from a mail's link, as the person the link was mailed to, signed in or not (the
    token is the authentication for this one decision: mailgate.approval_links). GET shows the request and asks to
    confirm; only the POST of that form decides. A link that cannot decide is its refusal's page; a refusal of the
    service at the moment of deciding (409, 403) is the workspace's error page. CSRF applies: the form is ours and
    carries the token (the CSRF cookie needs no session)."""
    link = approval_links.approval_link(token, session_user=session_user(request))
    if isinstance(link, LinkRefused):  # 404 not valid, 410 expired, 403 not theirs (any more), 409 over
        return refused(request, headline=link.headline, message=link.message, status=link.error.status_code)
    form = ApprovalLinkForm(request.POST if request.method == "POST" else None, approve=link.approve)
    if form.is_valid():
        comment = form.cleaned_data["comment"]
        decided = call_service(form, lambda: approval_links.approval_link_decide(link=link, comment=comment))
        if decided is not None:
            return render(request, "workspace/mail/approval_done.html", {"link": link, "slot": decided})
    return render(request, "workspace/mail/approval.html", {"link": link, "form": form})


# --- unsubscribe ---------------------------------------------------------------------------------------------------


# RFC 8058 one-click unsubscribe: the mail client POSTs `List-Unsubscribe=One-Click` to this URL itself, with no
# session and no CSRF token, so this one route is exempt. CSRF protects a session's authority from other sites; here
# there is none to abuse: the signed token in the URL is the whole authentication, for one act (e-mails of one event
# type off), and whoever has the link may do exactly that.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks "Stop e-mails about …?" and changes nothing (mail scanners follow links); POST (our button, or a mail
    client's one-click) turns those e-mails off through notifications.services.email_preference_set."""
    target = notification_selectors.unsubscription(token)
    if target is None:
        return refused(request, headline="This link is not valid", message="Nothing was changed.", status=404)
    context = {"event_label": target.event.label, "for_user": target.user}
    if request.method == "POST":
        notification_services.email_preference_set(user=target.user, event_type=target.event, email=False)
        return render(request, "workspace/mail/unsubscribed.html", context)
    return render(request, "workspace/mail/unsubscribe.html", context)
