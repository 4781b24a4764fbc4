"""Reads of saved views (docs/views.md): which views a person may see, one view by id or slug, and the tickets and
counts of views, always inside the person's visible tickets (permissions.selectors.visible_tickets)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import BigIntegerField, Count, Q, QuerySet, Value
from django.http import QueryDict

from permissions.selectors import visible_tickets
from savedviews.models import SavedView, ViewVisibility
from tickets.filters import TicketFilter
from tickets.statemachine import works_the_desk
from ticketsite.errors import DomainNotFound
from ticketsite.filters import MAX_ID, strict_errors
from ticketsite.pagination import CountsUnfiltered

MANAGE_PERMISSION = "savedviews.manage_saved_views"
# The sidebar counts this many views in its one query; a person with more sees the rest listed without a number.
MAX_COUNTED_VIEWS = 40


def visible_views(user: User | AnonymousUser | None) -> QuerySet[SavedView]:
    """The views `user` may see: their own, those shared with one of their roles, the built-in ones for everyone and,
    for people who work the desk, the desk's built-in queues. One query (the role rule is a sub-select, no join)."""
    if not isinstance(user, User) or not user.is_active:
        return SavedView.objects.none()
    shared = SavedView.roles.through.objects.filter(group__user=user).values("savedview_id")
    sees = Q(owner=user) | Q(visibility=ViewVisibility.ROLES, pk__in=shared) | Q(visibility=ViewVisibility.EVERYONE)
    if works_the_desk(user):
        sees |= Q(visibility=ViewVisibility.DESK)
    return SavedView.objects.filter(sees)


def can_manage_views(user: Any) -> bool:
    return isinstance(user, User) and user.is_active and user.has_perm(MANAGE_PERMISSION)


def can_change_view(user: Any, view: SavedView) -> bool:
    """The owner changes and deletes their view; holders of manage_saved_views any view (the only ones who may change a
    built-in one)."""
    return (view.owner_id is not None and view.owner_id == getattr(user, "pk", None)) or can_manage_views(user)


def view_list(*, user: Any) -> QuerySet[SavedView]:
    """The views of the API's list: built-in first (in their order), then the others by name; roles prefetched."""
    return visible_views(user).prefetch_related("roles")


def view_get(*, user: Any, view_id: Any) -> SavedView:
    """One view by id: one the caller may see, or any for a holder of manage_saved_views. Missing and not visible are
    the same 404."""
    try:
        pk = int(view_id)
    except (TypeError, ValueError):
        raise DomainNotFound() from None
    views = SavedView.objects.all() if can_manage_views(user) else visible_views(user)
    view = views.prefetch_related("roles").filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if view is None:
        raise DomainNotFound()
    return view


def builtin_view(slug: str) -> SavedView | None:
    return SavedView.objects.filter(is_builtin=True, slug=slug).first()


def user_view(*, user: Any, view_id: str) -> SavedView | None:
    """A person's or a shared view the user may see, by the id in a workspace URL; None when there is none to them."""
    if not view_id.isascii() or not view_id.isdigit() or not 0 < int(view_id) <= MAX_ID:
        return None
    return visible_views(user).filter(is_builtin=False, pk=int(view_id)).first()


def view_parameters(view: SavedView, viewer: Any) -> QueryDict:
    """The view's filters as the viewer's ticket list query ("me" is the viewer)."""
    data = QueryDict(mutable=True)
    for name, values in view.parameters_for(viewer).items():
        data.setlist(name, values)
    return data


def tickets_query(view: SavedView, viewer: Any) -> str:
    """The query string that lists the view's tickets on GET /api/v1/tickets/ for `viewer`: its filters and sort."""
    data = view_parameters(view, viewer)
    if view.ordering:
        data["ordering"] = ",".join(view.ordering)
    return data.urlencode()


@dataclass(frozen=True)
class ViewerRequest:
    """What TicketFilter reads of a request (the `mine` filter: request.user) when a view is filtered outside one."""

    user: Any


def filter_refusals(ticket_filter: TicketFilter) -> dict[str, list[str]]:
    """What the ticket list API's StrictFilterBackend refuses with a 400: the FilterSet's form errors and loose values
    (an empty value, a boolean other than true/false), as messages per parameter."""
    return {name: [str(message) for message in messages] for name, messages in strict_errors(ticket_filter).items()}


def view_counts(*, user: Any, views: Sequence[SavedView]) -> dict[int, int]:
    """How many tickets `user` sees in each view (the first MAX_COUNTED_VIEWS of them), in two queries at most. The
    views with filters: one UNION ALL of a COUNT per view, each the visible tickets narrowed by the view's filters in
    one WHERE (so each part reads what the indexes on its filters find, not the whole table once per view). The views
    without: one count of the visible tickets, shared, by their fast plan (VisibleTicketQuerySet.count_unfiltered). A
    view whose stored filters no longer validate counts nothing rather than everything."""
    counted = list(views[:MAX_COUNTED_VIEWS])
    visible = visible_tickets(user)
    counts: dict[int, int] = {}
    parts = []
    for view in counted:
        if not view.filters:
            continue
        ticket_filter = TicketFilter(data=view_parameters(view, user), queryset=visible, request=ViewerRequest(user))
        if filter_refusals(ticket_filter):
            continue
        narrowed = ticket_filter.qs.order_by()
        parts.append(narrowed.values(view=Value(view.pk, output_field=BigIntegerField())).annotate(tickets=Count("pk")))
    if parts:
        counts |= {row["view"]: row["tickets"] for row in parts[0].union(*parts[1:], all=True).order_by()}
    if any(not view.filters for view in counted):
        everything = visible.count_unfiltered() if isinstance(visible, CountsUnfiltered) else visible.count()
        counts |= {view.pk: everything for view in counted if not view.filters}
    return {view.pk: counts.get(view.pk, 0) for view in counted}
