"""The audited base every domain model inherits: audit fields and soft delete (SPEC §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.sql import Query
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Who performs a change: a user (from the API, the admin, a command), or None for the system.
type Actor = "User | AnonymousUser | None"


def user_xor_role(name: str) -> models.CheckConstraint:
    """A row names exactly one of a user or a role (view grants, approver slots). Services check it before writing
    with `ticketsite.services.require_user_xor_role`; this is the database's guarantee."""
    return models.CheckConstraint(
        condition=Q(user__isnull=False, role__isnull=True) | Q(user__isnull=True, role__isnull=False), name=name
    )


def user_or_role_name(row: Any) -> str:
    """Who a grant or an approver slot names, for its `__str__`: the username, or the role's name marked as a role."""
    return str(row.user.username) if row.user_id is not None else f"{row.role.name} (role)"


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self) -> Self:
        return self.filter(is_deleted=False)

    def deleted(self) -> Self:
        return self.filter(is_deleted=True)


class AliveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """Default manager: deleted rows do not exist for ordinary code."""

    def get_queryset(self) -> SoftDeleteQuerySet:
        # The filter is built once per model and each queryset gets a copy: built at every manager access, it cost
        # more than half of a simple lookup's preparation.
        queryset = super().get_queryset()
        alive = _ALIVE_QUERIES.get(self.model)
        if alive is None:
            alive = _ALIVE_QUERIES[self.model] = queryset.alive().query
        queryset.query = alive.chain()  # a query of its own (assigning `query` is public: it is how pickles load)
        return queryset


_ALIVE_QUERIES: dict[type[models.Model], Query] = {}


AllObjectsManager = models.Manager.from_queryset(SoftDeleteQuerySet)


class AuditedModel(models.Model):
    """Audit fields and soft delete. Services stamp the actor; the admin base stamps request.user."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_deleted = models.BooleanField(default=False, editable=False)

    objects = AliveManager()
    all_objects = AllObjectsManager()

    class Meta:
        abstract = True

    def stamp(self, actor: Any | None, *, created: bool = False) -> list[str]:
        """Set the audit fields for a change by `actor`; returns the fields touched, for `update_fields`."""
        now = timezone.now()
        user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        self.updated_by = user
        self.updated_at = now
        if created:
            self.created_by = user
            self.created_at = now
        return ["updated_by", "updated_at"]

    def soft_delete(self, *, actor: Any | None) -> None:
        user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        self.is_deleted = True
        self.deleted_by = user
        self.deleted_at = timezone.now()
        fields = self.stamp(actor)
        self.save(update_fields=["is_deleted", "deleted_by", "deleted_at", *fields])

    def restore(self, *, actor: Any | None) -> None:
        self.is_deleted = False
        self.deleted_by = None
        self.deleted_at = None
        fields = self.stamp(actor)
        self.save(update_fields=["is_deleted", "deleted_by", "deleted_at", *fields])
