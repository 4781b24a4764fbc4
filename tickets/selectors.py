"""Reads of tickets, their timeline and templates. Every ticket read starts from permissions.selectors.visible_tickets,
and each selector prefetches exactly what the API serializers read (no query per row)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from permissions.selectors import get_visible_ticket, visible_tickets
from tickets.models import Category, Label, Ticket, TicketNote, TicketPriority, TicketTemplate
from tickets.statemachine import AGENT_PERMISSION
from ticketsite.errors import DomainNotFound
from ticketsite.filters import MAX_ID

# Priority as a rank, so `ordering=priority` sorts low < medium < high < urgent rather than alphabetically.
PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(TicketPriority.values)),
    output_field=IntegerField(),
)


def _with_relations(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    # Names and colours too: the pages show them, and they cost no extra query.
    return tickets.annotate(priority_rank=PRIORITY_RANK).prefetch_related(
        Prefetch("categories", queryset=Category.objects.only("id", "name")),
        Prefetch("labels", queryset=Label.objects.only("id", "name", "color")),
    )


def ticket_list(*, user: Any) -> QuerySet[Ticket]:
    """The tickets `user` may see, ready for the ticket serializer."""
    return _with_relations(visible_tickets(user))


def ticket_get(*, user: Any, ticket_id: Any) -> Ticket:
    """One visible ticket, ready for the serializer; missing and forbidden are the same 404."""
    return get_visible_ticket(user, ticket_id, queryset=_with_relations(Ticket.objects.all()))


def ticket_get_by_key(*, user: Any, key: str) -> Ticket:
    """One visible ticket by its key (TCK-42), with its people and template and ticket_get's prefetching, in one query
    plus the prefetches; unknown and invisible are the same 404."""
    tickets = _with_relations(Ticket.objects.select_related("created_by", "assignee", "template"))
    ticket = visible_tickets(user, tickets).filter(key=key).first()
    if ticket is None:
        raise DomainNotFound()
    return ticket


def active_agents() -> QuerySet[User]:
    """Active people who work on tickets (tickets.work_on_ticket, superusers included, as has_perm answers): whom a
    ticket may be handed to, by name."""
    # Named, since other backends (axes) hold no permissions and with_perm refuses to guess among several.
    agents = User.objects.with_perm(AGENT_PERMISSION, backend="django.contrib.auth.backends.ModelBackend")
    return agents.filter(is_active=True).order_by("first_name", "last_name", "username")


def timeline_list(*, ticket: Ticket) -> QuerySet[TicketNote]:
    """Comments and system events of a visible ticket, oldest first. Deleted comments are gone (their
    comment_deleted event stays)."""
    return TicketNote.objects.filter(ticket=ticket).order_by("created_at", "id")


def comment_list(*, ticket: Ticket) -> QuerySet[TicketNote]:
    return timeline_list(ticket=ticket).filter(system=False)


def comment_get(*, ticket: Ticket, note_id: Any, deleted_too: bool = False) -> TicketNote:
    """One comment of a visible ticket; `deleted_too` reaches softly deleted ones (they can still be redacted)."""
    try:
        pk = int(note_id)
    except (TypeError, ValueError):
        raise DomainNotFound() from None
    comments = TicketNote.all_objects if deleted_too else TicketNote.objects
    comment = comments.filter(ticket=ticket, system=False, pk=pk).first()
    if comment is None:
        raise DomainNotFound()
    comment.ticket = ticket  # already fetched and authorised
    return comment


def template_list() -> QuerySet[TicketTemplate]:
    return TicketTemplate.objects.prefetch_related(
        Prefetch("categories", queryset=Category.objects.only("id")),
        Prefetch("labels", queryset=Label.objects.only("id")),
    )


def template_catalogue() -> QuerySet[TicketTemplate]:
    """Live ticket templates as a catalogue shows them (name, description, categories by name, whether they go to
    approval), by name."""
    return (
        TicketTemplate.objects.select_related("approval_template")
        .prefetch_related(Prefetch("categories", queryset=Category.objects.only("id", "name").order_by("name")))
        .order_by("name", "id")
    )


def template_get(*, template_id: int) -> TicketTemplate:
    """One live ticket template with its approval template; a deleted or unknown one is a 404."""
    template = TicketTemplate.objects.select_related("approval_template").filter(pk=template_id).first()
    if template is None:
        raise DomainNotFound()
    return template


def requests_of(*, user: Any) -> QuerySet[Ticket]:
    """The tickets `user` created (their requests), through the visibility rule, newest first, with the assignee and
    the template a list row names."""
    return (
        visible_tickets(user)
        .filter(created_by_id=getattr(user, "pk", None))
        .select_related("assignee", "template")
        .order_by("-created_at", "-id")
    )


def ticket_rows(*, user: Any) -> QuerySet[Ticket]:
    """ticket_list with the people a list row names (requester, assignee) joined in: a page of rows is one query plus
    the prefetches, whatever its length (the workspace's queues)."""
    return ticket_list(user=user).select_related("created_by", "assignee")


def tickets_by_id(*, user: Any, ticket_ids: Iterable[int]) -> dict[int, Ticket]:
    """The tickets among `ticket_ids` that `user` may see, by id, in one query. A missing, deleted or hidden ticket is
    absent alike; an id no BIGINT holds names nothing."""
    ids = [pk for pk in ticket_ids if 0 < pk <= MAX_ID]
    return {ticket.pk: ticket for ticket in visible_tickets(user).filter(pk__in=ids)}
