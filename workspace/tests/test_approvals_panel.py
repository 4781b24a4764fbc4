"""The ticket page's approval panel (`{% approval_progress ticket %}`): steps and slots in order with who acted, "Dave
for Frank", comments, and decision forms only on the slots the viewer may decide now, posting back to the ticket."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from approvals.tests.factories import DelegationFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketStatus
from tickets.services import tickets as ticket_services
from tickets.tests.factories import TicketFactory
from workspace.tests.test_approvals import decide_url, named, slots_of, submitted

pytestmark = pytest.mark.django_db

PANEL = Template("{% load approval_panels %}{% approval_progress ticket %}")


def panel(ticket, viewer) -> str:
    request = RequestFactory().get(f"/tickets/{ticket.key}/")
    request.user = viewer
    return PANEL.render(RequestContext(request, {"ticket": ticket}))


@pytest.fixture
def people():
    return {name: named(name) for name in ("rita", "erin", "frank", "dave", "olga")}


def test_the_panel_shows_steps_slots_who_acted_for_whom_and_comments(people, page_for):
    role = RoleFactory(name="Finance")
    people["olga"].groups.add(role)
    DelegationFactory(delegator=people["frank"], delegate=people["dave"])
    ticket = submitted(people["rita"], ("all", [people["frank"]]), ("any", [role, people["erin"]]))
    page_for(people["dave"]).post(decide_url(slots_of(ticket)[0]), {"decision": "approve", "comment": "Budget is fine"})

    html = panel(ticket, people["rita"])

    assert html.index("Step 1") < html.index("Step 2")
    assert "by Dave for Frank" in html
    assert "Budget is fine" in html
    assert "Role Finance" in html
    assert "Erin" in html
    assert 'class="badge step-approved">Approved' in html
    assert 'class="badge step-active">Active' in html
    assert 'class="badge process-running">Running' in html
    assert "<form" not in html  # the requester decides nothing


def test_the_viewer_who_may_decide_gets_the_forms_with_next_back_to_the_ticket(people):
    role = RoleFactory(name="Finance")
    people["erin"].groups.add(role)
    ticket = submitted(people["rita"], ("all", [role, people["frank"]]))
    role_slot, frank_slot = slots_of(ticket)

    html = panel(ticket, people["erin"])

    assert html.count("<form") == 1
    assert f'action="/approvals/{role_slot.pk}/decide/"' in html
    assert f'action="/approvals/{frank_slot.pk}/decide/"' not in html
    assert f'name="next" value="/tickets/{ticket.key}/"' in html
    assert "through role Finance" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "hx-post" not in html  # the ticket page reloads: status and timeline change with the decision


def test_a_proxy_sees_the_form_marked_for_the_delegator(people):
    DelegationFactory(delegator=people["frank"], delegate=people["dave"])
    ticket = submitted(people["rita"], ("all", [people["frank"]]))

    html = panel(ticket, people["dave"])

    assert html.count("<form") == 1
    assert "as proxy for Frank" in html


def test_earlier_processes_are_folded_under_the_newest(people, page_for):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))
    page_for(people["erin"]).post(decide_url(slots_of(ticket)[0]), {"decision": "reject", "comment": "Too vague"})
    ticket.refresh_from_db()
    ticket_services.ticket_transition(ticket=ticket, actor=people["rita"], to_status=TicketStatus.DRAFT)
    ticket_services.ticket_transition(ticket=ticket, actor=people["rita"], to_status=TicketStatus.WAITING_APPROVAL)

    html = panel(ticket, people["erin"])

    assert html.count('class="process"') == 2
    assert "<details" in html
    assert html.index('class="badge process-running"') < html.index("<details") < html.index("Too vague")
    assert html.count("<form") == 1


def test_a_ticket_without_approval_renders_nothing(people):
    assert panel(TicketFactory(created_by=people["rita"]), people["rita"]).strip() == ""


def test_the_panel_runs_the_same_queries_for_few_and_many_steps_and_slots(people):
    approvers = [UserFactory() for _ in range(10)]
    DelegationFactory(delegator=approvers[0], delegate=people["erin"])
    few = submitted(people["rita"], ("all", [people["erin"], approvers[0]]))
    role = RoleFactory()
    people["olga"].groups.add(role)
    many = submitted(people["rita"], *[("all", [people["erin"], *approvers, role]) for _ in range(10)])

    counts = []
    for ticket in (few, many):
        with CaptureQueriesContext(connection) as queries:
            panel(ticket, people["erin"])
        counts.append(len(queries))

    assert counts == [5, 5]  # processes, steps, slots (with their people), routes (two)
