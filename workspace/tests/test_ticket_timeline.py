"""The timeline on the ticket page, in words (tickets.timeline_words): approvals with their proxies, changes by name,
comments with their edits, deleted and redacted comments, and everything user-supplied escaped."""

from __future__ import annotations

import pytest

from approvals import services as approval_services
from approvals.models import ApprovalProcessStepApprover
from approvals.tests.factories import DelegationFactory, template_with
from tickets.models import TicketStatus
from tickets.services import tickets as ticket_services
from tickets.tests.factories import TicketFactory
from workspace.tests.test_ticket_page import page_url, person

pytestmark = pytest.mark.django_db


def timeline_of(client, ticket) -> str:
    text = client.get(page_url(ticket)).content.decode()
    return text.split('<ol class="timeline">')[1].split("</ol>\n      <form")[0]


def test_an_approval_by_a_proxy_and_the_changes_that_follow_read_in_words(page_for):
    alice, erin, frank, dave = person("alice"), person("erin"), person("frank"), person("dave")
    carol = person("carol", perms=["tickets.work_on_ticket"])
    flow = template_with(("all", [erin]), ("all", [frank]))
    flow.steps.filter(order=1).update(name="Security review")
    ticket = ticket_services.ticket_create(actor=alice, title="VPN access", approval_template=flow)
    ticket_services.ticket_transition(ticket=ticket, actor=alice, to_status=TicketStatus.WAITING_APPROVAL)
    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket, user=erin)
    approval_services.approval_decide(slot=slot, actor=erin, approve=True, comment="Security OK")
    DelegationFactory(delegator=frank, delegate=dave)
    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket, user=frank)
    approval_services.approval_decide(slot=slot, actor=dave, approve=True)
    ticket_services.ticket_update(ticket=ticket, actor=carol, data={"priority": "high"})
    ticket_services.ticket_update(ticket=ticket, actor=carol, data={"priority": "low"})

    timeline = timeline_of(page_for(alice), ticket)

    assert 'erin approved <em>Security review</em>: <span class="said">Security OK</span>' in timeline
    assert "dave approved <em>Step 2</em> for frank" in timeline
    assert "Approval <em>Approval flow" in timeline and "</em> completed" in timeline
    assert "carol changed priority from High to Low" in timeline
    assert "{" not in timeline and "event_details" not in timeline  # words, not JSON


def test_markup_in_a_title_and_a_comment_is_shown_as_text(page_for):
    alice = person("alice")
    ticket = TicketFactory(created_by=alice, title="Ticket")
    ticket_services.ticket_update(ticket=ticket, actor=alice, data={"title": "<script>alert('title')</script>"})
    ticket_services.comment_create(ticket=ticket, actor=alice, note="<script>alert('comment')</script>\nsecond line")

    text = page_for(alice).get(page_url(ticket)).content.decode()

    assert "<script>alert(" not in text
    assert "<h1>&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;</h1>" in text
    assert "to <em>&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;</em>" in text
    assert '<div class="body">&lt;script&gt;alert(&#x27;comment&#x27;)&lt;/script&gt;\nsecond line</div>' in text


def test_a_redacted_comment_shows_its_marker_and_no_history(page_for):
    alice = person("alice")
    ticket = TicketFactory(created_by=alice)
    comment = ticket_services.comment_create(ticket=ticket, actor=alice, note="my password is hunter2")
    comment = ticket_services.comment_update(comment=comment, actor=alice, note="my password is hunter2!")
    comment = ticket_services.comment_redact(comment=comment, actor=alice, reason="A secret")

    timeline = timeline_of(page_for(alice), ticket)

    assert "hunter2" not in timeline
    assert f'<div class="body redacted">{comment.note}</div>' in timeline
    assert 'alice redacted a comment: <span class="said">A secret</span>' in timeline
    assert "Earlier versions" not in timeline
    assert "ticket-comment-edit" not in timeline and f"/comments/{comment.pk}/edit/" not in timeline
