"""The ticket lifecycle of SPEC §4 as one table. Services and serializers read it; nothing else decides transitions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tickets.models import Ticket, TicketStatus

AGENT_PERMISSION = "tickets.work_on_ticket"
# Sees every ticket, restricted ones included (auditors); the visibility rule itself is permissions.selectors'.
VIEW_ALL_PERMISSION = "tickets.view_all_tickets"


class Party(StrEnum):
    """Who may take a transition, relative to the ticket."""

    CREATOR = "creator"
    ASSIGNEE = "assignee"
    AGENT = "agent"  # a user with tickets.work_on_ticket
    SYSTEM = "system"  # the approval engine or a command, never a person


@dataclass(frozen=True)
class Transition:
    source: TicketStatus
    target: TicketStatus
    who: frozenset[Party]
    # None: always offered; True: only when the ticket has an approval template; False: only when it has none.
    needs_approval: bool | None = None

    def applies_to(self, ticket: Ticket) -> bool:
        if self.needs_approval is None:
            return True
        return self.needs_approval == (ticket.approval_template_id is not None)


def _row(source: TicketStatus, target: TicketStatus, *who: Party, needs_approval: bool | None = None) -> Transition:
    return Transition(source, target, frozenset(who), needs_approval)


S = TicketStatus
P = Party

TRANSITIONS: tuple[Transition, ...] = (
    _row(S.DRAFT, S.WAITING_APPROVAL, P.CREATOR, needs_approval=True),  # submit, starts an approval process
    _row(S.DRAFT, S.OPEN, P.CREATOR, needs_approval=False),  # submit, nothing to approve
    _row(S.DRAFT, S.CANCELLED, P.CREATOR),
    _row(S.WAITING_APPROVAL, S.OPEN, P.SYSTEM),  # the approval process completed
    _row(S.WAITING_APPROVAL, S.REJECTED, P.SYSTEM),  # an approver rejected
    _row(S.WAITING_APPROVAL, S.DRAFT, P.CREATOR),  # withdraw: the running process is cancelled
    _row(S.REJECTED, S.DRAFT, P.CREATOR),  # revise, resubmit later with a new process
    _row(S.OPEN, S.IN_PROGRESS, P.ASSIGNEE, P.AGENT),
    _row(S.IN_PROGRESS, S.RESOLVED, P.ASSIGNEE, P.AGENT),
    _row(S.RESOLVED, S.IN_PROGRESS, P.CREATOR, P.ASSIGNEE, P.AGENT),  # reopen
    _row(S.RESOLVED, S.CLOSED, P.CREATOR, P.AGENT, P.SYSTEM),  # the system: auto-close after N days
)

FINAL_STATUSES: frozenset[str] = frozenset({S.CLOSED, S.CANCELLED})

del S, P


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def parties_of(ticket: Ticket, user: Any) -> frozenset[Party]:
    """What `user` is to `ticket`. has_perm caches the user's permissions on the user object, so this is query-free
    after the first call of a request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    parties = set()
    if ticket.created_by_id is not None and ticket.created_by_id == user.pk:
        parties.add(Party.CREATOR)
    if ticket.assignee_id is not None and ticket.assignee_id == user.pk:
        parties.add(Party.ASSIGNEE)
    if user.has_perm(AGENT_PERMISSION):
        parties.add(Party.AGENT)
    return frozenset(parties)


def is_agent(user: Any) -> bool:
    """Works on tickets (the Agent party of the table): an active person with tickets.work_on_ticket."""
    return bool(
        user is not None and getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(AGENT_PERMISSION)
    )


def works_the_desk(user: Any) -> bool:
    """Agents work the desk; holders of view_all_tickets (auditors, managers) read it: its queues and its reports."""
    return is_agent(user) or bool(user is not None and user.has_perm(VIEW_ALL_PERMISSION))


def rows_from(ticket: Ticket) -> list[Transition]:
    """The table's rows leaving the ticket's current status that apply to it (approval template or not)."""
    return [row for row in TRANSITIONS if row.source == ticket.status and row.applies_to(ticket)]


def submit_status(ticket: Ticket) -> str:
    """Where submitting a draft takes it: the table's submit row that applies (waiting for approval with an approval
    template, else open), for the workspace's form, mail to the intake and the admin's submit action alike."""
    return next(
        str(row.target)
        for row in TRANSITIONS
        if row.source == TicketStatus.DRAFT and row.target != TicketStatus.CANCELLED and row.applies_to(ticket)
    )


def find_row(ticket: Ticket, to_status: str) -> Transition | None:
    return next((row for row in rows_from(ticket) if row.target == to_status), None)


def allowed_transitions(ticket: Ticket, user: Any) -> list[str]:
    """The statuses `user` may move `ticket` to now (never the system's own rows)."""
    parties = parties_of(ticket, user)
    if not parties:
        return []
    return [str(row.target) for row in rows_from(ticket) if row.who & parties]


def may_take(row: Transition, ticket: Ticket, user: Any) -> bool:
    return bool(row.who & parties_of(ticket, user))


def system_may_take(ticket: Ticket, to_status: str) -> bool:
    row = find_row(ticket, to_status)
    return row is not None and Party.SYSTEM in row.who
