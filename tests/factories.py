"""Factories for Django's own models (users, roles). Each app keeps its own in <app>/tests/factories.py."""

import factory
from django.contrib.auth.models import Group, Permission, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_active = True
    password = factory.django.Password("pass-12345")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*extracted)

    @factory.post_generation
    def perms(self, create, extracted, **kwargs):
        """perms=["tickets.work_on_ticket", ...] grants global permissions directly."""
        if create and extracted:
            for dotted in extracted:
                app_label, codename = dotted.split(".")
                self.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"role{n}")
