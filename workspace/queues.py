"""The queues are saved views (docs/workspace/queues.md, docs/views.md), and a page of a queue is a ticket query.

A queue is a savedviews.SavedView: the built-in ones (seeded, addressed by slug: /queues/unassigned/) and the views
people save (addressed by id: /queues/42/). Each holds a base filter in the ticket list API's own parameters
(tickets.filters.TicketFilter), a default sort in the API's ordering vocabulary and the columns to show. A page narrows
its queue with the same TicketFilter (filters), the API's search (`?q=`) and the API's ordering allow-list, all over the
caller's visible tickets (tickets.selectors), so a queue shows what the API lists for the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, QueryDict
from rest_framework.request import Request

from savedviews.models import ME, SavedView, ViewVisibility
from savedviews.selectors import builtin_view, filter_refusals, user_view, view_counts, view_parameters, visible_views
from tickets.api.search import TicketSearchFilter
from tickets.api.views.tickets import TicketViewSet
from tickets.filters import TicketFilter, TicketOrderingFilter
from tickets.models import Ticket
from tickets.search import MAX_SEARCH_LENGTH, Search, parse
from tickets.selectors import ticket_rows
from tickets.statemachine import works_the_desk
from ticketsite.errors import DomainValidationError
from ticketsite.pagination import CountsUnfiltered, StandardPagination, UnfilteredCountPaginator

ALL = "all"  # the built-in view everyone signed in may open: the header's search box lands there
DESK_ONLY = "The queues are for agents. The search box finds every ticket you may see."


def queue_for(address: str, user: Any) -> SavedView:
    """The view a queue URL names: a built-in one by its slug (the desk's queues refused, 403, to people who do not
    work the desk), else a person's or a shared view by id, if the user may see it (404 otherwise, as for none)."""
    view = builtin_view(address)
    if view is not None:
        if view.visibility == ViewVisibility.DESK and not works_the_desk(user):
            raise PermissionDenied(DESK_ONLY)
        return view
    view = user_view(user=user, view_id=address)
    if view is None:
        raise Http404
    return view


def queues_for(user: Any) -> list[SavedView]:
    """The views beside a queue page: the built-in ones the user may open, then their own and shared ones by name."""
    return list(visible_views(user))


def queue_and_queues(address: str, user: Any) -> tuple[SavedView, list[SavedView]]:
    """The view a queue URL names (queue_for) and the views beside it (queues_for; none for people who do not work the
    desk), in one query when the named view is one of those beside it."""
    if not works_the_desk(user):
        return queue_for(address, user), []
    queues = queues_for(user)
    named = next((view for view in queues if view.is_builtin and view.slug == address), None)
    named = named or next((view for view in queues if not view.is_builtin and str(view.pk) == address), None)
    return named or queue_for(address, user), queues


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

    queue: SavedView
    tickets: QuerySet[Ticket]
    ordering: list[str]
    narrowed: bool
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Nothing narrows the queue and its stored filters all apply: the page lists what view_counts counts for it.
    whole_queue: bool = False

    def paginator(self, counted: dict[int, int | None] | None = None) -> Paginator:
        """The pages of the tickets. `counted`: the queues already counted in this request (the sidebar's numbers), so
        a whole queue is not counted twice."""
        known = (counted or {}).get(self.queue.pk) if self.whole_queue else None
        if known is not None:
            return CountedPaginator(self.tickets, StandardPagination.page_size, count=known)
        # Unnarrowed, "all I can see" counts by the visibility rule's fast plan, as the API's list does.
        fast = not self.narrowed and not self.queue.filters and isinstance(self.tickets, CountsUnfiltered)
        return (UnfilteredCountPaginator if fast else Paginator)(self.tickets, StandardPagination.page_size)


class CountedPaginator(Paginator):
    """Pages of rows whose number is already known."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def filter_parameters(query: QueryDict) -> QueryDict:
    """The TicketFilter parameters of a page's query string. A form's empty field means "any", so it is left out
    (the API refuses an empty value instead: a client that sends one has misspelt something)."""
    data = QueryDict(mutable=True)
    for name in TicketFilter.base_filters:
        values = [value for value in query.getlist(name) if value != ""]
        if values:
            data.setlist(name, values)
    return data


def page_filters(query: QueryDict) -> tuple[QueryDict, dict[str, list[str]]]:
    """The TicketFilter parameters of a page's query string, a requester's username turned into the creator id; and
    the refusal of an unknown username."""
    return with_requester(filter_parameters(query), query.get(REQUESTER_PARAMETER, "").strip())


def listing(request: HttpRequest, queue: SavedView) -> Listing:
    user = request.user
    assert isinstance(user, User)
    query = request.GET
    view = TicketViewSet(ordering=list(queue.ordering))  # the API's search fields and ordering allow-list
    api_request = Request(request)  # DRF's reading of the same query string
    data, errors = page_filters(query)
    base = TicketFilter(data=view_parameters(queue, user), queryset=ticket_rows(user=user), request=request)
    page_filter = TicketFilter(data=data, queryset=base.qs, request=request)
    errors |= filter_refusals(page_filter)
    ordering = _ordering(api_request, view)
    narrowed = bool(data) or bool(errors) or bool(query.get(SEARCH_PARAMETER, "").strip())
    if errors:
        return Listing(queue, Ticket.objects.none(), ordering, narrowed, errors)
    tickets = QueueSearch().filter_queryset(api_request, page_filter.qs, view)
    tickets = TicketOrderingFilter().filter_queryset(api_request, tickets, view)
    return Listing(queue, tickets, ordering, narrowed, whole_queue=not narrowed and not filter_refusals(base))


def saved_filters(queue: SavedView, page: QueryDict, viewer: User) -> dict[str, list[str]]:
    """What "Save this view" stores: the queue's own filter narrowed by the page's (the page never widens its queue).
    A parameter in both keeps the values common to both ("me" standing for the viewer's id); none in common is a
    refusal, since the view would list nothing."""
    combined = {name: list(values) for name, values in queue.filters.items()}
    me = str(viewer.pk)
    for name in page:
        asked = page.getlist(name)
        if name not in combined:
            combined[name] = asked
            continue
        common = [value for value in combined[name] if (me if value == ME else value) in asked]
        if not common:
            raise DomainValidationError(
                f"{name}: the queue already asks for {', '.join(combined[name])}; nothing would match.",
                field="filters",
                code="invalid",
            )
        combined[name] = common
    return combined


def with_requester(data: QueryDict, username: str) -> tuple[QueryDict, dict[str, list[str]]]:
    """`requester` (a username, as people name each other) becomes TicketFilter's creator id. The directory of users
    is open to everyone signed in (the API's /users/), so an unknown name reveals nothing."""
    if not username:
        return data, {}
    requester = User.objects.filter(username=username).values_list("pk", flat=True).first()
    if requester is None:
        return data, {REQUESTER_PARAMETER: [f'No one has the username "{username}".']}
    data.setlist("creator", [str(requester)])
    return data, {}


def _ordering(api_request: Request, view: TicketViewSet) -> list[str]:
    """The sort in the API's terms (for the column headers): the page's valid terms; else none for a search (the best
    matches first, as the API orders a search: tickets.api.search), else the queue's default."""
    terms = [term.strip() for term in api_request.query_params.get(ORDERING_PARAMETER, "").split(",") if term.strip()]
    valid = TicketOrderingFilter().remove_invalid_fields(Ticket.objects.none(), terms, view, api_request)
    if not valid and api_request.query_params.get(SEARCH_PARAMETER, "").strip():
        return []
    return list(valid or view.ordering)


def queue_counts(user: User, queues: list[SavedView]) -> dict[int, int | None]:
    """The number of tickets of each view beside the page, by id, all counted at once (savedviews.selectors.view_counts;
    past MAX_COUNTED_VIEWS a view is listed without a number: None)."""
    counts = view_counts(user=user, views=queues)
    return {queue.pk: counts.get(queue.pk) for queue in queues}
