"""A small world whose report figures are computed by hand in the tests (docs/reports.md): November 2026, ISO weeks
45 to 48 (Monday 2 to Sunday 29), times in UTC (the site's zone).

Visible to everyone signed in (internal):
- T1 resolved, Hardware, "Laptop request": created 2 Nov 09:00, open 10:00, resolved 3 Nov 10:00 (24 h);
- T2 resolved, Hardware + Software, no template: created 9 Nov 09:00, no opening on its timeline (counts from its
  creation), resolved 21:00 (12 h);
- T3 closed, Hardware, "Laptop request": created and open 10 Nov 08:00, resolved 12 Nov 08:00 (48 h);
- T4 open, high, Software, created 16 Nov; T5 in progress, urgent, no category, created 17 Nov;
- T6 waiting for approval, medium, Software, created 24 Nov, its approval running: step 1 (active since 24 Nov 10:00)
  waits on approver1 and on the Purchasing role, step 2 (waiting) on approver2;
- T8 a draft, created 5 Nov.
Restricted, created by carol, seen by the auditor (and whoever is granted):
- T7 resolved, Hardware, "Laptop request": created and open 23 Nov 00:00, resolved 24 Nov 00:00 (24 h); an approval
  approved in 5 h, and a running one whose active step (since 20 Nov) waits on approver1;
- T9 open, urgent, Hardware, created 25 Nov.
Approvals ended in November on visible tickets, template "Manager approval": on T1 approved in 1 h (step 1 "Manager"
1 h); on T2 rejected after 3 h (step 1 "Manager" 1 h, step 2 "Finance" 2 h).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import factory

from approvals.models import ProcessStatus, SlotStatus, StepStatus
from approvals.tests.factories import (
    ApprovalProcessFactory,
    ApprovalProcessStepFactory,
    ApprovalSlotFactory,
    ApprovalTemplateFactory,
)
from reports.periods import Period
from tests.factories import RoleFactory, UserFactory
from tickets.models import EventType, Ticket, TicketNote, TicketPriority, TicketStatus, TicketVisibility
from tickets.tests.factories import CategoryFactory, TicketFactory, TicketTemplateFactory

NOVEMBER = Period(start=datetime(2026, 11, 2).date(), end=datetime(2026, 11, 29).date())
HOUR = 3600
LAPTOP_SCHEMA = {
    "type": "object",
    "properties": {"cpu": {"type": "string"}, "ram": {"type": "integer"}, "extras": {"type": "array"}},
}


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


class OpeningFactory(factory.django.DjangoModelFactory):
    """The timeline's `status_change` to open, at a chosen time: the event the receivers write when a ticket is
    submitted or approved, dated as the figures need (the services would date it now)."""

    class Meta:
        model = TicketNote

    system = True
    event_type = EventType.STATUS_CHANGE
    event_details = factory.LazyFunction(lambda: {"from": "draft", "to": "open", "comment": ""})


@dataclass
class ReportWorld:
    people: dict[str, Any]
    tickets: dict[str, Ticket]
    hardware: Any
    software: Any
    laptop: Any
    access: Any
    manager_approval: Any
    purchasing: Any


def ticket_at(created: datetime, *, resolved: datetime | None = None, closed: datetime | None = None, **fields: Any) -> Ticket:
    ticket = TicketFactory(**fields)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, updated_at=created, resolved_at=resolved, closed_at=closed)
    ticket.refresh_from_db()
    return ticket


def opened_at(ticket: Ticket, when: datetime) -> None:
    note = OpeningFactory(ticket=ticket)
    TicketNote.objects.filter(pk=note.pk).update(created_at=when)


def _process(ticket: Ticket, template: Any, status: str, started: datetime, finished: datetime | None, steps: list) -> Any:
    """steps: (order, name, status, started, finished, [slot kwargs])."""
    process = ApprovalProcessFactory(ticket=ticket, template=template, name=template.name, status=status)
    type(process).objects.filter(pk=process.pk).update(created_at=started, finished_at=finished)
    for order, name, step_status, step_started, step_finished, slots in steps:
        step = ApprovalProcessStepFactory(
            process=process, order=order, name=name, status=step_status, started_at=step_started, finished_at=step_finished
        )
        for slot in slots:
            ApprovalSlotFactory(step=step, **slot)
    return process


def build_report_world() -> ReportWorld:
    people = {
        "requester": UserFactory(username="alice"),
        "carol": UserFactory(username="carol"),
        "agent": UserFactory(username="agent", perms=["tickets.work_on_ticket"]),
        "auditor": UserFactory(username="auditor", perms=["tickets.view_all_tickets"]),
        "outsider": UserFactory(username="outsider"),
        "approver1": UserFactory(username="approver1"),
        "approver2": UserFactory(username="approver2"),
    }
    hardware, software = CategoryFactory(name="Hardware"), CategoryFactory(name="Software")
    laptop = TicketTemplateFactory(name="Laptop request", custom_fields_schema=LAPTOP_SCHEMA)
    access = TicketTemplateFactory(
        name="Access request", custom_fields_schema={"type": "object", "properties": {"system": {"type": "string"}}}
    )
    mine = {"created_by": people["requester"]}
    carols = {"created_by": people["carol"], "visibility": TicketVisibility.RESTRICTED}
    tickets = {
        "T1": ticket_at(
            at(2, 9), resolved=at(3, 10), status=TicketStatus.RESOLVED, categories=[hardware], template=laptop, **mine
        ),
        "T2": ticket_at(at(9, 9), resolved=at(9, 21), status=TicketStatus.RESOLVED, categories=[hardware, software], **mine),
        "T3": ticket_at(
            at(10, 8),
            resolved=at(12, 8),
            closed=at(13),
            status=TicketStatus.CLOSED,
            categories=[hardware],
            template=laptop,
            **mine,
        ),
        "T4": ticket_at(at(16, 9), status=TicketStatus.OPEN, priority=TicketPriority.HIGH, categories=[software], **mine),
        "T5": ticket_at(at(17, 9), status=TicketStatus.IN_PROGRESS, priority=TicketPriority.URGENT, **mine),
        "T6": ticket_at(at(24, 9), status=TicketStatus.WAITING_APPROVAL, categories=[software], **mine),
        "T7": ticket_at(
            at(23), resolved=at(24), status=TicketStatus.RESOLVED, categories=[hardware], template=laptop, **carols
        ),
        "T8": ticket_at(at(5, 9), status=TicketStatus.DRAFT, **mine),
        "T9": ticket_at(at(25, 9), status=TicketStatus.OPEN, priority=TicketPriority.URGENT, categories=[hardware], **carols),
    }
    opened_at(tickets["T1"], at(2, 10))
    opened_at(tickets["T3"], at(10, 8))
    opened_at(tickets["T7"], at(23))

    manager_approval = ApprovalTemplateFactory(name="Manager approval")
    purchasing = RoleFactory(name="Purchasing")
    done, rejected, active, waiting = StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.ACTIVE, StepStatus.WAITING
    approved_slot = {"user": people["approver1"], "status": SlotStatus.APPROVED}
    _process(
        tickets["T1"],
        manager_approval,
        ProcessStatus.APPROVED,
        at(2, 9),
        at(2, 10),
        [(1, "Manager", done, at(2, 9), at(2, 10), [approved_slot])],
    )
    _process(
        tickets["T2"],
        manager_approval,
        ProcessStatus.REJECTED,
        at(9, 9),
        at(9, 12),
        [
            (1, "Manager", done, at(9, 9), at(9, 10), [approved_slot]),
            (2, "Finance", rejected, at(9, 10), at(9, 12), [{"user": people["approver2"], "status": SlotStatus.REJECTED}]),
        ],
    )
    _process(
        tickets["T6"],
        manager_approval,
        ProcessStatus.RUNNING,
        at(24, 10),
        None,
        [
            (1, "Manager", active, at(24, 10), None, [{"user": people["approver1"]}, {"role": purchasing}]),
            (2, "Finance", waiting, None, None, [{"user": people["approver2"]}]),
        ],
    )
    _process(
        tickets["T7"],
        manager_approval,
        ProcessStatus.APPROVED,
        at(22, 10),
        at(22, 15),
        [(1, "Manager", done, at(22, 10), at(22, 15), [approved_slot])],
    )
    _process(
        tickets["T7"],
        manager_approval,
        ProcessStatus.RUNNING,
        at(20),
        None,
        [(1, "Manager", active, at(20), None, [{"user": people["approver1"]}])],
    )
    return ReportWorld(people, tickets, hardware, software, laptop, access, manager_approval, purchasing)
