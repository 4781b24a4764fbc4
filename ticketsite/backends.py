"""Where a user's permissions come from: Django's model backend, with a user's own permissions and their roles' read in
one statement, or in none when the user was loaded with them (`with_permissions`: the JWT authentication and the
session's user loading do so), instead of one query for each.

The answers are ModelBackend's: an active superuser holds every permission, an inactive or anonymous user none, object
permissions are not this backend's, and what was read is kept on the user object, so for the request that loaded it:
a permission granted or revoked is seen by the next request."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db.models import CharField, OuterRef, Q, QuerySet, StringAgg, Subquery, Value
from django.db.models.functions import Concat

from ticketsite.compiled import CompiledQuery

# Between two permission names in an aggregated column: the ASCII unit separator, which no permission name holds.
SEPARATOR = "\x1f"

# The annotations `with_permissions` adds to each user: their own permissions' names, and their roles'.
OWN_PERMISSIONS = "own_permission_names"
ROLE_PERMISSIONS = "role_permission_names"

UserPermission = get_user_model().user_permissions.through
RolePermission = Group.permissions.through
UserGroup = get_user_model().groups.through


def _names(links: QuerySet[Any], owner: str) -> Subquery:
    """The names ("app_label.codename") of the permissions `links` reach, as one text (NULL for none), grouped by their
    `owner` column, which the caller pins to one user."""
    name = Concat("permission__content_type__app_label", Value("."), "permission__codename", output_field=CharField())
    return Subquery(links.order_by().values(owner).annotate(names=StringAgg(name, Value(SEPARATOR))).values("names"))


def with_permissions(users: QuerySet[Any]) -> QuerySet[Any]:
    """`users`, each row with the names of the user's own permissions and of their roles', in the same statement: the
    backend then answers that user object's permission checks without a query."""
    return users.annotate(
        **{
            OWN_PERMISSIONS: _names(UserPermission.objects.filter(user=OuterRef("pk")), "user"),
            ROLE_PERMISSIONS: _names(RolePermission.objects.filter(group__user=OuterRef("pk")), "group__user"),
        }
    )


# Built and compiled once per process (ticketsite.compiled): it runs on every API request and every page.
_USER_WITH_PERMISSIONS = CompiledQuery(
    lambda user_id, at: with_permissions(get_user_model()._default_manager.filter(pk=user_id))
)


def user_with_permissions(user_id: int) -> User | None:
    """The user with this id, loaded with their permissions (`with_permissions`), or None."""
    return next(iter(get_user_model()._default_manager.raw(*_USER_WITH_PERMISSIONS.sql_for(user_id))), None)


@dataclass(frozen=True)
class LoadedPermissions:
    own: frozenset[str]
    roles: frozenset[str]

    @cached_property
    def all(self) -> frozenset[str]:  # asked once per permission check, e.g. for each ticket of a page
        return self.own | self.roles


NO_PERMISSIONS = LoadedPermissions(own=frozenset(), roles=frozenset())


def _split(names: str | None) -> frozenset[str]:
    return frozenset(names.split(SEPARATOR)) if names else frozenset()


class PermissionBackend(ModelBackend):
    """ModelBackend (authentication, `with_perm`, the same answers), its users loaded with their permissions and the
    permissions of a user loaded otherwise read in one statement."""

    # On the user object, for the request that loaded it (as ModelBackend keeps its caches).
    cache_attribute = "loaded_permissions"

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = user_with_permissions(pk)
        return user if user is not None and self.user_can_authenticate(user) else None

    def permissions_of(self, user_obj: User) -> LoadedPermissions:
        """The permissions of an active user: every permission for a superuser, their own and their roles' otherwise;
        read from the user's row when it came with them, else in one query; then kept on the user object."""
        loaded = getattr(user_obj, self.cache_attribute, None)
        if isinstance(loaded, LoadedPermissions):
            return loaded
        if getattr(user_obj, "is_superuser", False):
            every = frozenset(
                f"{app_label}.{codename}"
                for app_label, codename in Permission.objects.values_list("content_type__app_label", "codename").order_by()
            )
            loaded = LoadedPermissions(own=every, roles=every)
        elif hasattr(user_obj, OWN_PERMISSIONS):
            loaded = LoadedPermissions(
                own=_split(getattr(user_obj, OWN_PERMISSIONS)), roles=_split(getattr(user_obj, ROLE_PERMISSIONS))
            )
        else:
            row = user_with_permissions(user_obj.pk)
            own, roles = (getattr(row, OWN_PERMISSIONS), getattr(row, ROLE_PERMISSIONS)) if row else (None, None)
            loaded = LoadedPermissions(own=_split(own), roles=_split(roles))
        setattr(user_obj, self.cache_attribute, loaded)
        return loaded

    def _permissions(self, user_obj: Any, obj: Any) -> LoadedPermissions:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return NO_PERMISSIONS
        return self.permissions_of(user_obj)

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set(self._permissions(user_obj, obj).own)

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set(self._permissions(user_obj, obj).roles)

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set(self._permissions(user_obj, obj).all)

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        # ModelBackend's answer without copying every permission name into a new set at each check.
        return bool(user_obj.is_active) and perm in self._permissions(user_obj, obj).all

    def with_perm(
        self, perm: str | Permission, is_active: bool = True, include_superusers: bool = True, obj: Any = None
    ) -> QuerySet[Any]:
        """ModelBackend's users holding `perm` (own, through a role, or superusers), by sub-selects that do not depend
        on the user row: ModelBackend's correlated EXISTS ran once per user (about 100 ms at 1,000 users)."""
        users = get_user_model()._default_manager
        if obj is not None:
            return users.none()
        if isinstance(perm, Permission):
            permission = Permission.objects.filter(pk=perm.pk)
        elif isinstance(perm, str) and perm.count(".") == 1:
            app_label, codename = perm.split(".")
            permission = Permission.objects.filter(codename=codename, content_type__app_label=app_label)
        else:
            return super().with_perm(perm, is_active, include_superusers, obj)  # ModelBackend's ValueError/TypeError
        holders = Q(pk__in=UserPermission.objects.filter(permission__in=permission).values("user_id"))
        holders |= Q(pk__in=UserGroup.objects.filter(group__permissions__in=permission).values("user_id"))
        if include_superusers:
            holders |= Q(is_superuser=True)
        if is_active is not None:
            holders &= Q(is_active=is_active)
        return users.filter(holders)

    async def aget_user(self, user_id: Any) -> User | None:
        return await sync_to_async(self.get_user)(user_id)

    async def aget_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return await sync_to_async(self.get_user_permissions)(user_obj, obj)

    async def aget_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return await sync_to_async(self.get_group_permissions)(user_obj, obj)

    async def aget_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return await sync_to_async(self.get_all_permissions)(user_obj, obj)


# The backend's dotted path, for `User.objects.with_perm(..., backend=...)`: with axes beside it, with_perm must be told.
PERMISSION_BACKEND = f"{PermissionBackend.__module__}.{PermissionBackend.__qualname__}"
