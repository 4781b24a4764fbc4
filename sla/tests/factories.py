"""Factories for the service-level models: calendars (with weekly hours), policies and ticket clocks."""

from datetime import time

import factory

from sla.models import BusinessCalendar, BusinessHours, SlaPolicy, TicketClock


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    """A calendar; `hours=(start, end)` gives Monday to Friday those hours (default 09:00-18:00), `hours=()` none."""

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Europe/Berlin"

    @factory.post_generation
    def hours(self, create, extracted, **kwargs):
        if not create or extracted == ():
            return
        start, end = extracted or (time(9), time(18))
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=self, weekday=weekday, start=start, end=end) for weekday in range(5)
        )


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Policy {n}")
    calendar = factory.SubFactory(BusinessCalendarFactory)
    first_response_minutes = 60
    resolution_minutes = 240

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def templates(self, create, extracted, **kwargs):
        if create and extracted:
            self.templates.set(extracted)


class TicketClockFactory(factory.django.DjangoModelFactory):
    """A ticket's service-level bookkeeping as the clock leaves it, its flags and minutes given directly (for reads of
    it, such as the compliance report); the clock service itself makes clocks as tickets leave draft."""

    class Meta:
        model = TicketClock
