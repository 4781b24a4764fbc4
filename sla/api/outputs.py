"""Output serializers of the service-level API, reading only what sla.selectors prefetch."""

from __future__ import annotations

from rest_framework import serializers

from sla.models import BusinessCalendar, BusinessHours, CalendarDay, SlaPolicy
from sla.services.configuration import POLICY_FIELDS
from ticketsite.api.errors import client_error_response

AUDIT_FIELDS = ["created_by", "created_at", "updated_by", "updated_at"]


class HoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessHours
        fields = ["weekday", "start", "end"]
        read_only_fields = fields


class DaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["date", "name", "start", "end"]
        read_only_fields = fields


class CalendarSerializer(serializers.ModelSerializer):
    hours = HoursSerializer(many=True, read_only=True)
    days = DaySerializer(many=True, read_only=True)

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "time_zone",
            "holiday_country",
            "holiday_subdivision",
            "is_default",
            "hours",
            "days",
            *AUDIT_FIELDS,
        ]
        read_only_fields = fields


class PolicySerializer(serializers.ModelSerializer):
    categories: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    templates: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    priorities = serializers.ListField(child=serializers.CharField(), read_only=True)
    pause_statuses = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = SlaPolicy
        fields = ["id", *POLICY_FIELDS, *AUDIT_FIELDS]
        read_only_fields = fields


CalendarInUseResponseSerializer = client_error_response(
    "CalendarInUse",
    doc="409: the calendar is the default one or a live policy counts in it.",
    code=serializers.CharField(help_text="in_use"),
    detail=serializers.CharField(help_text="The default calendar, or the number of policies counting in it."),
)
