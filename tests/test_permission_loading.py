"""The caller's permissions in one statement (ticketsite.backends.PermissionBackend): read with the user by the JWT
authentication and the session's user loading, else in one query; ModelBackend's answers (superusers hold every
permission, inactive and anonymous users none, roles' permissions count); kept for one request only."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Permission, User
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.statemachine import AGENT_PERMISSION
from ticketsite.backends import PermissionBackend, with_permissions

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/me/"
AGENT = "tickets.work_on_ticket"
MANAGER = "permissions.manage_ticket_permissions"


def permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def bearer(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def member():
    """A user with one permission of their own and one through a role."""
    role = RoleFactory()
    role.permissions.add(permission(MANAGER))
    return UserFactory(perms=[AGENT], roles=[role])


def test_own_and_roles_permissions_in_one_query(member, django_assert_num_queries):
    user = fresh(member)
    backend = PermissionBackend()

    with django_assert_num_queries(1):
        assert backend.get_all_permissions(user) == {AGENT, MANAGER}
        assert backend.get_user_permissions(user) == {AGENT}
        assert backend.get_group_permissions(user) == {MANAGER}
        assert user.has_perm(AGENT)
        assert user.has_perm(MANAGER)
        assert not user.has_perm("tickets.delete_ticket")


def test_answers_are_model_backends(member):
    for user in (member, UserFactory(), AdminFactory(), UserFactory(perms=[AGENT], is_active=False)):
        for method in ("get_all_permissions", "get_user_permissions", "get_group_permissions"):
            assert getattr(PermissionBackend(), method)(fresh(user)) == getattr(ModelBackend(), method)(fresh(user))


def test_a_user_loaded_with_permissions_needs_no_query(member, django_assert_num_queries):
    user = with_permissions(User.objects.filter(pk=member.pk)).get()

    with django_assert_num_queries(0):
        assert user.get_all_permissions() == {AGENT, MANAGER}
        assert user.has_perm(MANAGER)


def test_the_session_loads_the_user_with_permissions(member, django_assert_num_queries):
    backend = PermissionBackend()
    with django_assert_num_queries(1):
        user = backend.get_user(member.pk)
        assert user is not None
        assert user.has_perm(AGENT)
        assert user.has_perm(MANAGER)


def test_an_inactive_user_has_no_session_and_no_permissions(member, django_assert_num_queries):
    User.objects.filter(pk=member.pk).update(is_active=False)

    assert PermissionBackend().get_user(member.pk) is None
    user = fresh(member)
    with django_assert_num_queries(0):
        assert PermissionBackend().get_all_permissions(user) == set()
        assert not user.has_perm(AGENT)


def test_superuser_holds_every_permission(django_assert_num_queries):
    admin = AdminFactory()
    every = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    user = with_permissions(User.objects.filter(pk=admin.pk)).get()

    with django_assert_num_queries(0):
        assert user.has_perm("anything.at_all")  # Django's User answers superusers without asking a backend
    with django_assert_num_queries(1):
        assert user.get_all_permissions() == every
        assert PermissionBackend().get_user_permissions(user) == every
        assert PermissionBackend().get_group_permissions(user) == every


def test_anonymous_users_and_objects_get_nothing(member):
    backend = PermissionBackend()
    assert backend.get_all_permissions(AnonymousUser()) == set()
    assert backend.get_all_permissions(fresh(member), obj=member) == set()
    assert not backend.has_perm(fresh(member), AGENT, obj=member)


def test_a_role_grants_permissions_to_its_members_only(member):
    outsider = UserFactory()

    assert fresh(member).has_perm(MANAGER)
    assert not fresh(outsider).has_perm(MANAGER)


def test_the_bearer_request_reads_user_and_permissions_in_one_statement(member, django_assert_num_queries):
    client = bearer(member)

    # the user with their permissions, then the roles the answer lists
    with django_assert_num_queries(2):
        body = client.get(ME_URL).json()

    assert body["permissions"] == sorted([AGENT, MANAGER])


def test_a_revoked_permission_is_gone_on_the_next_request(member):
    client = bearer(member)
    assert client.get(ME_URL).json()["permissions"] == sorted([AGENT, MANAGER])

    member.user_permissions.remove(permission(AGENT))
    assert client.get(ME_URL).json()["permissions"] == [MANAGER]

    member.groups.clear()
    assert client.get(ME_URL).json()["permissions"] == []


def test_a_granted_role_counts_on_the_next_request(member):
    client = bearer(member)
    role = RoleFactory()
    role.permissions.add(permission("tickets.delete_ticket"))

    member.groups.add(role)

    assert "tickets.delete_ticket" in client.get(ME_URL).json()["permissions"]


def test_session_requests_read_permissions_with_the_user(member, django_assert_num_queries):
    client = APIClient()
    client.force_login(member)

    # the session, the user with their permissions, the roles the answer lists
    with django_assert_num_queries(3):
        body = client.get(ME_URL).json()

    assert body["permissions"] == sorted([AGENT, MANAGER])


@pytest.mark.parametrize("is_active", [True, False, None])
@pytest.mark.parametrize("include_superusers", [True, False])
def test_with_perm_answers_as_the_model_backend(member, is_active, include_superusers):
    """The same users as ModelBackend.with_perm: own permission, through a role, superusers, active or not."""
    by_role = RoleFactory()
    by_role.permissions.add(permission(AGENT_PERMISSION))
    world = [
        AdminFactory(),
        AdminFactory(is_active=False),
        UserFactory(perms=[AGENT_PERMISSION], is_active=False),
        UserFactory(roles=[by_role]),
        UserFactory(roles=[by_role], is_active=False),
        UserFactory(perms=[MANAGER]),
        UserFactory(),
    ]
    assert len(world) == 7
    for perm in (AGENT_PERMISSION, permission(AGENT_PERMISSION), MANAGER):
        expected = ModelBackend().with_perm(perm, is_active=is_active, include_superusers=include_superusers)
        found = PermissionBackend().with_perm(perm, is_active=is_active, include_superusers=include_superusers)
        assert set(found.values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True))
        assert found.count() == expected.count()  # no user twice
    assert not PermissionBackend().with_perm(AGENT_PERMISSION, obj=member).exists()
    with pytest.raises(ValueError):
        PermissionBackend().with_perm("no-dot")
    with pytest.raises(TypeError):
        PermissionBackend().with_perm(42)  # type: ignore[arg-type]


def test_with_perm_still_answers_through_the_model_backend(member):
    agents = {AdminFactory().pk, member.pk}
    for backend in ("django.contrib.auth.backends.ModelBackend", "ticketsite.backends.PermissionBackend"):
        found = get_user_model().objects.with_perm(AGENT_PERMISSION, backend=backend)
        assert set(found.values_list("pk", flat=True)) == agents


def test_the_async_checks_answer_the_same(member):
    user, backend = fresh(member), PermissionBackend()

    assert async_to_sync(backend.aget_user_permissions)(user) == {AGENT}
    assert async_to_sync(backend.aget_group_permissions)(user) == {MANAGER}
    assert async_to_sync(backend.aget_all_permissions)(user) == {AGENT, MANAGER}
    assert async_to_sync(backend.ahas_perm)(user, MANAGER)
    assert async_to_sync(backend.aget_user)(member.pk) == member
