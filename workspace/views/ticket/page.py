"""The ticket page (docs/workspace/ticket.md): what a ticket is, what happened to it (the timeline in words), and the
controls the caller may use now. Every read goes through the tickets selectors (the visibility rule); what the page
offers comes from the rules (allowed_transitions, editable_fields, can_delete_attachment), the services judge."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from tickets import statemachine
from tickets.models import Attachment, EventType, Ticket, TicketNote, TicketStatus
from tickets.selectors import ticket_get_by_key, timeline_list
from tickets.selectors_attachments import ticket_attachments
from tickets.services.attachments import can_delete_attachment, is_attachment_moderator
from tickets.services.tickets import editable_fields
from tickets.timeline_words import Names, Sentence, describe, names_for
from workspace.schema_form import property_order
from workspace.views.ticket.forms import DETAIL_FIELDS, AttachmentForm, CommentForm, DetailsForm, TransitionForm

PAGE = "workspace/ticket/page.html"
# What each transition's button says, by (from, to): words a person uses, not status names.
TRANSITION_WORDS: dict[tuple[str, str], str] = {
    (TicketStatus.DRAFT, TicketStatus.WAITING_APPROVAL): "Submit",
    (TicketStatus.DRAFT, TicketStatus.OPEN): "Submit",
    (TicketStatus.DRAFT, TicketStatus.CANCELLED): "Cancel draft",
    (TicketStatus.WAITING_APPROVAL, TicketStatus.DRAFT): "Withdraw",
    (TicketStatus.REJECTED, TicketStatus.DRAFT): "Revise",
    (TicketStatus.OPEN, TicketStatus.IN_PROGRESS): "Start work",
    (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED): "Resolve",
    (TicketStatus.RESOLVED, TicketStatus.IN_PROGRESS): "Reopen",
    (TicketStatus.RESOLVED, TicketStatus.CLOSED): "Close",
}
CONTENT_FIELDS = frozenset({"title", "description", "custom_fields"})


class Request(HttpRequest):
    """A request to these signed-in pages, as django-htmx's middleware leaves it (for the type checker)."""

    user: User  # type: ignore[assignment]  # every view here requires a signed-in person
    htmx: HtmxDetails


@dataclass
class Entry:
    """One line of the timeline as the page shows it: a comment (with its edits and, for its author, the edit form) or
    a system event in words."""

    note: TicketNote
    sentence: Sentence
    author: str
    edits: list[TicketNote] = field(default_factory=list)
    edit_form: forms.Form | None = None


@dataclass
class Transition:
    to_status: str
    words: str
    form: TransitionForm


@dataclass
class Bound:
    """Forms posted back with errors, shown in place of the empty ones (the page answers 400)."""

    comment: CommentForm | None = None
    details: DetailsForm | None = None
    attachment: AttachmentForm | None = None
    transition: TransitionForm | None = None
    comment_edit: tuple[int, forms.Form] | None = None


def transition_words(ticket: Ticket, to_status: str) -> str:
    """The button's words for moving `ticket` to `to_status` (the status's name for a move the table lacks)."""
    words = TRANSITION_WORDS.get((ticket.status, to_status))
    if words is not None:
        return words
    return str(TicketStatus(to_status).label) if to_status in TicketStatus.values else to_status


def custom_field_rows(ticket: Ticket) -> list[tuple[str, str]]:
    """(label, value) of each custom field answered: the schema's properties in the form's order, each by its `title`
    (else its name, humanised), then any value the schema does not name."""
    stored = ticket.template.custom_fields_schema if ticket.template is not None else None
    schema: dict[str, Any] = stored if isinstance(stored, dict) else {}
    properties: dict[str, Any] = schema["properties"] if isinstance(schema.get("properties"), dict) else {}
    values: dict[str, Any] = ticket.custom_fields if isinstance(ticket.custom_fields, dict) else {}
    order = [name for name in property_order(schema) if name in values]
    order += sorted(name for name in values if name not in order)
    rows = []
    for name in order:
        prop: dict[str, Any] = properties[name] if isinstance(properties.get(name), dict) else {}
        label = str(prop.get("title") or capfirst(name.replace("_", " ")))
        rows.append((label, _shown(values[name])))
    return rows


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return value
    if value is None:
        return "—"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def timeline_entries(ticket: Ticket, user: Any, bound: Bound) -> list[Entry]:
    """The timeline in words: one query for the notes, at most four for the names they mention. A comment's edits are
    shown with the comment, not as lines of their own (a deleted comment's edits are not shown at all)."""
    notes = list(timeline_list(ticket=ticket))
    names = names_for(notes)
    entries = []
    for note in notes:
        if note.event_type == EventType.COMMENT_EDITED:
            continue
        entry = Entry(note=note, sentence=describe(note, names), author=names.user(note.created_by_id))
        if not note.system:
            entry.edits = _versions(note, names)
            if note.created_by_id == user.pk and note.redacted_at is None:
                entry.edit_form = _edit_form(note, bound)
        entries.append(entry)
    return entries


def _versions(comment: TicketNote, names: Names) -> list[TicketNote]:
    return names.edits.get(comment.pk, []) if comment.redacted_at is None else []


def _edit_form(comment: TicketNote, bound: Bound) -> forms.Form:
    if bound.comment_edit is not None and bound.comment_edit[0] == comment.pk:
        return bound.comment_edit[1]
    return CommentForm(initial={"note": comment.note}, prefix=f"edit-{comment.pk}")


def attachment_rows(ticket: Ticket, user: Any) -> list[tuple[Attachment, bool]]:
    """The ticket's live files (its comments' included), each with whether the caller may delete it now."""
    changeable = not statemachine.is_final(ticket.status) or is_attachment_moderator(user)
    attachments = ticket_attachments(ticket=ticket).select_related("created_by")
    return [(attachment, changeable and can_delete_attachment(user, attachment)) for attachment in attachments]


def page_context(request: Request, ticket: Ticket, bound: Bound) -> dict[str, Any]:
    user = request.user
    editable = editable_fields(ticket, user)
    transitions = [
        Transition(to_status=target, words=transition_words(ticket, target), form=_transition_form(target, bound))
        for target in statemachine.allowed_transitions(ticket, user)
    ]
    details = None
    if editable & set(DETAIL_FIELDS):
        details = bound.details or DetailsForm(ticket=ticket, editable=editable)
    final = statemachine.is_final(ticket.status)
    return {
        "nav_section": _section(ticket, user),
        "ticket": ticket,
        "custom_fields": custom_field_rows(ticket),
        "transitions": transitions,
        "details_form": details,
        "can_assign_to_me": "assignee" in editable and ticket.assignee_id != user.pk,
        "can_edit_request": bool(editable & CONTENT_FIELDS),
        "entries": timeline_entries(ticket, user, bound),
        "comment_form": bound.comment or CommentForm(),
        "attachments": attachment_rows(ticket, user),
        "attachment_form": None if final else bound.attachment or AttachmentForm(),
        # The service level's targets are the policy's (one query, for a ticket that has one); the API shows the same
        # figures to everyone who sees the ticket (docs/workspace/service-levels.md).
        "sla_policy": ticket.sla_policy if ticket.sla_policy_id is not None else None,
    }


def transition_form(to_status: str, data: Any = None) -> TransitionForm:
    """The form of one transition; its ids name the target, as the page has one form per transition."""
    return TransitionForm(data, initial={"to_status": to_status}, auto_id=f"id_{to_status}_%s")


def _transition_form(to_status: str, bound: Bound) -> TransitionForm:
    if bound.transition is not None and bound.transition.data.get("to_status") == to_status:
        return bound.transition
    return transition_form(to_status)


def _section(ticket: Ticket, user: Any) -> str:
    """Which part of the header the page belongs to: the requester's requests, else an agent's queues."""
    if ticket.created_by_id == user.pk:
        return "requests"
    return "queues" if statemachine.is_agent(user) else ""


def render_page(
    request: Request, ticket: Ticket, *, bound: Bound | None = None, status: int = 200, partial: str = ""
) -> HttpResponse:
    """The page (or one of its partials, for htmx), with `bound` forms showing their errors."""
    template = f"{PAGE}#{partial}" if partial else PAGE
    return render(request, template, page_context(request, ticket, bound or Bound()), status=status)


@login_required
@require_safe
def ticket_page(request: Request, key: str) -> HttpResponse:
    return render_page(request, get_ticket(request, key))


def get_ticket(request: Request, key: str) -> Ticket:
    """The ticket of the URL if the caller may see it, else 404 (a missing ticket and a hidden one alike)."""
    return ticket_get_by_key(user=request.user, key=key)
