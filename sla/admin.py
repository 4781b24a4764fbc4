"""Back office for service levels: calendars with their weekly hours and own dates on one page, and SLA policies.
The rules the API's services apply are applied here too: a known time zone and holiday country, one default calendar,
priorities and pause statuses from their choices. The tickets' clocks are not edited here (the clock moves them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from sla.models import BusinessCalendar, BusinessHours, CalendarDay, SlaPolicy
from sla.services import configuration
from tickets.models import TicketPriority
from ticketsite.admin import AuditedAdmin, AuditedModelForm
from ticketsite.errors import DomainValidationError


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    fields = ["weekday", "start", "end"]
    extra = 1


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    fields = ["date", "name", "start", "end"]
    extra = 1


class BusinessCalendarForm(AuditedModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "holiday_country", "holiday_subdivision", "is_default"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            configuration.check_zone_and_holidays(
                time_zone=data.get("time_zone") or "",
                country=data.get("holiday_country") or "",
                subdivision=data.get("holiday_subdivision") or "",
            )
        except DomainValidationError as exc:
            raise ValidationError(exc.detail) from None  # type: ignore[arg-type]
        if self.instance.pk is not None and self.instance.is_default and not data.get("is_default"):
            raise ValidationError({"is_default": "There is always one default calendar: make another one the default."})
        return data

    def validate_constraints(self) -> None:
        # The one-default constraint is kept by save_model (the previous default gives it up), not refused here.
        self.instance.is_default = False
        try:
            super().validate_constraints()
        finally:
            self.instance.is_default = bool(self.cleaned_data.get("is_default"))


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "time_zone", "holiday_country", "holiday_subdivision", "is_default", "updated_at"]
    search_fields = ["name"]
    inlines = [BusinessHoursInline, CalendarDayInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.is_default:
            configuration.take_default(obj, request.user)
        super().save_model(request, obj, form, change)


class SlaPolicyForm(AuditedModelForm):
    priorities = forms.MultipleChoiceField(
        choices=TicketPriority.choices, required=False, widget=forms.CheckboxSelectMultiple, help_text="None: any."
    )
    pause_statuses = forms.MultipleChoiceField(
        choices=[(status.value, status.label) for status in sorted(configuration.PAUSABLE_STATUSES)],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SlaPolicy
        fields = list(configuration.POLICY_FIELDS)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    form = SlaPolicyForm
    list_display = ["name", "order", "is_active", "calendar", "first_response_minutes", "resolution_minutes", "updated_at"]
    list_select_related = ["calendar"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["categories", "templates"]
    ordering = ["order", "id"]
