"""The ticket page's actions. Each is a POST through one service, then back to the page with a message; with htmx the
comment forms answer with the conversation (timeline and comment box) swapped in place. A refusal of the service
(403, 404, 409, 413, 415) is the middleware's error page; a validation error shows the page again with the posted form
and its errors next to the fields (400). Every action resolves the ticket through the visibility rule first, so a
ticket the caller cannot see is a 404 before anything is read or written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from tickets.api.views.attachments import AttachmentSizeLimitUploadHandler, attachment_file_response
from tickets.models import Attachment, Ticket
from tickets.selectors import comment_get
from tickets.selectors_attachments import get_visible_attachment
from tickets.services.attachments import attachment_create, attachment_delete
from tickets.services.tickets import comment_create, comment_delete, comment_update, ticket_transition, ticket_update
from ticketsite.errors import DomainNotFound
from workspace.forms import call_service
from workspace.views.ticket.forms import DETAIL_FIELDS, AttachmentForm, CommentForm, DetailsForm
from workspace.views.ticket.page import Bound, Request, get_ticket, render_page, transition_form, transition_words

CONVERSATION = "conversation"  # the partial of the page the comment forms swap


def back_to(ticket: Ticket, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("workspace:ticket", kwargs={"key": ticket.key})
    return redirect(f"{url}#{anchor}" if anchor else url)


def refused(request: Request, key: str, bound: Bound) -> HttpResponse:
    """The page again with the posted form and its errors. The ticket is read anew: a refused service may have changed
    the object in memory before its transaction rolled back."""
    return render_page(request, get_ticket(request, key), bound=bound, status=400)


def attachment_of(request: Request, ticket: Ticket, attachment_id: int) -> Attachment:
    """A live attachment of this ticket (or of one of its live comments) the caller may see, else 404."""
    attachment = get_visible_attachment(request.user, attachment_id)
    if attachment.ticket_id != ticket.pk:
        raise DomainNotFound()
    return attachment


# --- the ticket ------------------------------------------------------------------------------------------------------


@login_required
@require_POST
def transition(request: Request, key: str) -> HttpResponse:
    """One of the caller's allowed transitions, with its optional comment; the state machine (in the service) judges."""
    ticket = get_ticket(request, key)
    form = transition_form(request.POST.get("to_status", ""), request.POST)
    if form.is_valid():
        target, comment = form.cleaned_data["to_status"], form.cleaned_data["comment"]
        words = transition_words(ticket, target)
        done = call_service(
            form, lambda: ticket_transition(ticket=ticket, actor=request.user, to_status=target, comment=comment)
        )
        if done is not None:
            messages.success(request, f"{words}: {done.key} is now {done.get_status_display().lower()}.")
            return back_to(done)
    return refused(request, key, Bound(transition=form))


@login_required
@require_POST
def assign_to_me(request: Request, key: str) -> HttpResponse:
    ticket = get_ticket(request, key)
    ticket_update(ticket=ticket, actor=request.user, data={"assignee": request.user})
    messages.success(request, f"{ticket.key} is assigned to you.")
    return back_to(ticket)


@login_required
@require_POST
def update_details(request: Request, key: str) -> HttpResponse:
    """Priority, assignee, due date, categories and labels: the fields the form showed (named in `fields`), whoever
    posts them; ticket_update refuses (403) a change the caller may not make."""
    ticket = get_ticket(request, key)
    shown = frozenset(request.POST.getlist("fields")) & frozenset(DETAIL_FIELDS)
    form = DetailsForm(request.POST, ticket=ticket, editable=shown)
    if form.is_valid():
        if not form.has_changed():
            messages.info(request, "Nothing was changed.")
            return back_to(ticket)
        if call_service(form, lambda: ticket_update(ticket=ticket, actor=request.user, data=form.changes())) is not None:
            messages.success(request, f"{ticket.key} is saved.")
            return back_to(ticket)
    return refused(request, key, Bound(details=form))


# --- comments --------------------------------------------------------------------------------------------------------


def _done(request: Request, ticket: Ticket, message: str) -> HttpResponse:
    """After a comment action: with htmx the conversation partial, else back to the page's timeline with `message`."""
    if request.htmx:
        return render_page(request, ticket, partial=CONVERSATION)
    messages.success(request, message)
    return back_to(ticket, "timeline")


def _comment_refused(request: Request, ticket: Ticket, bound: Bound) -> HttpResponse:
    """The posted comment form with its errors: in the conversation partial with htmx (which swaps only a success),
    else on the page (400)."""
    if request.htmx:
        return render_page(request, ticket, bound=bound, partial=CONVERSATION)
    return refused(request, ticket.key or "", bound)


@login_required
@require_POST
def comment_add(request: Request, key: str) -> HttpResponse:
    ticket = get_ticket(request, key)
    form = CommentForm(request.POST)
    if form.is_valid():
        note = form.cleaned_data["note"]
        if call_service(form, lambda: comment_create(ticket=ticket, actor=request.user, note=note)) is not None:
            return _done(request, ticket, "Your comment is added.")
    return _comment_refused(request, ticket, Bound(comment=form))


@login_required
@require_POST
def comment_edit(request: Request, key: str, note_id: int) -> HttpResponse:
    """Only its author edits a comment (comment_update answers 403 to anyone else)."""
    ticket = get_ticket(request, key)
    comment = comment_get(ticket=ticket, note_id=note_id)
    form = CommentForm(request.POST, prefix=f"edit-{comment.pk}")
    if form.is_valid():
        note = form.cleaned_data["note"]
        if call_service(form, lambda: comment_update(comment=comment, actor=request.user, note=note)) is not None:
            return _done(request, ticket, "Your comment is saved.")
    return _comment_refused(request, ticket, Bound(comment_edit=(comment.pk, form)))


@login_required
@require_POST
def comment_remove(request: Request, key: str, note_id: int) -> HttpResponse:
    """Only its author deletes a comment (comment_delete answers 403 to anyone else)."""
    ticket = get_ticket(request, key)
    comment_delete(comment=comment_get(ticket=ticket, note_id=note_id), actor=request.user)
    return _done(request, ticket, "Your comment is deleted.")


# --- attachments -----------------------------------------------------------------------------------------------------


@login_required
@csrf_exempt  # checked by _attach, once the ticket is known and the size limit is in place (Django's upload recipe)
@require_POST
def attachment_upload(request: Request, key: str) -> HttpResponse:
    ticket = get_ticket(request, key)  # before the body is read: nothing is parsed for a ticket one cannot see
    # Refuses (413) as soon as the file passes the limit, as the API's upload does, instead of spooling it all first.
    request.upload_handlers.insert(0, AttachmentSizeLimitUploadHandler(request))
    return _attach(request, ticket)


@csrf_protect
def _attach(request: Request, ticket: Ticket) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload: Any = form.cleaned_data["file"]
        attachment = call_service(
            form,
            lambda: attachment_create(actor=request.user, upload=upload, ticket=ticket, claimed_type=upload.content_type),
            upload_field="file",
        )
        if attachment is not None:
            messages.success(request, f"{attachment.file_name} is attached.")
            return back_to(ticket, "attachments")
    return refused(request, ticket.key or "", Bound(attachment=form))


@login_required
@require_safe
def attachment_download(request: Request, key: str, attachment_id: int) -> FileResponse:
    """The file, streamed exactly as the API's download serves it (attachment, nosniff, sandboxed)."""
    return attachment_file_response(attachment_of(request, get_ticket(request, key), attachment_id))


@login_required
@require_POST
def attachment_remove(request: Request, key: str, attachment_id: int) -> HttpResponse:
    """Its uploader (while the ticket is not final) or an attachment moderator; attachment_delete judges."""
    ticket = get_ticket(request, key)
    attachment = attachment_delete(actor=request.user, attachment=attachment_of(request, ticket, attachment_id))
    messages.success(request, f"{attachment.file_name} is deleted.")
    return back_to(ticket, "attachments")
