"""The service-level clock of each ticket (SPEC §15), moved by the ticket's own events inside their transaction, and
by `sla_tick` for the warnings and breaches that come with time alone.

The clock counts business minutes of the policy's calendar. It runs while the ticket is open for work, pauses in the
policy's pause statuses (and in draft, after a withdrawal), and stops when the ticket is resolved; a reopen runs it
again with what remains. Each event first adds the business minutes of the stretch that just ended to what was used
(`_fold`), then applies the change, then derives every stored figure from the new state (`_settle`): due times,
remaining minutes, `sla_status`, and the moment `sla_tick` must look again (`TicketClock.next_check_at`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from sla import signals
from sla.business_time import Calendar, add_business_minutes, business_minutes_between
from sla.models import BusinessCalendar, SlaPolicy, Target, TicketClock
from sla.selectors import calendar_of, default_calendar, matching_policy
from tickets.models import SlaStatus, Ticket, TicketStatus
from tickets.statemachine import is_agent
from ticketsite.models import Actor

# The clock stops here for good (until a reopen); in draft it waits for the ticket to be submitted again.
STOPPED_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.CANCELLED})
TICKET_FIELDS = [
    "sla_policy",
    "sla_status",
    "first_response_due_at",
    "first_responded_at",
    "resolution_due_at",
    "sla_remaining_minutes",
]
CLOCK_FIELDS = [
    "running_since",
    "response_used",
    "resolution_used",
    "response_warned",
    "response_breached",
    "resolution_warned",
    "resolution_breached",
    "next_check_at",
]
TICK_BATCH_SIZE = 500


@dataclass
class _Run:
    """One ticket's clock while an event is applied: the policy in force and the calendar it counts in."""

    ticket: Ticket
    clock: TicketClock
    policy: SlaPolicy
    calendar: Calendar


# --- the arithmetic of one clock -------------------------------------------------------------------------------------


def _state(ticket: Ticket, policy: SlaPolicy) -> str:
    if ticket.status in STOPPED_STATUSES:
        return "stopped"
    if ticket.status == TicketStatus.DRAFT or ticket.status in policy.pause_statuses:
        return "paused"
    return "running"


def _response_pending(run: _Run) -> bool:
    return run.policy.first_response_minutes is not None and run.ticket.first_responded_at is None


def _threshold(minutes: int, percent: int) -> int:
    return math.ceil(minutes * percent / 100)


def _fold(run: _Run, now: datetime) -> None:
    """The stretch that ran until `now` is used up: add it, and stop the running clock (`_settle` starts it again)."""
    clock = run.clock
    if clock.running_since is None:
        return
    spent = business_minutes_between(run.calendar, clock.running_since, now)
    if _response_pending(run):
        clock.response_used += spent
    clock.resolution_used += spent
    clock.running_since = None


def _moment(run: _Run, used: int, minutes: int) -> datetime:
    """When `minutes` of the target are used up, the clock running since `running_since` with `used` minutes used."""
    assert run.clock.running_since is not None
    return add_business_minutes(run.calendar, run.clock.running_since, max(0, minutes - used))


def _next_check(run: _Run) -> datetime | None:
    """The first moment a warning or a breach not yet recorded falls due, for a running clock."""
    clock, policy = run.clock, run.policy
    moments = []
    targets: list[tuple[int, int, bool, bool]] = [
        (policy.resolution_minutes, clock.resolution_used, clock.resolution_warned, clock.resolution_breached)
    ]
    if _response_pending(run):
        assert policy.first_response_minutes is not None
        targets.append((policy.first_response_minutes, clock.response_used, clock.response_warned, clock.response_breached))
    for minutes, used, warned, breached in targets:
        if not warned:
            moments.append(_moment(run, used, _threshold(minutes, policy.warning_percent)))
        elif not breached:
            moments.append(_moment(run, used, minutes))
    return min(moments, default=None)


def _status(run: _Run, state: str) -> SlaStatus:
    clock = run.clock
    breached = clock.response_breached or clock.resolution_breached
    if state == "stopped":
        return SlaStatus.BREACHED if breached else SlaStatus.MET
    if breached:
        return SlaStatus.BREACHED
    if state == "paused":
        return SlaStatus.PAUSED
    if clock.resolution_warned or (clock.response_warned and _response_pending(run)):
        return SlaStatus.WARNING
    return SlaStatus.OK


def _settle(run: _Run, now: datetime) -> None:
    """Derive the stored figures from the clock's state after a change (the clock was folded at `now`)."""
    ticket, clock, policy = run.ticket, run.clock, run.policy
    state = _state(ticket, policy)
    if state == "running":
        clock.running_since = now
        if _response_pending(run):
            assert policy.first_response_minutes is not None
            ticket.first_response_due_at = _moment(run, clock.response_used, policy.first_response_minutes)
        elif policy.first_response_minutes is None:
            ticket.first_response_due_at = None
        ticket.resolution_due_at = _moment(run, clock.resolution_used, policy.resolution_minutes)
    elif state == "paused":
        # Unknown until the clock runs again; what remains is in sla_remaining_minutes.
        if _response_pending(run) or policy.first_response_minutes is None:
            ticket.first_response_due_at = None
        ticket.resolution_due_at = None
    # Stopped: the due times stay as they were, to compare with first_responded_at and resolved_at.
    ticket.sla_remaining_minutes = policy.resolution_minutes - clock.resolution_used
    ticket.sla_status = _status(run, state)
    clock.next_check_at = _next_check(run) if state == "running" else None


def _save(run: _Run) -> None:
    # Derived figures, not an edit of the ticket: its audit fields (updated_at, updated_by) stay as they are.
    run.ticket.save(update_fields=TICKET_FIELDS)
    run.clock.save(update_fields=CLOCK_FIELDS)


# --- events ----------------------------------------------------------------------------------------------------------


def _record(run: _Run, target: Target, *, breach: bool, due_at: datetime | None) -> None:
    """One warning or breach of one target: its flag (so it is recorded once) and its signal (timeline, notifications)."""
    clock = run.clock
    prefix = "response" if target == Target.FIRST_RESPONSE else "resolution"
    setattr(clock, f"{prefix}_{'breached' if breach else 'warned'}", True)
    signal = signals.sla_breached if breach else signals.sla_warning
    signal.send(sender=Ticket, ticket=run.ticket, actor=None, policy=run.policy, target=target.value, due_at=due_at)


def _late_completion(run: _Run, target: Target, *, used: int, minutes: int | None, breached: bool, due_at: Any) -> None:
    """A target met after its due time, before any tick saw it: the breach is recorded now (once, as ever)."""
    if minutes is not None and used > minutes and not breached:
        _record(run, target, breach=True, due_at=due_at)


def _responder(ticket: Ticket, actor: Actor) -> bool:
    """An answer to the requester: an agent or the assignee acting, other than the ticket's creator."""
    if actor is None or not actor.is_authenticated or actor.pk == ticket.created_by_id:
        return False
    return actor.pk == ticket.assignee_id or is_agent(actor)


def _meet_response(run: _Run, now: datetime) -> None:
    if not _response_pending(run):
        return
    run.ticket.first_responded_at = now
    clock = run.clock
    _late_completion(
        run,
        Target.FIRST_RESPONSE,
        used=clock.response_used,
        minutes=run.policy.first_response_minutes,
        breached=clock.response_breached,
        due_at=run.ticket.first_response_due_at,
    )


def _clock_of(ticket: Ticket) -> TicketClock | None:
    return TicketClock.objects.select_for_update().filter(ticket=ticket).first()


def _run(ticket: Ticket, clock: TicketClock, default: BusinessCalendar | None = None) -> _Run | None:
    policy = ticket.sla_policy
    if policy is None:
        return None
    return _Run(ticket=ticket, clock=clock, policy=policy, calendar=calendar_of(policy, default=default))


def _rematch(ticket: Ticket, clock: TicketClock | None, actor: Actor, now: datetime) -> tuple[_Run | None, bool]:
    """Give the ticket the policy it matches now; returns the clock's run and whether the policy changed. A different
    policy starts fresh targets (flags cleared) on the minutes already used, and is on the timeline; none clears the
    figures. A ticket's clock is made when it first gets a policy."""
    old = ticket.sla_policy
    new = matching_policy(ticket)
    if (old.pk if old else None) == (new.pk if new else None):
        return (_run(ticket, clock) if clock is not None else None), False
    if clock is None:
        clock = TicketClock(ticket=ticket)
        clock.stamp(actor, created=True)
        clock.save()
    run = _run(ticket, clock)
    if run is not None:
        _fold(run, now)
    ticket.sla_policy = new
    clock.response_warned = clock.response_breached = clock.resolution_warned = clock.resolution_breached = False
    run = _run(ticket, clock)
    if run is None:
        ticket.sla_status = None
        ticket.first_response_due_at = ticket.resolution_due_at = None
        ticket.sla_remaining_minutes = None
        clock.running_since = clock.next_check_at = None
    else:
        _settle(run, now)
    ticket.save(update_fields=TICKET_FIELDS)
    clock.save(update_fields=CLOCK_FIELDS)
    signals.sla_policy_changed.send(sender=Ticket, ticket=ticket, actor=actor, old_policy=old, new_policy=new)
    return run, True


# The entry points below run inside the transaction of the ticket's service (its receivers call them); each decides
# first, without a query where it can, whether the event concerns a clock at all, so tickets without a service level
# pay nothing more than the policy lookup when they are submitted or re-prioritised.


def clock_on_transition(*, ticket: Ticket, actor: Actor, from_status: str, to_status: str) -> None:
    """A status change (the ticket is locked by its service). Leaving draft (re)matches the policy; the rest moves the
    clock: pause, resume, a response by an agent or the assignee, resolution, reopen."""
    if from_status == TicketStatus.DRAFT and to_status not in STOPPED_STATUSES:
        _submitted(ticket=ticket, actor=actor)
    elif ticket.sla_policy_id is not None:
        _moved(ticket=ticket, actor=actor, to_status=to_status)


@transaction.atomic(savepoint=False)  # inside the ticket service's transaction: no savepoint of its own
def _submitted(*, ticket: Ticket, actor: Actor) -> None:
    now = timezone.now()
    clock = _clock_of(ticket) if ticket.sla_policy_id is not None else None
    run, changed = _rematch(ticket, clock, actor, now)
    if run is not None and not changed:  # submitted again under the same policy: the clock goes on
        _fold(run, now)
        _settle(run, now)
        _save(run)


@transaction.atomic(savepoint=False)  # inside the ticket service's transaction: no savepoint of its own
def _moved(*, ticket: Ticket, actor: Actor, to_status: str) -> None:
    clock = _clock_of(ticket)
    run = _run(ticket, clock) if clock is not None else None
    if run is None:
        return
    now = timezone.now()
    _fold(run, now)
    if _responder(ticket, actor):
        _meet_response(run, now)
    if to_status == TicketStatus.RESOLVED:
        _meet_response(run, now)  # resolving answers the requester too
        _late_completion(
            run,
            Target.RESOLUTION,
            used=run.clock.resolution_used,
            minutes=run.policy.resolution_minutes,
            breached=run.clock.resolution_breached,
            due_at=ticket.resolution_due_at,
        )
    _settle(run, now)
    _save(run)


def clock_on_comment(*, ticket: Ticket, actor: Actor) -> None:
    """A comment: the first one by an agent or the assignee meets the first-response target."""
    if ticket.sla_policy_id is None or ticket.first_responded_at is not None or not _responder(ticket, actor):
        return
    _responded(ticket=ticket)


@transaction.atomic(savepoint=False)  # inside the ticket service's transaction: no savepoint of its own
def _responded(*, ticket: Ticket) -> None:
    # The comment service does not lock the ticket: lock it here, as the status services do, before the clock.
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_for_update(), fields=["status", *TICKET_FIELDS])
    clock = _clock_of(ticket)
    run = _run(ticket, clock) if clock is not None else None
    if run is None or not _response_pending(run):
        return
    now = timezone.now()
    _fold(run, now)
    _meet_response(run, now)
    _settle(run, now)
    _save(run)


def clock_on_update(*, ticket: Ticket, actor: Actor, fields: set[str]) -> None:
    """Priority or categories changed (the ticket is locked by its service): the policy is matched again while the
    ticket is under way (submitted, not resolved). A ticket that gets its first policy so starts counting then."""
    if fields & {"priority", "categories"} and ticket.status != TicketStatus.DRAFT and ticket.status not in STOPPED_STATUSES:
        _reprioritised(ticket=ticket, actor=actor)


@transaction.atomic(savepoint=False)  # inside the ticket service's transaction: no savepoint of its own
def _reprioritised(*, ticket: Ticket, actor: Actor) -> None:
    clock = _clock_of(ticket) if ticket.sla_policy_id is not None else None
    _rematch(ticket, clock, actor, timezone.now())


# --- sla_tick --------------------------------------------------------------------------------------------------------


def _due(run: _Run, now: datetime) -> None:
    """Record what came due by `now` (warnings first), each target once."""
    clock, policy = run.clock, run.policy
    assert clock.running_since is not None
    spent = business_minutes_between(run.calendar, clock.running_since, now)
    targets: list[tuple[Target, int | None, int, Callable[[], datetime | None]]] = [
        (Target.FIRST_RESPONSE, policy.first_response_minutes, clock.response_used, lambda: run.ticket.first_response_due_at),
        (Target.RESOLUTION, policy.resolution_minutes, clock.resolution_used, lambda: run.ticket.resolution_due_at),
    ]
    for target, minutes, used, due_at in targets:
        if minutes is None or (target == Target.FIRST_RESPONSE and not _response_pending(run)):
            continue
        prefix = "response" if target == Target.FIRST_RESPONSE else "resolution"
        if used + spent >= _threshold(minutes, policy.warning_percent) and not getattr(clock, f"{prefix}_warned"):
            _record(run, target, breach=False, due_at=due_at())
        if used + spent >= minutes and not getattr(clock, f"{prefix}_breached"):
            _record(run, target, breach=True, due_at=due_at())


@transaction.atomic
def _tick_batch(now: datetime, batch_size: int, seen: set[int]) -> tuple[int, bool]:
    """One batch of tickets whose clock has something due, locked (skipping those another transaction holds)."""
    # The clock is locked with its ticket: a tick that gets a ticket's row once another tick has committed must read
    # the clock as that tick left it. PostgreSQL re-reads only the locked rows of a join (here the clock was read from
    # the snapshot before the wait, still due and not warned, and the warning was recorded twice).
    tickets = list(
        Ticket.objects.select_for_update(skip_locked=True, of=("self", "sla_clock"))
        .filter(sla_clock__next_check_at__lte=now, sla_policy__isnull=False)
        .select_related("sla_clock", "sla_policy", "sla_policy__calendar")
        .order_by("sla_clock__next_check_at", "id")[:batch_size]
    )
    progress = not any(ticket.pk in seen for ticket in tickets)
    default = default_calendar() if any(ticket.sla_policy.calendar_id is None for ticket in tickets) else None  # type: ignore[union-attr]
    calendars: dict[int | None, Calendar] = {}
    for ticket in tickets:
        seen.add(ticket.pk)
        policy = ticket.sla_policy
        assert policy is not None
        if policy.calendar_id not in calendars:
            calendars[policy.calendar_id] = calendar_of(policy, default=default)
        run = _Run(ticket=ticket, clock=ticket.sla_clock, policy=policy, calendar=calendars[policy.calendar_id])
        if run.clock.running_since is not None:
            _due(run, now)
        # Derived again from the policy as it is now: an edit of it or of its calendar marked the clock due.
        _fold(run, now)
        _settle(run, now)
        _save(run)
    return len(tickets), progress


def sla_tick(*, now: datetime | None = None, batch_size: int = TICK_BATCH_SIZE) -> int:
    """Record the warnings and breaches due by `now` (default: now), a batch per transaction, each event once however
    often it runs; returns how many clocks it looked at. Reads only clocks whose next moment has come (indexed)."""
    now = now or timezone.now()
    seen: set[int] = set()
    total = 0
    while True:
        count, progress = _tick_batch(now, batch_size, seen)
        total += count
        if count < batch_size or not progress:
            return total
