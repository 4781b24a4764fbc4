"""Reads of tickets, their timeline and templates. Every ticket read starts from permissions.selectors.visible_tickets,
and each selector prefetches exactly what the API serializers read (no query per row)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Case,
    CharField,
    Count,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    RowRange,
    StringAgg,
    Subquery,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce

from permissions.selectors import get_visible_ticket, visible_tickets
from tickets.models import Category, Label, Ticket, TicketNote, TicketPriority, TicketTemplate
from tickets.statemachine import AGENT_PERMISSION
from ticketsite.backends import PERMISSION_BACKEND
from ticketsite.errors import DomainNotFound
from ticketsite.filters import MAX_ID
from ticketsite.models import SoftDeleteQuerySet

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


class IdListField(TextField):
    """Ids aggregated into one text ("3,1,2", NULL for none), read as a list of ints."""

    def from_db_value(self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper) -> list[int]:
        return [int(pk) for pk in value.split(",")] if value else []


# What the ticket serializer reads as id lists (tickets.api.outputs.TicketSerializer): by relation, the annotation and
# the through table's column of the related row.
_RELATIONS = {"categories": ("category_ids", "category"), "labels": ("label_ids", "label")}
RELATION_IDS = [ids for ids, _ in _RELATIONS.values()]


def _ids_of(relation: str, target: str) -> Subquery:
    """The ids of the live rows a ticket's `relation` (through its `target` column) reaches, in the relation's order
    (by name, as Category and Label sort), as one IdListField.

    Concatenated as a window over all of the ticket's rows, which takes them in the window's order on every database
    (an ORDER BY inside the aggregate needs SQLite 3.44)."""
    links = getattr(Ticket, relation).through.objects.filter(ticket=OuterRef("pk"), **{f"{target}__is_deleted": False})
    ids = Window(
        StringAgg(Cast(f"{target}_id", CharField()), Value(",")),
        order_by=[F(f"{target}__name").asc(), F(f"{target}_id").asc()],
        frame=RowRange(start=None, end=None),
    )
    return Subquery(links.order_by().annotate(ids=ids).values("ids")[:1], output_field=IdListField())


def _with_relation_ids(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets with the ids of their categories and labels in each row (RELATION_IDS), for the API's serializer:
    no query of their own."""
    return tickets.annotate(**{ids: _ids_of(relation, target) for relation, (ids, target) in _RELATIONS.items()})


def ticket_list(*, user: Any) -> QuerySet[Ticket]:
    """The tickets `user` may see, ready for the ticket serializer (each row with its categories' and labels' ids)."""
    return _with_relation_ids(visible_tickets(user).annotate(priority_rank=PRIORITY_RANK))


def ticket_get(*, user: Any, ticket_id: Any) -> Ticket:
    """One visible ticket, ready for the serializer, in one query; missing and forbidden are the same 404."""
    return get_visible_ticket(user, ticket_id, queryset=_with_relation_ids(Ticket.objects.all()))


def ticket_relation_ids(*, ticket: Ticket) -> Ticket:
    """A ticket as a write returned it, given the ids of its categories and labels the way ticket_list's rows carry
    them, in one query."""
    row = _with_relation_ids(Ticket.objects.filter(pk=ticket.pk)).values(*RELATION_IDS).first() or {}
    for name in RELATION_IDS:
        setattr(ticket, name, row.get(name, []))
    return ticket


def ticket_get_by_key(*, user: Any, key: str) -> Ticket:
    """One visible ticket by its key (TCK-42), with its people and template and its categories and labels (names and
    colours, as the pages show them), in one query plus the prefetches; unknown and invisible are the same 404."""
    tickets = _with_relations(Ticket.objects.select_related("created_by", "assignee", "template"))
    ticket = visible_tickets(user, tickets).filter(key=key).first()
    if ticket is None:
        raise DomainNotFound()
    return ticket


def active_agents() -> QuerySet[User]:
    """Active people who work on tickets (tickets.work_on_ticket, superusers included, as has_perm answers): whom a
    ticket may be handed to, by name."""
    agents = User.objects.with_perm(AGENT_PERMISSION, backend=PERMISSION_BACKEND)
    return agents.filter(is_active=True).order_by("first_name", "last_name", "username")


class TimelineQuerySet(SoftDeleteQuerySet):
    """A ticket's timeline that knows its length when the ticket was read with it (timeline_ticket): the pagination
    takes `count_unfiltered()` for the total instead of counting again. A queryset derived from it counts anew."""

    length: int | None = None

    def count_unfiltered(self) -> int:
        return self.count() if self.length is None else self.length


def _timeline_of(ticket: Any) -> QuerySet[TicketNote]:
    # Deleted comments are gone (their comment_deleted event stays).
    return TicketNote.objects.filter(ticket=ticket)


TIMELINE_ORDER = ("created_at", "id")


def timeline_ticket(*, user: Any, ticket_id: Any) -> Ticket:
    """One visible ticket with the length of its timeline (`timeline_length`), in one query; missing and forbidden are
    the same 404."""
    length = Subquery(_timeline_of(OuterRef("pk")).order_by().values("ticket").annotate(n=Count("pk")).values("n"))
    tickets = Ticket.objects.annotate(timeline_length=Coalesce(length, 0))
    return get_visible_ticket(user, ticket_id, queryset=tickets)


def timeline_list(*, ticket: Ticket) -> QuerySet[TicketNote]:
    """Comments and system events of a visible ticket, oldest first; counted already when the ticket came from
    timeline_ticket."""
    notes = _timeline_of(ticket).order_by(*TIMELINE_ORDER)
    timeline: TimelineQuerySet = TimelineQuerySet(model=TicketNote, query=notes.query)
    timeline.length = getattr(ticket, "timeline_length", None)
    return timeline


def comment_list(*, ticket: Ticket) -> QuerySet[TicketNote]:
    return _timeline_of(ticket).filter(system=False).order_by(*TIMELINE_ORDER)


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
    """The tickets `user` may see with the people a list row names (requester, assignee) joined in and the names of
    their categories and labels: a page of rows is one query plus the prefetches, whatever its length (the workspace's
    queues)."""
    return _with_relations(visible_tickets(user)).select_related("created_by", "assignee")


def tickets_by_id(*, user: Any, ticket_ids: Iterable[int]) -> dict[int, Ticket]:
    """The tickets among `ticket_ids` that `user` may see, by id, in one query. A missing, deleted or hidden ticket is
    absent alike; an id no BIGINT holds names nothing."""
    ids = [pk for pk in ticket_ids if 0 < pk <= MAX_ID]
    return {ticket.pk: ticket for ticket in visible_tickets(user).filter(pk__in=ids)}
