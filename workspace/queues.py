"""The agents' queues, as data, and how a queue page becomes a ticket query (docs/workspace/queues.md).

A queue is a slug, a title and a base filter in the ticket list API's own parameters (tickets.filters.TicketFilter),
with a default sort in the API's ordering vocabulary: issue 17's saved views are more rows of this shape. A page
narrows its queue with the same TicketFilter (filters), the API's search (`?q=`) and the API's ordering allow-list, all
over the caller's visible tickets (tickets.selectors), so a queue shows what the API lists for the same parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, QueryDict
from rest_framework.request import Request

from tickets.api.search import TicketSearchFilter
from tickets.api.views.tickets import TicketViewSet
from tickets.filters import TicketFilter, TicketOrderingFilter
from tickets.models import SlaStatus, Ticket, TicketStatus
from tickets.search import MAX_SEARCH_LENGTH, Search, parse
from tickets.selectors import ticket_rows
from tickets.statemachine import works_the_desk
from ticketsite.filters import loose_values
from ticketsite.pagination import CountsUnfiltered, StandardPagination, UnfilteredCountPaginator

ME = "me"  # in a queue's filters: the person looking at the queue
ALL = "all"


@dataclass(frozen=True)
class Queue:
    slug: str
    title: str
    description: str
    filters: Mapping[str, tuple[str, ...]]  # TicketFilter parameters, values repeated as in a query string
    ordering: tuple[str, ...] = ("-updated_at",)  # the API's ordering terms when the page names none
    workers_only: bool = True  # False: anyone signed in may open it (the header's search box lands on "all")

    def parameters(self, user: User) -> QueryDict:
        data = QueryDict(mutable=True)
        for name, values in self.filters.items():
            data.setlist(name, [str(user.pk) if value == ME else value for value in values])
        return data


QUEUES: tuple[Queue, ...] = (
    Queue(
        "unassigned",
        "Unassigned",
        "Open and in-progress tickets nobody works on yet: the most urgent and oldest first.",
        {"status": (TicketStatus.OPEN, TicketStatus.IN_PROGRESS), "assigned": ("false",)},
        ordering=("-priority", "created_at"),
    ),
    Queue(
        "assigned-to-me",
        "Assigned to me",
        "Tickets assigned to you that are not resolved yet, waiting for approval included.",
        {"assignee": (ME,), "status": (TicketStatus.WAITING_APPROVAL, TicketStatus.OPEN, TicketStatus.IN_PROGRESS)},
    ),
    Queue("open", "Open", "Approved or submitted tickets nobody has started.", {"status": (TicketStatus.OPEN,)}),
    Queue("in-progress", "In progress", "Tickets being worked on.", {"status": (TicketStatus.IN_PROGRESS,)}),
    Queue(
        "waiting-approval",
        "Waiting for approval",
        "Submitted tickets whose approval is still running.",
        {"status": (TicketStatus.WAITING_APPROVAL,)},
    ),
    Queue(
        "at-risk",
        "At risk",
        "Open and in-progress tickets whose service level is nearly used up or breached: the soonest resolution first.",
        {"sla_status": (SlaStatus.WARNING, SlaStatus.BREACHED), "status": (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)},
        ordering=("resolution_due_at",),
    ),
    Queue(ALL, "All I can see", "Every ticket you may see, in any status.", {}, workers_only=False),
)
QUEUE_BY_SLUG = {queue.slug: queue for queue in QUEUES}


def queue_for(slug: str, user: Any) -> Queue:
    queue = QUEUE_BY_SLUG.get(slug)
    if queue is None:
        raise Http404
    if queue.workers_only and not works_the_desk(user):
        raise PermissionDenied("The queues are for agents. The search box finds every ticket you may see.")
    return queue


def queues_for(user: Any) -> list[Queue]:
    return [queue for queue in QUEUES if works_the_desk(user) or not queue.workers_only]


# --- a page of a queue -----------------------------------------------------------------------------------------------

SEARCH_PARAMETER = "q"  # the header's search box
ORDERING_PARAMETER = "ordering"  # as in the API
PAGE_PARAMETER = "page"
REQUESTER_PARAMETER = "requester"  # a username, for TicketFilter's creator id (people type names, not ids)


class QueueSearch(TicketSearchFilter):
    """The ticket list API's full-text search (relevance first unless a sort is chosen, highlights on each row), read
    from `?q=`."""

    search_param = SEARCH_PARAMETER

    def search_of(self, request: Request) -> Search | None:
        # A page has no 400 to answer with: a longer search is cut to the length the API accepts.
        asked = parse(request.query_params.get(self.search_param, "")[:MAX_SEARCH_LENGTH])
        return asked if asked.text else None


@dataclass
class Listing:
    """A queue narrowed by a page's parameters. `errors` (parameter -> messages) means the page asked for something
    that is not a valid filter: no tickets are listed then."""

    queue: Queue
    tickets: QuerySet[Ticket]
    ordering: list[str]
    narrowed: bool
    errors: dict[str, list[str]] = field(default_factory=dict)

    def paginator(self) -> Paginator:
        # Unnarrowed, "all I can see" counts by the visibility rule's fast plan, as the API's list does.
        fast = not self.narrowed and not self.queue.filters and isinstance(self.tickets, CountsUnfiltered)
        return (UnfilteredCountPaginator if fast else Paginator)(self.tickets, StandardPagination.page_size)


def filter_parameters(query: QueryDict) -> QueryDict:
    """The TicketFilter parameters of a page's query string. A form's empty field means "any", so it is left out
    (the API refuses an empty value instead: a client that sends one has misspelt something)."""
    data = QueryDict(mutable=True)
    for name in TicketFilter.base_filters:
        values = [value for value in query.getlist(name) if value != ""]
        if values:
            data.setlist(name, values)
    return data


def listing(request: HttpRequest, queue: Queue) -> Listing:
    user = request.user
    assert isinstance(user, User)
    query = request.GET
    view = TicketViewSet(ordering=list(queue.ordering))  # the API's search fields and ordering allow-list
    api_request = Request(request)  # DRF's reading of the same query string
    data, errors = _with_requester(filter_parameters(query), query.get(REQUESTER_PARAMETER, "").strip())
    base = TicketFilter(data=queue.parameters(user), queryset=ticket_rows(user=user), request=request)
    page_filter = TicketFilter(data=data, queryset=base.qs, request=request)
    errors |= _refusals(page_filter)
    ordering = _ordering(api_request, view)
    narrowed = bool(data) or bool(errors) or bool(query.get(SEARCH_PARAMETER, "").strip())
    if errors:
        return Listing(queue, Ticket.objects.none(), ordering, narrowed, errors)
    tickets = QueueSearch().filter_queryset(api_request, page_filter.qs, view)
    tickets = TicketOrderingFilter().filter_queryset(api_request, tickets, view)
    return Listing(queue, tickets, ordering, narrowed)


def _with_requester(data: QueryDict, username: str) -> tuple[QueryDict, dict[str, list[str]]]:
    """`requester` (a username, as people name each other) becomes TicketFilter's creator id. The directory of users
    is open to everyone signed in (the API's /users/), so an unknown name reveals nothing."""
    if not username:
        return data, {}
    requester = User.objects.filter(username=username).values_list("pk", flat=True).first()
    if requester is None:
        return data, {REQUESTER_PARAMETER: [f'No one has the username "{username}".']}
    data.setlist("creator", [str(requester)])
    return data, {}


def _refusals(page_filter: TicketFilter) -> dict[str, list[str]]:
    """What the API's StrictFilterBackend refuses with a 400: the FilterSet's form errors and loose booleans."""
    page_filter.is_valid()
    errors = {name: [str(message) for message in messages] for name, messages in page_filter.errors.items()}
    for name, message in loose_values(page_filter).items():
        errors.setdefault(name, []).append(message)
    return errors


def _ordering(api_request: Request, view: TicketViewSet) -> list[str]:
    """The sort in the API's terms (for the column headers): the page's valid terms, else the queue's default."""
    terms = [term.strip() for term in api_request.query_params.get(ORDERING_PARAMETER, "").split(",") if term.strip()]
    valid = TicketOrderingFilter().remove_invalid_fields(Ticket.objects.none(), terms, view, api_request)
    return list(valid or view.ordering)


def queue_counts(user: User) -> list[tuple[Queue, int]]:
    """Each queue the person may open with its number of tickets: one COUNT per queue ("all" by the visibility rule's
    two-part count)."""
    counts = []
    for queue in queues_for(user):
        tickets = TicketFilter(data=queue.parameters(user), queryset=ticket_rows(user=user)).qs
        fast = not queue.filters and isinstance(tickets, CountsUnfiltered)
        counts.append((queue, tickets.count_unfiltered() if fast else tickets.count()))
    return counts
