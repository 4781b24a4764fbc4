"""Saved view rows as the database holds them; use the API or the services to exercise behaviour."""

import factory

from savedviews.models import SavedView, ViewVisibility
from tests.factories import UserFactory


class SavedViewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedView
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"View {n}")
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    filters = factory.LazyFunction(lambda: {"status": ["open"]})
    visibility = ViewVisibility.PERSONAL

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.set(extracted)
