"""Saved views (SPEC §16, docs/views.md): a named set of the ticket list API's own filter parameters, a sort in its
ordering terms and the list columns to show, kept for one person or shared with roles. The workspace's queues are
views: the built-in ones are seeded rows (migrations/0002_builtin_views), people add their own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from ticketsite.models import AuditedModel

ME = "me"  # in a view's filters: the person looking at the view


class ViewVisibility(models.TextChoices):
    PERSONAL = "personal", "Only me"
    ROLES = "roles", "Shared with roles"
    # Built-in views only: the desk's queues, and "All I can see".
    DESK = "desk", "Everyone who works the desk"
    EVERYONE = "everyone", "Everyone signed in"


PEOPLES_VISIBILITIES = (ViewVisibility.PERSONAL, ViewVisibility.ROLES)
BUILTIN_VISIBILITIES = (ViewVisibility.DESK, ViewVisibility.EVERYONE)


class Column(models.TextChoices):
    """The list columns a view may show, besides the key (always first: it links to the ticket)."""

    TITLE = "title", "Title"
    STATUS = "status", "Status"
    PRIORITY = "priority", "Priority"
    REQUESTER = "requester", "Requester"
    ASSIGNEE = "assignee", "Assignee"
    CATEGORIES = "categories", "Categories"
    LABELS = "labels", "Labels"
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DUE = "due", "Due"
    RESOLUTION_DUE = "resolution_due", "Resolution due"


DEFAULT_COLUMNS = [
    Column.TITLE,
    Column.STATUS,
    Column.PRIORITY,
    Column.REQUESTER,
    Column.ASSIGNEE,
    Column.CATEGORIES,
    Column.UPDATED,
]  # Labels on demand: with every column the table would not fit a 1366 px laptop (the browser suite checks it)
DEFAULT_ORDERING = ["-updated_at"]


def default_columns() -> list[str]:
    return [str(column) for column in DEFAULT_COLUMNS]


def default_ordering() -> list[str]:
    return list(DEFAULT_ORDERING)


class SavedView(AuditedModel):
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True, default="")
    # Built-in views are addressed by their slug (/queues/unassigned/); people's views by their id.
    slug = models.SlugField(max_length=50, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="saved_views"
    )
    # TicketFilter parameter -> its values, as repeated in a query string; "me" in a user filter is the viewer.
    filters = models.JSONField(default=dict, blank=True)
    ordering = models.JSONField(default=default_ordering, blank=True)  # the ticket list API's ordering terms
    columns = models.JSONField(default=default_columns, blank=True)  # Column values, in the order shown
    visibility = models.CharField(max_length=16, choices=ViewVisibility.choices, default=ViewVisibility.PERSONAL)
    roles = models.ManyToManyField(Group, blank=True, related_name="+", db_table="saved_view_roles")
    is_builtin = models.BooleanField(default=False, editable=False)
    position = models.PositiveSmallIntegerField(default=0)  # built-in views' order in the sidebar

    class Meta:
        db_table = "saved_views"
        ordering = ["-is_builtin", "position", "name", "id"]
        permissions = [("manage_saved_views", "Can change and delete every saved view, built-in ones included")]
        constraints = [
            # A built-in view belongs to no one, has a slug and is for the desk or everyone; a person's view is theirs.
            models.CheckConstraint(
                condition=(Q(is_builtin=True, owner__isnull=True, visibility__in=BUILTIN_VISIBILITIES) & ~Q(slug=""))
                | Q(is_builtin=False, owner__isnull=False, slug="", visibility__in=PEOPLES_VISIBILITIES),
                name="saved_views_builtin_or_owned",
                violation_error_code="invalid",
            ),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(is_builtin=True, is_deleted=False), name="saved_views_slug_unique_alive"
            ),
            models.UniqueConstraint(
                F("owner"),
                Lower("name"),  # "Urgent" and "urgent" are one name
                condition=Q(is_deleted=False, owner__isnull=False),
                name="saved_views_owner_name_unique_alive",
                violation_error_code="unique",
                violation_error_message="You already have a view with this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        """How the workspace's URL names the view (/queues/<address>/)."""
        return self.slug if self.is_builtin else str(self.pk)

    def parameters_for(self, viewer: Any) -> dict[str, list[str]]:
        """The filters as the viewer's ticket list parameters: "me" becomes the viewer's id."""
        return {
            name: [str(viewer.pk) if value == ME else str(value) for value in values] for name, values in self.filters.items()
        }
