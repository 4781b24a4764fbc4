"""Shared setup of the approval tests: a creator, tickets with an approval template, submit/approve/reject over HTTP."""

from typing import Any

import pytest

from approvals.models import ApprovalProcessStepApprover
from tests.factories import UserFactory
from tickets.models import TicketNote
from tickets.tests.factories import TicketFactory


class Flow:
    """HTTP helpers around one test's users."""

    def __init__(self, client_for: Any) -> None:
        self.client_for = client_for
        self.creator = UserFactory(username="creator")

    def ticket(self, template: Any, **kwargs: Any) -> Any:
        return TicketFactory(created_by=self.creator, approval_template=template, **kwargs)

    def transition(self, ticket: Any, status: str, user: Any = None) -> Any:
        return self.client_for(user or self.creator).post(
            f"/api/v1/tickets/{ticket.pk}/transition/", {"status": status}, format="json"
        )

    def submit(self, ticket: Any) -> Any:
        response = self.transition(ticket, "waiting_approval")
        assert response.status_code == 200, response.json()
        ticket.refresh_from_db()
        return ticket

    def approve(self, user: Any, slot: Any, comment: str = "") -> Any:
        return self.client_for(user).post(f"/api/v1/approvals/{slot.pk}/approve/", {"comment": comment}, format="json")

    def reject(self, user: Any, slot: Any, comment: str = "Not justified.") -> Any:
        return self.client_for(user).post(f"/api/v1/approvals/{slot.pk}/reject/", {"comment": comment}, format="json")

    @staticmethod
    def slots(ticket: Any, order: int | None = None) -> list:
        """Slots of the ticket's newest process, in step order."""
        process = ticket.approval_processes.order_by("-id").first()
        slots = ApprovalProcessStepApprover.objects.filter(process=process).order_by("step__order", "id")
        if order is not None:
            slots = slots.filter(step__order=order)
        return list(slots)

    @staticmethod
    def events(ticket: Any) -> list[str]:
        notes = TicketNote.objects.filter(ticket=ticket, system=True, event_type__startswith="approval").order_by("id")
        return list(notes.values_list("event_type", flat=True))


@pytest.fixture
def flow(client_for: Any) -> Flow:
    return Flow(client_for)
