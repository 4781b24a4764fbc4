"""The ticket page's approval panel: `{% approval_progress ticket %}` shows the ticket's approval processes (steps,
slots, who acted and for whom, comments) and, on the slots the signed-in person may decide now, Approve and Reject
forms posting to the approvals area's decision route with a `next` back to the page.

The ticket page only renders it for a ticket the person may see. Five queries at most, whatever the number of
processes, steps and slots: processes, steps, slots (with their people), and how the person may decide (two)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.contrib.auth.models import User

from approvals.models import ApprovalProcess, ApprovalProcessStep, ProcessStatus
from approvals.models import ApprovalProcessStepApprover as Slot
from approvals.selectors import Route, acting_routes, ticket_processes
from tickets.models import Ticket
from workspace.views.approvals import DecisionForm, decision_form

register = template.Library()


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    route: Route | None  # how the person may decide it now; None: they may not
    form: DecisionForm | None


@dataclass(frozen=True)
class StepView:
    step: ApprovalProcessStep
    slots: list[SlotView]


@dataclass(frozen=True)
class ProcessView:
    process: ApprovalProcess
    steps: list[StepView]


@register.inclusion_tag("workspace/approvals/panel.html", takes_context=True)
def approval_progress(context: Any, ticket: Ticket) -> dict[str, Any]:
    request = context["request"]
    processes = list(ticket_processes(ticket=ticket))
    routes: dict[int, Route] = {}
    if isinstance(request.user, User) and any(process.status == ProcessStatus.RUNNING for process in processes):
        routes = acting_routes(actor=request.user, slots=Slot.objects.filter(ticket=ticket))

    def slot_view(slot: Slot) -> SlotView:
        route = routes.get(slot.pk)
        return SlotView(slot, route, decision_form(slot) if route is not None else None)

    views = [
        ProcessView(
            process, [StepView(step, [slot_view(slot) for slot in step.approvers.all()]) for step in process.steps.all()]
        )
        for process in processes
    ]
    return {"processes": views, "request": request, "next": request.get_full_path()}
