"""Service levels (SPEC §15): business calendars, SLA policies and the clock each ticket runs against its policy.

The figures lists filter and sort on (status, due times, remaining minutes) are stored on the ticket itself
(tickets.Ticket.sla_*); the bookkeeping behind them (time used so far, which events were recorded) is `TicketClock`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from tickets.models import TicketPriority, TicketStatus
from ticketsite.models import AuditedModel

DEFAULT_PAUSE_STATUSES = [TicketStatus.WAITING_APPROVAL.value, TicketStatus.REJECTED.value]


def default_pause_statuses() -> list[str]:
    return list(DEFAULT_PAUSE_STATUSES)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessCalendar(AuditedModel):
    """When the help desk works: weekly hours in a time zone, public holidays of a country (and subdivision), and
    dates of its own (closed days, or days with other hours)."""

    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="An IANA time zone, e.g. Europe/Berlin.")
    holiday_country = models.CharField(
        max_length=8, blank=True, default="", help_text="ISO 3166 country code of the public holidays, e.g. DE; empty: none."
    )
    holiday_subdivision = models.CharField(
        max_length=16, blank=True, default="", help_text="The country's subdivision (state, province), e.g. BY; optional."
    )
    is_default = models.BooleanField(default=False, help_text="The calendar of policies that name none (exactly one).")

    class Meta:
        db_table = "business_calendars"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), condition=Q(is_deleted=False), name="business_calendars_name_unique_alive"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_deleted=False, is_default=True), name="business_calendars_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BusinessHours(AuditedModel):
    """One working interval of a weekday, in the calendar's time zone. Several per day are fine (09:00-12:00,
    13:00-18:00); an end at or before the start runs past midnight, an end of 00:00 is midnight, so 00:00-00:00 is the
    whole day (a round-the-clock desk)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        db_table = "business_calendar_hours"
        ordering = ["weekday", "start", "id"]
        verbose_name = "working hours"
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="business_calendar_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class CalendarDay(AuditedModel):
    """A date of the calendar's own: without hours, a closed day (a company holiday); with hours, the day's working
    interval instead of the weekly ones, public holiday or not (several rows for several intervals)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    name = models.CharField(max_length=200, blank=True, default="")
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)

    class Meta:
        db_table = "business_calendar_days"
        ordering = ["date", "start", "id"]
        verbose_name = "calendar date"
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True) | Q(start__isnull=False, end__isnull=False),
                name="business_calendar_days_hours_or_closed",
            ),
        ]

    def __str__(self) -> str:
        if self.start is None or self.end is None:
            return f"{self.date} closed"
        return f"{self.date} {self.start:%H:%M}-{self.end:%H:%M}"


class SlaPolicy(AuditedModel):
    """Targets for the tickets it matches. Policies are tried by `order` (then id); the first whose conditions all hold
    applies. An empty condition matches everything."""

    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=100, help_text="Lower first.")
    is_active = models.BooleanField(default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text="Empty: the default calendar.",
    )
    priorities = models.JSONField(default=list, blank=True, help_text="Ticket priorities it applies to; empty: any.")
    categories = models.ManyToManyField("tickets.Category", blank=True, db_table="sla_policy_categories", related_name="+")
    templates = models.ManyToManyField("tickets.TicketTemplate", blank=True, db_table="sla_policy_templates", related_name="+")
    first_response_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Business minutes to the first response; empty: no first-response target."
    )
    resolution_minutes = models.PositiveIntegerField(help_text="Business minutes to resolution.")
    warning_percent = models.PositiveSmallIntegerField(
        default=80, help_text="A warning when this share of a target is used up (1-99)."
    )
    pause_statuses = models.JSONField(
        default=default_pause_statuses, blank=True, help_text="Ticket statuses in which the clock stops."
    )

    class Meta:
        db_table = "sla_policies"
        ordering = ["order", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(Lower("name"), condition=Q(is_deleted=False), name="sla_policies_name_unique_alive"),
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1, warning_percent__lte=99), name="sla_policies_warning_percent"
            ),
            models.CheckConstraint(condition=Q(resolution_minutes__gte=1), name="sla_policies_resolution_positive"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__isnull=True) | Q(first_response_minutes__gte=1),
                name="sla_policies_first_response_positive",
            ),
        ]
        indexes = [models.Index(fields=["order", "id"], name="sla_policies_order_idx")]

    def __str__(self) -> str:
        return self.name


PRIORITY_VALUES = frozenset(TicketPriority.values)


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"


class TicketClock(AuditedModel):
    """The bookkeeping of one ticket's service level: business minutes used before the running stretch (or all of
    them, while stopped), since when it runs, which warning and breach events were recorded (each once), and when
    `sla_tick` has to look at it next (indexed: the tick reads only clocks whose moment has come)."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.PROTECT, related_name="sla_clock")
    running_since = models.DateTimeField(null=True, blank=True)
    response_used = models.PositiveIntegerField(default=0)
    resolution_used = models.PositiveIntegerField(default=0)
    response_warned = models.BooleanField(default=False)
    response_breached = models.BooleanField(default=False)
    resolution_warned = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ticket_sla_clocks"
        ordering = ["id"]
        verbose_name = "SLA clock"
        indexes = [models.Index(fields=["next_check_at"], name="ticket_sla_clocks_next_idx")]

    def __str__(self) -> str:
        return f"SLA clock of ticket {self.ticket_id}"
