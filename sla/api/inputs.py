"""Input serializers of the service-level API: calendars (with their weekly hours and own dates, written whole) and
policies."""

from __future__ import annotations

from rest_framework import serializers

from sla.models import BusinessCalendar
from sla.services.configuration import PAUSABLE_STATUSES
from tickets.models import Category, TicketPriority, TicketTemplate
from ticketsite.api.fields import StrictCharField, StrictIntegerField, StrictPrimaryKeyRelatedField
from ticketsite.api.serializers import StrictInputSerializer
from ticketsite.limits import NAME_MAX_LENGTH

# Business minutes of a target: up to a year of round-the-clock work.
MAX_TARGET_MINUTES = 366 * 24 * 60


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean only: DRF's own also takes 0, 1, "yes", "on"... which a client sending a number means otherwise."""

    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class HoursInputSerializer(StrictInputSerializer):
    weekday = StrictIntegerField(min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday.")
    start = serializers.TimeField(help_text="Local wall-clock time, e.g. 09:00.")
    end = serializers.TimeField(help_text="At or before start: the interval runs past midnight; 00:00 is midnight.")


class DayInputSerializer(StrictInputSerializer):
    date = serializers.DateField()
    name = StrictCharField(max_length=NAME_MAX_LENGTH, required=False, allow_blank=True, default="")
    start = serializers.TimeField(required=False, allow_null=True, default=None, help_text="Empty with end: closed.")
    end = serializers.TimeField(required=False, allow_null=True, default=None)


class CalendarInputSerializer(StrictInputSerializer):
    name = StrictCharField(max_length=NAME_MAX_LENGTH)
    time_zone = StrictCharField(max_length=64, required=False, help_text="An IANA time zone, e.g. Europe/Berlin.")
    holiday_country = StrictCharField(max_length=8, required=False, allow_blank=True, help_text="e.g. DE; empty: none.")
    holiday_subdivision = StrictCharField(max_length=16, required=False, allow_blank=True, help_text="e.g. BY.")
    is_default = StrictBooleanField(required=False)
    hours = HoursInputSerializer(many=True, allow_empty=False, help_text="The weekly working intervals (replaced whole).")
    days = DayInputSerializer(many=True, required=False, help_text="Closed dates and dates with other hours (replaced whole).")


class PolicyInputSerializer(StrictInputSerializer):
    name = StrictCharField(max_length=NAME_MAX_LENGTH)
    order = StrictIntegerField(min_value=0, max_value=1_000_000, required=False, help_text="Policies are tried lowest first.")
    is_active = StrictBooleanField(required=False)
    calendar = StrictPrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(), required=False, allow_null=True, help_text="Empty: the default calendar."
    )
    priorities = serializers.ListField(
        child=serializers.ChoiceField(choices=TicketPriority.choices), required=False, max_length=len(TicketPriority)
    )
    categories = StrictPrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False)
    templates = StrictPrimaryKeyRelatedField(queryset=TicketTemplate.objects.all(), many=True, required=False)
    first_response_minutes = StrictIntegerField(min_value=1, max_value=MAX_TARGET_MINUTES, required=False, allow_null=True)
    resolution_minutes = StrictIntegerField(min_value=1, max_value=MAX_TARGET_MINUTES)
    warning_percent = StrictIntegerField(min_value=1, max_value=99, required=False)
    pause_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(PAUSABLE_STATUSES)), required=False, max_length=len(PAUSABLE_STATUSES)
    )
