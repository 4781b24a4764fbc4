"""Service-level edges the HTTP API cannot reach directly (the admin and commands call the same services)."""

import pytest
from rest_framework.exceptions import ValidationError

from approvals import services
from approvals.models import ApprovalProcess
from approvals.tests.factories import ApprovalTemplateFactory, template_with
from tests.factories import UserFactory
from ticketsite.errors import DomainConflict, DomainPermissionDenied

pytestmark = pytest.mark.django_db


def test_a_second_running_process_is_refused(flow):
    ticket = flow.submit(flow.ticket(template_with(("all", [UserFactory()]))))

    with pytest.raises(DomainConflict):
        services.process_start(ticket=ticket, actor=flow.creator)

    assert ApprovalProcess.objects.filter(ticket=ticket).count() == 1


def test_a_template_without_steps_cannot_start(flow):
    ticket = flow.ticket(ApprovalTemplateFactory())

    with pytest.raises(ValidationError):
        services.process_start(ticket=ticket, actor=flow.creator)


def test_cancel_without_a_running_process_does_nothing(flow):
    ticket = flow.ticket(template_with(("all", [UserFactory()])))

    services.process_cancel(ticket=ticket, actor=flow.creator)

    assert flow.events(ticket) == []


def test_cancel_records_the_reason_given(flow):
    ticket = flow.submit(flow.ticket(template_with(("all", [UserFactory()]))))

    services.process_cancel(ticket=ticket, actor=None, reason="deleted")

    assert ticket.notes.get(event_type="approval_cancelled").event_details["reason"] == "deleted"


def test_inactive_actor_is_refused_by_the_service(flow):
    alice = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice]))))
    (slot,) = flow.slots(ticket)
    alice.is_active = False
    alice.save()

    with pytest.raises(DomainPermissionDenied):
        services.approval_decide(slot=slot, actor=alice, approve=True)

    slot.refresh_from_db()
    assert slot.status == "pending"
