"""Writes of saved views (docs/views.md): create, change, delete, each checking what a view may hold against the ticket
list API's own vocabulary: its filters (tickets.filters.TicketFilter), its ordering allow-list
(TicketViewSet.ordering_fields) and the list columns (savedviews.models.Column)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import django_filters
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import QueryDict

from savedviews.builtin import BUILTIN_VIEWS
from savedviews.models import ME, PEOPLES_VISIBILITIES, Column, SavedView, ViewVisibility, default_columns, default_ordering
from savedviews.selectors import ViewerRequest, can_change_view, can_manage_views, filter_refusals
from tickets.api.views.tickets import TicketViewSet
from tickets.filters import TicketFilter
from tickets.models import Ticket
from ticketsite.errors import DomainConflict, DomainPermissionDenied, DomainValidationError
from ticketsite.services import model_update, validate_constraints

MAX_FILTER_VALUES = 50  # values of one parameter (statuses, say): more is a mistake, not a view
MAX_ORDERING_TERMS = 3
# What the owner of a view may change; a built-in view keeps its visibility (the desk's, or everyone's).
VIEW_FIELDS = ("name", "description", "filters", "ordering", "columns", "visibility", "roles")
BUILTIN_FIELDS = ("name", "description", "filters", "ordering", "columns")


# --- what a view may hold --------------------------------------------------------------------------------------------


def clean_filters(filters: Any, *, viewer: User) -> dict[str, list[str]]:
    """The ticket list's filter parameters, each a list of values ("me" allowed for a person), checked by TicketFilter
    exactly as the list API checks a query: an unknown parameter or a value it would refuse is a 400 naming it."""
    if not isinstance(filters, Mapping):
        raise DomainValidationError("Filters are an object of ticket list parameters.", field="filters", code="invalid")
    unknown = sorted(set(filters) - set(TicketFilter.base_filters))
    if unknown:
        raise DomainValidationError(f"'{unknown[0]}' is not a ticket list filter.", field="filters", code="unknown_field")
    cleaned: dict[str, list[str]] = {}
    for name, values in filters.items():
        cleaned[name] = _filter_values(name, values)
    data = QueryDict(mutable=True)
    for name, values in cleaned.items():
        data.setlist(name, [str(viewer.pk) if value == ME else value for value in values])
    refusals = filter_refusals(TicketFilter(data=data, queryset=Ticket.objects.none(), request=ViewerRequest(viewer)))
    if refusals:
        name, messages = sorted(refusals.items())[0]
        raise DomainValidationError(f"{name}: {' '.join(messages)}", field="filters", code="invalid")
    return cleaned


def _filter_values(name: str, values: Any) -> list[str]:
    if not isinstance(values, list) or not values:
        raise DomainValidationError(f"{name}: give a list of values.", field="filters", code="invalid")
    if len(values) > MAX_FILTER_VALUES:
        raise DomainValidationError(f"{name}: at most {MAX_FILTER_VALUES} values.", field="filters", code="max_length")
    if not all(isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)) for value in values):
        raise DomainValidationError(f"{name}: values are text or whole numbers.", field="filters", code="invalid")
    several = isinstance(TicketFilter.base_filters[name], django_filters.MultipleChoiceFilter)
    if len(values) > 1 and not several:
        raise DomainValidationError(f"{name}: takes one value.", field="filters", code="invalid")
    return [str(value) for value in values]


def clean_ordering(ordering: Any) -> list[str]:
    """One to three of the ticket list's ordering terms (a field of its allow-list, `-` for descending), each field
    once."""
    if not isinstance(ordering, list) or not 1 <= len(ordering) <= MAX_ORDERING_TERMS:
        raise DomainValidationError(f"Give one to {MAX_ORDERING_TERMS} ordering terms.", field="ordering", code="invalid")
    allowed = set(TicketViewSet.ordering_fields)
    for term in ordering:
        if not isinstance(term, str) or term.removeprefix("-") not in allowed:
            raise DomainValidationError(
                f"'{term}' is not a ticket ordering; use one of {', '.join(sorted(allowed))}, '-' first to reverse.",
                field="ordering",
                code="invalid_choice",
            )
    fields = [term.removeprefix("-") for term in ordering]
    if len(set(fields)) != len(fields):
        raise DomainValidationError("Sort by each field once.", field="ordering", code="invalid")
    return list(ordering)


def clean_columns(columns: Any) -> list[str]:
    """Some of the list's columns (Column), each once, in the order shown; the key always comes first."""
    if not isinstance(columns, list) or not columns:
        raise DomainValidationError("Choose at least one column.", field="columns", code="invalid")
    for column in columns:
        if column not in Column.values:
            raise DomainValidationError(
                f"'{column}' is not a list column; use {', '.join(Column.values)}.", field="columns", code="invalid_choice"
            )
    if len(set(columns)) != len(columns):
        raise DomainValidationError("Show each column once.", field="columns", code="invalid")
    return list(columns)


def _clean_sharing(visibility: Any, roles: Iterable[Group], *, actor: User) -> list[Group]:
    """A personal view is shared with no role; a shared one with at least one, each a role of the actor's (a holder of
    manage_saved_views may share with any role)."""
    if visibility not in PEOPLES_VISIBILITIES:
        raise DomainValidationError("A view is personal or shared with roles.", field="visibility", code="invalid_choice")
    chosen = list(roles)
    if visibility == ViewVisibility.PERSONAL:
        if chosen:
            raise DomainValidationError("A personal view is shared with no role.", field="roles", code="invalid")
        return []
    if not chosen:
        raise DomainValidationError("Choose the roles to share the view with.", field="roles", code="required")
    if not can_manage_views(actor):
        own = set(actor.groups.values_list("pk", flat=True))
        foreign = [role for role in chosen if role.pk not in own]
        if foreign:
            raise DomainValidationError(
                f"You may share a view only with your own roles, not with '{foreign[0].name}'.", field="roles", code="invalid"
            )
    return chosen


# --- the writes ------------------------------------------------------------------------------------------------------


@transaction.atomic
def builtin_views_ensure() -> int:
    """Create the built-in views that do not exist (softly deleted ones count as existing: an admin's choice stays);
    the data migration made them, this restores them where a database lost them (a test database flushed between
    tests) or never ran the migration's data. Returns how many were created."""
    existing = set(SavedView.all_objects.filter(is_builtin=True).values_list("slug", flat=True))
    missing = [
        SavedView(is_builtin=True, position=position, **spec)
        for position, spec in enumerate(BUILTIN_VIEWS)
        if spec["slug"] not in existing
    ]
    SavedView.objects.bulk_create(missing)
    return len(missing)


@transaction.atomic
def view_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    filters: Any = None,
    ordering: Any = None,
    columns: Any = None,
    visibility: str = ViewVisibility.PERSONAL,
    roles: Iterable[Group] = (),
) -> SavedView:
    """A view of the actor's own, personal or shared with roles."""
    shared_with = _clean_sharing(visibility, roles, actor=actor)
    view = SavedView(
        name=name,
        description=description,
        owner=actor,
        filters=clean_filters(filters if filters is not None else {}, viewer=actor),
        ordering=clean_ordering(ordering) if ordering is not None else default_ordering(),
        columns=clean_columns(columns) if columns is not None else default_columns(),
        visibility=visibility,
    )
    view.stamp(actor, created=True)
    validate_constraints(view)
    view.save()
    view.roles.set(shared_with)
    return view


@transaction.atomic
def view_update(*, view: SavedView, actor: User, data: Mapping[str, Any]) -> SavedView:
    """Change a view: its owner, or a holder of manage_saved_views (the only ones who change built-in views, whose
    visibility stays). Only what changes is checked and written."""
    if not can_change_view(actor, view):
        raise DomainPermissionDenied("Only the owner of this view may change it.")
    # Re-read under a lock: the admin passes its form's instance, which already holds the new values.
    view = SavedView.objects.select_for_update().get(pk=view.pk)
    fields = BUILTIN_FIELDS if view.is_builtin else VIEW_FIELDS
    refused = sorted(set(data) - set(fields))
    if refused:
        raise DomainValidationError(f"'{refused[0]}' of a built-in view cannot change.", field=refused[0], code="read_only")
    cleaned = dict(data)
    viewer = view.owner if view.owner is not None else actor
    if "filters" in cleaned:
        cleaned["filters"] = clean_filters(cleaned["filters"], viewer=viewer)
    if "ordering" in cleaned:
        cleaned["ordering"] = clean_ordering(cleaned["ordering"])
    if "columns" in cleaned:
        cleaned["columns"] = clean_columns(cleaned["columns"])
    if "visibility" in cleaned or "roles" in cleaned:
        visibility = cleaned.get("visibility", view.visibility)
        roles = cleaned["roles"] if "roles" in cleaned else ([] if visibility == ViewVisibility.PERSONAL else view.roles.all())
        cleaned["roles"] = _clean_sharing(visibility, roles, actor=actor)
    view, _ = model_update(instance=view, fields=fields, data=cleaned, actor=actor)
    return view


@transaction.atomic
def view_delete(*, view: SavedView, actor: User) -> None:
    """Delete (softly) a person's view: its owner, or a holder of manage_saved_views. Built-in views are changed, not
    deleted (the workspace's queues are them)."""
    if not can_change_view(actor, view):
        raise DomainPermissionDenied("Only the owner of this view may delete it.")
    if view.is_builtin:
        raise DomainConflict("A built-in view cannot be deleted; change it instead.", code="builtin_view")
    view.soft_delete(actor=actor)
