"""Bulk data for benchmarks: N tickets with a realistic mix, loaded with bulk_create in batches (SPEC §11, issue 8).

The mix: statuses across the whole lifecycle, ~30% restricted tickets (with user and role grants), categories and
labels, timelines (created / status_change / approval / grant / access events and comments), finished and running
approval processes, access requests and in-app notifications. Rows are written with bulk_create (no services, no
signals): this is a loader, not a workflow. The timeline events take their shape from the functions the apps' own
receivers use (tickets.timeline, approvals.timeline, permissions.timeline), so a loaded timeline reads exactly like a
lived one. Ids are allocated up front (so related rows need no round trip and keys are TCK-<id>); sequences are reset
at the end. Run it while nothing else writes tickets.

Three named users exist for the benchmark (password as in seed_demo):
- bench-requester: an ordinary user in two teams; role and direct grants on some restricted tickets;
- bench-agent: an agent (tickets.work_on_ticket), assignee of a share of the tickets;
- bench-approver: member of one approver role, with pending approval slots;
- bench-auditor: may view every ticket (tickets.view_all_tickets through a role), not a superuser;
- bench-admin: a superuser.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, connections, models, transaction
from django.db.models import Max
from django.utils import timezone

from approvals import timeline as approval_events
from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalTemplate,
    ApprovalType,
    ProcessStatus,
    SlotStatus,
    StepStatus,
)
from approvals.services import approval_template_create
from notifications import services as notification_services
from notifications.models import Channel, Notification, NotificationEvent
from notifications.receivers import status_changed_message
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from permissions.timeline import access_decided_details, access_requested_details, grant_details
from tickets.models import Category, EventType, Label, Ticket, TicketNote, TicketPriority, TicketStatus, TicketVisibility
from tickets.search import document_refresh
from tickets.timeline import created_details, event_note, status_change_details

PASSWORD = "demo-pass-2026"
BENCH_USERS = ("bench-requester", "bench-agent", "bench-approver", "bench-auditor", "bench-admin")
BATCH = 5000
SPAN = timedelta(days=730)

S = TicketStatus
# Share of each status among generated tickets (sums to 1).
STATUS_MIX: list[tuple[TicketStatus, float]] = [
    (S.DRAFT, 0.08),
    (S.WAITING_APPROVAL, 0.08),
    (S.OPEN, 0.18),
    (S.IN_PROGRESS, 0.18),
    (S.RESOLVED, 0.12),
    (S.CLOSED, 0.28),
    (S.CANCELLED, 0.04),
    (S.REJECTED, 0.04),
]
# The status path a ticket walked to reach its status, without and with an approval process.
PLAIN_PATHS: dict[str, list[str]] = {
    S.DRAFT: [],
    S.CANCELLED: [S.CANCELLED],
    S.OPEN: [S.OPEN],
    S.IN_PROGRESS: [S.OPEN, S.IN_PROGRESS],
    S.RESOLVED: [S.OPEN, S.IN_PROGRESS, S.RESOLVED],
    S.CLOSED: [S.OPEN, S.IN_PROGRESS, S.RESOLVED, S.CLOSED],
}
APPROVED_SHARE = 0.25  # of tickets past approval (open and later), how many went through an approval process
RESTRICTED_SHARE = 0.30
GRANTED_SHARE = 0.45  # of restricted tickets, how many carry grants
COMMENT_SHARE = 0.5
NOTIFICATION_SHARE = 0.6
ACCESS_REQUEST_SHARE = 0.02  # of restricted tickets
BENCH_DIRECT_GRANT_SHARE = 0.004  # of restricted tickets, granted to bench-requester directly
REJECT_COMMENT = "Not justified."
PRIORITIES = [TicketPriority.LOW, TicketPriority.MEDIUM, TicketPriority.MEDIUM, TicketPriority.HIGH, TicketPriority.URGENT]
_WORD_TEXT = (
    "printer laptop vpn access account password screen keyboard network wifi share drive licence install update "
    "error crash slow broken request order replace invoice payroll mailbox calendar phone badge desk office server"
)
WORDS = _WORD_TEXT.split()


@dataclass
class Pools:
    users: list[int]
    agents: list[int]
    teams: list[int]
    approver_roles: list[int]
    managers_role: int
    categories: list[int]
    labels: list[int]
    one_step: int
    two_step: int
    bench_requester: int
    bench_agent: int
    bench_approver_role: int
    # Share of new approval processes that ask the bench approver's role: ~300 pending slots whatever the size.
    bench_approver_share: float


@dataclass
class Rows:
    """Rows of one batch, in insertion order (parents before children)."""

    tickets: list[Ticket] = field(default_factory=list)
    ticket_categories: list[Any] = field(default_factory=list)
    ticket_labels: list[Any] = field(default_factory=list)
    processes: list[ApprovalProcess] = field(default_factory=list)
    steps: list[ApprovalProcessStep] = field(default_factory=list)
    slots: list[ApprovalProcessStepApprover] = field(default_factory=list)
    grants: list[TicketViewPermission] = field(default_factory=list)
    access_requests: list[AccessRequest] = field(default_factory=list)
    notes: list[TicketNote] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    def count(self) -> int:
        return sum(len(value) for value in vars(self).values())


class _LocalCounter:
    """A counter for the single-process load (same interface as multiprocessing.Value)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def get_lock(self) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()


class IdAllocator:
    """Primary keys handed out before insertion, so related rows reference ids without a round trip.

    Ticket ids are the base plus the ticket's position in the load (dense: keys TCK-<id> follow the load order). Other
    models draw chunks from a counter shared by the loading processes; a process's unused rest of a chunk is a gap.
    """

    CHUNK = 10_000

    def __init__(self, ticket_base: int, counters: dict[type[models.Model], Any]) -> None:
        self.ticket_base = ticket_base
        self.counters = counters
        self._next: dict[type[models.Model], int] = {}
        self._end: dict[type[models.Model], int] = {}

    def ticket(self, position: int) -> int:
        return self.ticket_base + position

    def take(self, model: type[models.Model]) -> int:
        value = self._next.get(model, 0)
        if value >= self._end.get(model, 0):
            counter = self.counters[model]
            with counter.get_lock():
                value = counter.value
                counter.value = value + self.CHUNK
            self._end[model] = value + self.CHUNK
        self._next[model] = value + 1
        return value


CHILD_MODELS: tuple[type[models.Model], ...] = (
    TicketNote,
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    TicketViewPermission,
    AccessRequest,
    Notification,
)


def _next_id(model: type[models.Model]) -> int:
    manager = getattr(model, "all_objects", model._default_manager)
    return int(manager.aggregate(top=Max("id"))["top"] or 0) + 1


class Command(BaseCommand):
    help = "Bulk-load N tickets with a realistic mix (restricted, grants, labels, notes, approvals) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, required=True, help="How many tickets to add.")
        parser.add_argument("--batch-size", type=int, default=BATCH, help=f"Tickets per batch (default {BATCH}).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42): same seed, same data.")
        parser.add_argument("--users", type=int, default=None, help="Users to create (default: tickets/100, 50..10000).")
        parser.add_argument("--jobs", type=int, default=None, help="Loader processes on PostgreSQL (default 2; SQLite: 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        total: int = options["tickets"]
        batch_size: int = options["batch_size"]
        if total < 1 or batch_size < 1:
            raise CommandError("--tickets and --batch-size must be positive.")
        started = time.monotonic()
        seed: int = options["seed"]
        user_count = options["users"] or min(max(total // 100, 50), 10_000)
        pools = self._pools(
            random.Random(seed), user_count=user_count, approver_roles=min(max(total // 5000, 5), 200), total=total
        )
        batches = -(-total // batch_size)
        # SQLite has one writer; on PostgreSQL two loaders keep both the Python side and the server busy.
        # Inside a caller's transaction (a test) other processes would not see the reference rows: load in-process.
        parallel_ok = connection.vendor != "sqlite" and transaction.get_autocommit()
        jobs = min(options["jobs"] or 2, batches) if parallel_ok else 1
        plan = _Plan(total=total, batch_size=batch_size, seed=seed, now=timezone.now(), ticket_base=_next_id(Ticket))
        progress = _Progress(self, total, started)
        # A bulk load at least as big as what is there: indexes and foreign keys built once afterwards are cheaper than
        # maintained row by row. Outside a transaction only (a caller's transaction may hold pending checks).
        defer = connection.vendor == "postgresql" and transaction.get_autocommit() and total >= Ticket.all_objects.count()
        with _deferred_indexes() if defer else contextlib.nullcontext():
            if jobs == 1:
                ids = IdAllocator(plan.ticket_base, {model: _LocalCounter(_next_id(model)) for model in CHILD_MODELS})
                for batch in range(batches):
                    progress.add(*self._load_batch(plan, pools, ids, batch))
            else:
                self._load_parallel(plan, pools, batches, jobs, progress)
        self._reset_sequences([Ticket, *CHILD_MODELS])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh planner statistics: the benchmark must not measure stale ones
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {total} tickets ({progress.rows} rows) in {elapsed:.1f}s with {jobs} loader(s). "
                f"Benchmark logins: {', '.join(BENCH_USERS)} / {PASSWORD}"
            )
        )

    def _load_batch(self, plan: _Plan, pools: Pools, ids: IdAllocator, batch: int) -> tuple[int, int]:
        """Generate and insert one batch in one transaction; returns (tickets, rows). Same seed, same batch, same data."""
        rng = random.Random(plan.seed * 1_000_003 + batch)
        first = batch * plan.batch_size
        size = min(plan.batch_size, plan.total - first)
        rows = Rows()
        for position in range(first, first + size):
            # Spread over two years, oldest first, so ids and created_at grow together as in real life.
            created_at = plan.now - SPAN + SPAN * position / plan.total
            self._ticket(rng, pools, ids, rows, ticket_id=ids.ticket(position), created_at=created_at, now=plan.now)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # A lost batch on a crash is harmless to a loader: no wait for the WAL flush at each commit.
                    cursor.execute("SET LOCAL synchronous_commit TO off")
            return size, self._insert(rows)

    def _load_parallel(self, plan: _Plan, pools: Pools, batches: int, jobs: int, progress: _Progress) -> None:
        context = multiprocessing.get_context("fork")
        counters = {model: context.Value("q", _next_id(model)) for model in CHILD_MODELS}
        messages = context.Queue()
        connections.close_all()  # each loader process opens its own connection

        def loader(job: int) -> None:
            try:
                ids = IdAllocator(plan.ticket_base, counters)
                for batch in range(job, batches, jobs):
                    messages.put(("done", *self._load_batch(plan, pools, ids, batch)))
            except BaseException:
                messages.put(("error", traceback.format_exc(), 0))
                raise
            finally:
                connections.close_all()

        processes = [context.Process(target=loader, args=(job,), daemon=True) for job in range(jobs)]
        for process in processes:
            process.start()
        finished = 0
        while finished < batches:
            kind, first, second = messages.get()
            if kind == "error":
                for process in processes:
                    process.terminate()
                raise CommandError(f"A loader failed:\n{first}")
            progress.add(int(first), int(second))
            finished += 1
        for process in processes:
            process.join()

    # --- reference data ------------------------------------------------------------------------------------------

    def _pools(self, rng: random.Random, *, user_count: int, approver_roles: int, total: int) -> Pools:
        now = timezone.now()
        running = max(total * dict(STATUS_MIX)[S.WAITING_APPROVAL], 1)
        bench_share = min(1.0, 300 / running)
        with transaction.atomic():
            agents_role = _group("vol-agents", perms=["tickets.work_on_ticket"])
            managers_role = _group("vol-managers")
            teams = [_group(f"vol-team-{k:02d}") for k in range(30)]
            approvers = [_group(f"vol-approvers-{k:03d}") for k in range(approver_roles)]
            existing = set(User.objects.filter(username__startswith="vol-user-").values_list("username", flat=True))
            password = make_password(PASSWORD)  # one hash for all: hashing 10,000 passwords would take minutes
            new_users = [
                User(username=name, email=f"{name}@example.com", password=password, first_name="Vol", last_name=str(k))
                for k in range(user_count)
                if (name := f"vol-user-{k:05d}") not in existing
            ]
            User.objects.bulk_create(new_users, batch_size=BATCH)
            users = list(User.objects.filter(username__startswith="vol-user-").order_by("id").values_list("id", flat=True))
            memberships = User.groups.through
            member_rows = []
            if new_users:
                created = User.objects.filter(username__in=[user.username for user in new_users]).values_list("id", flat=True)
                for user_id in created:
                    for role in rng.sample(teams, 2):
                        member_rows.append(memberships(user_id=user_id, group_id=role.pk))
                    if rng.random() < 0.08:
                        member_rows.append(memberships(user_id=user_id, group_id=agents_role.pk))
                    if rng.random() < 0.05:
                        member_rows.append(memberships(user_id=user_id, group_id=rng.choice(approvers).pk))
                    if rng.random() < 0.02:
                        member_rows.append(memberships(user_id=user_id, group_id=managers_role.pk))
                memberships.objects.bulk_create(member_rows, batch_size=BATCH, ignore_conflicts=True)
            agents = list(agents_role.user_set.values_list("id", flat=True)) or users[:5]

            bench_requester = _bench_user("bench-requester", password, [teams[0], teams[1]])
            bench_agent = _bench_user("bench-agent", password, [agents_role])
            _bench_user("bench-approver", password, [approvers[0]])
            _bench_user("bench-auditor", password, [_group("vol-auditors", perms=["tickets.view_all_tickets"])])
            _bench_user("bench-admin", password, [], superuser=True)
            agents.append(bench_agent.pk)
            users.append(bench_requester.pk)

            categories = [_named(Category, f"Vol category {k:02d}", now) for k in range(20)]
            labels = [_named(Label, f"vol-label-{k:02d}", now, color=f"#{rng.randrange(0x1000000):06x}") for k in range(15)]
            one_step = _approval_template(
                "Volume: one-step any",
                [{"name": "Step 1", "order": 1, "approval_type": ApprovalType.ANY, "approvers": [{"role": approvers[0]}]}],
            )
            two_step = _approval_template(
                "Volume: two-step all then any",
                [
                    {"name": "Step 1", "order": 1, "approval_type": ApprovalType.ALL, "approvers": [{"role": approvers[0]}]},
                    {"name": "Step 2", "order": 2, "approval_type": ApprovalType.ANY, "approvers": [{"role": managers_role}]},
                ],
            )
        return Pools(
            users=users,
            agents=agents,
            teams=[team.pk for team in teams],
            approver_roles=[role.pk for role in approvers],
            managers_role=managers_role.pk,
            categories=[category.pk for category in categories],
            labels=[label.pk for label in labels],
            one_step=one_step.pk,
            two_step=two_step.pk,
            bench_requester=bench_requester.pk,
            bench_agent=bench_agent.pk,
            bench_approver_role=approvers[0].pk,
            bench_approver_share=bench_share,
        )

    # --- one ticket and everything hanging off it ----------------------------------------------------------------

    def _ticket(
        self,
        rng: random.Random,
        pools: Pools,
        ids: IdAllocator,
        rows: Rows,
        *,
        ticket_id: int,
        created_at: datetime,
        now: datetime,
    ) -> None:
        status = _pick_status(rng)
        creator = rng.choice(pools.users)
        restricted = rng.random() < RESTRICTED_SHARE
        with_approval = status in (S.WAITING_APPROVAL, S.REJECTED) or (
            status in (S.OPEN, S.IN_PROGRESS, S.RESOLVED, S.CLOSED) and rng.random() < APPROVED_SHARE
        )
        two_step = with_approval and rng.random() < 0.3
        assignee = rng.choice(pools.agents) if status in (S.IN_PROGRESS, S.RESOLVED, S.CLOSED) or rng.random() < 0.1 else None
        if assignee is not None and status in (S.DRAFT, S.CANCELLED):
            assignee = None
        words = rng.sample(WORDS, 4)
        clock = _Clock(created_at, now)
        ticket = Ticket(
            id=ticket_id,
            key=f"TCK-{ticket_id}",
            title=f"{words[0].capitalize()} {words[1]} {words[2]} {words[3]} #{ticket_id}",
            description=f"The {words[1]} {words[0]} is not working since {created_at:%d %B}. Please help with the {words[2]}.",
            status=S.DRAFT,  # as created; set to its final status below, after the `created` event took its details
            priority=rng.choice(PRIORITIES),
            visibility=TicketVisibility.RESTRICTED if restricted else TicketVisibility.INTERNAL,
            approval_template_id=(pools.two_step if two_step else pools.one_step) if with_approval else None,
            assignee_id=assignee,
            due_at=created_at + timedelta(days=rng.randint(3, 30)) if rng.random() < 0.3 else None,
            created_by_id=creator,
            created_at=created_at,
            updated_by_id=creator,
        )
        rows.tickets.append(ticket)
        for category in rng.sample(pools.categories, rng.choice((1, 1, 2))):
            rows.ticket_categories.append(Ticket.categories.through(ticket_id=ticket_id, category_id=category))
        for label in rng.sample(pools.labels, rng.choice((0, 1, 1, 2))):
            rows.ticket_labels.append(Ticket.labels.through(ticket_id=ticket_id, label_id=label))

        def note(actor: int | None, event_type: EventType, details: dict[str, Any]) -> None:
            row = event_note(ticket=ticket, event_type=event_type, details=details)
            rows.notes.append(_audited(row, ids.take(TicketNote), actor, clock.tick()))

        came_from: str | None = None  # the status before the last change

        def status_change(actor: int | None, from_status: str, to_status: str, comment: str = "") -> None:
            nonlocal came_from
            came_from = from_status
            details = status_change_details(from_status=from_status, to_status=to_status, comment=comment)
            note(actor, EventType.STATUS_CHANGE, details)

        note(creator, EventType.CREATED, created_details(ticket))
        ticket.status = status
        previous: str = S.DRAFT
        if with_approval:
            approver_role = (
                pools.bench_approver_role if rng.random() < pools.bench_approver_share else rng.choice(pools.approver_roles)
            )
            status_change(creator, S.DRAFT, S.WAITING_APPROVAL)
            previous = S.WAITING_APPROVAL
            outcome = self._process(rng, pools, ids, rows, ticket, approver_role, two_step, status, clock, note)
            if outcome is not None:  # the engine moved the ticket, acting as the last decider
                status_change(outcome.actor, previous, outcome.status, outcome.comment)
                previous = outcome.status
        path = PLAIN_PATHS.get(status, [])
        for target in path:
            if target == previous or (with_approval and target == S.OPEN):
                continue
            actor = creator if target in (S.OPEN, S.CANCELLED) else (assignee or rng.choice(pools.agents))
            status_change(actor, previous, target)
            previous = target
            if target == S.RESOLVED:
                ticket.resolved_at = clock.last
            if target == S.CLOSED:
                ticket.closed_at = clock.last
        if rng.random() < COMMENT_SHARE:
            author = rng.choice([creator, assignee or creator, rng.choice(pools.users)])
            comment = TicketNote(
                ticket=ticket, system=False, note=f"Any news on the {words[0]}? It still affects the {words[2]}."
            )
            rows.notes.append(_audited(comment, ids.take(TicketNote), author, clock.tick()))
        ticket.updated_at = clock.last

        if restricted:
            self._restricted(rng, pools, ids, rows, ticket, clock)
        if came_from is not None and rng.random() < NOTIFICATION_SHARE:
            # The in-app notification of the ticket's last status change (as the system's: the loader names no actor).
            recipient = assignee if assignee is not None and rng.random() < 0.5 else creator
            message = status_changed_message(None, came_from, status)
            event = notification_services.Event(NotificationEvent.STATUS_CHANGED, ticket, None, message)
            notification = notification_services.notification_row(
                event=event, recipient_id=recipient, channels={Channel.IN_APP}
            )
            notification.is_read = rng.random() < 0.6
            rows.notifications.append(_audited(notification, ids.take(Notification), None, clock.last))

    def _process(
        self,
        rng: random.Random,
        pools: Pools,
        ids: IdAllocator,
        rows: Rows,
        ticket: Ticket,
        approver_role: int,
        two_step: bool,
        status: str,
        clock: _Clock,
        note: Any,
    ) -> _Outcome | None:
        """An approval process for the ticket; returns how it moved the ticket on (None: still running)."""
        running = status == S.WAITING_APPROVAL
        rejected = status == S.REJECTED
        process_status = ProcessStatus.RUNNING if running else (ProcessStatus.REJECTED if rejected else ProcessStatus.APPROVED)
        started = clock.tick()
        process = ApprovalProcess(
            id=ids.take(ApprovalProcess),
            ticket_id=ticket.pk,
            template_id=ticket.approval_template_id,
            name="Volume: two-step all then any" if two_step else "Volume: one-step any",
            status=process_status,
            finished_at=None if running else started + timedelta(hours=rng.randint(1, 48)),
            created_by_id=ticket.created_by_id,
            created_at=started,
            updated_at=started,
        )
        rows.processes.append(process)
        note(ticket.created_by_id, EventType.APPROVAL_STARTED, approval_events.started_details(process))
        # Step 1: "any" of the approver role, or (two-step) "all" of the role and one named approver; step 2: a manager.
        specs = [(ApprovalType.ALL, [("role", approver_role), ("user", rng.choice(pools.users))])] if two_step else []
        specs = specs or [(ApprovalType.ANY, [("role", approver_role)])]
        if two_step:
            specs.append((ApprovalType.ANY, [("role", pools.managers_role)]))
        starter = ticket.created_by_id
        # Running processes stop at step 1 (active); finished ones decided every step, rejected ones the last.
        for order, (approval_type, approvers) in enumerate(specs, start=1):
            last = order == len(specs)
            if running:
                step_status = StepStatus.ACTIVE if order == 1 else StepStatus.WAITING
            elif rejected:
                step_status = StepStatus.REJECTED if last else StepStatus.APPROVED
            else:
                step_status = StepStatus.APPROVED
            step = ApprovalProcessStep(
                id=ids.take(ApprovalProcessStep),
                process_id=process.pk,
                name=f"Step {order}",
                order=order,
                approval_type=approval_type,
                status=step_status,
                started_at=started if step_status != StepStatus.WAITING else None,
                finished_at=process.finished_at if step_status in (StepStatus.APPROVED, StepStatus.REJECTED) else None,
                created_by_id=ticket.created_by_id,
                created_at=started,
                updated_at=started,
            )
            rows.steps.append(step)
            slots: list[ApprovalProcessStepApprover] = []
            for kind, ref in approvers:
                slot_status = SlotStatus.PENDING
                acted_by = None
                if step_status == StepStatus.APPROVED:
                    slot_status = SlotStatus.APPROVED
                elif step_status == StepStatus.REJECTED:
                    slot_status = SlotStatus.REJECTED
                if slot_status != SlotStatus.PENDING:
                    acted_by = ref if kind == "user" else rng.choice(pools.agents)
                slots.append(
                    ApprovalProcessStepApprover(
                        id=ids.take(ApprovalProcessStepApprover),
                        step_id=step.pk,
                        process_id=process.pk,
                        ticket_id=ticket.pk,
                        user_id=ref if kind == "user" else None,
                        role_id=ref if kind == "role" else None,
                        status=slot_status,
                        acted_by_id=acted_by,
                        comment=REJECT_COMMENT if slot_status == SlotStatus.REJECTED else "",
                        acted_at=process.finished_at if acted_by else None,
                        created_by_id=ticket.created_by_id,
                        created_at=started,
                        updated_at=started,
                    )
                )
            rows.slots.extend(slots)
            if step_status == StepStatus.WAITING:
                continue
            # A later step starts with the decision that finished the one before (its decider is the actor).
            details = approval_events.step_started_details(process, step, slots)
            note(starter, EventType.APPROVAL_STEP_STARTED, details)
            for slot in slots:
                if slot.acted_by_id is not None:
                    event = EventType.APPROVAL_REJECTED if slot.status == SlotStatus.REJECTED else EventType.APPROVAL_GIVEN
                    note(slot.acted_by_id, event, approval_events.decision_details(process, step, slot, comment=slot.comment))
                    starter = slot.acted_by_id
        if running:
            return None
        if rejected:
            return _Outcome(S.REJECTED, starter, REJECT_COMMENT)
        note(starter, EventType.APPROVAL_COMPLETED, approval_events.completed_details(process))
        return _Outcome(S.OPEN, starter, "Approval process completed.")

    def _restricted(
        self, rng: random.Random, pools: Pools, ids: IdAllocator, rows: Rows, ticket: Ticket, clock: _Clock
    ) -> None:
        grants: set[tuple[str, int]] = set()
        if rng.random() < GRANTED_SHARE:
            for _ in range(rng.choice((1, 1, 2))):
                grants.add(("role", rng.choice(pools.teams)) if rng.random() < 0.5 else ("user", rng.choice(pools.users)))
        if rng.random() < BENCH_DIRECT_GRANT_SHARE:
            grants.add(("user", pools.bench_requester))
        grants.discard(("user", ticket.created_by_id or 0))
        for kind, ref in sorted(grants):
            at = clock.tick()
            rows.grants.append(
                TicketViewPermission(
                    id=ids.take(TicketViewPermission),
                    ticket_id=ticket.pk,
                    user_id=ref if kind == "user" else None,
                    role_id=ref if kind == "role" else None,
                    created_by_id=ticket.created_by_id,
                    created_at=at,
                    updated_at=at,
                )
            )
            note = event_note(ticket=ticket, event_type=EventType.PERMISSION_GRANTED, details=grant_details(rows.grants[-1]))
            rows.notes.append(_audited(note, ids.take(TicketNote), ticket.created_by_id, at))
        if rng.random() < ACCESS_REQUEST_SHARE:
            requester = rng.choice(pools.users)
            if requester != ticket.created_by_id and ("user", requester) not in grants:
                decided = rng.random() < 0.6
                at = clock.tick()
                decided_at = clock.tick() if decided else None
                access_request = AccessRequest(
                    id=ids.take(AccessRequest),
                    ticket_id=ticket.pk,
                    requester_id=requester,
                    reason="I work on the same project.",
                    status=AccessRequestStatus.DENIED if decided else AccessRequestStatus.PENDING,
                    decided_by_id=ticket.created_by_id if decided else None,
                    decided_at=decided_at,
                    decision_comment="Not needed." if decided else "",
                    created_by_id=requester,
                    created_at=at,
                    updated_at=decided_at or at,
                )
                rows.access_requests.append(access_request)
                details = access_requested_details(access_request)
                note = event_note(ticket=ticket, event_type=EventType.ACCESS_REQUESTED, details=details)
                rows.notes.append(_audited(note, ids.take(TicketNote), requester, at))
                if decided_at is not None:
                    details = access_decided_details(access_request, None)
                    note = event_note(ticket=ticket, event_type=EventType.ACCESS_DENIED, details=details)
                    rows.notes.append(_audited(note, ids.take(TicketNote), ticket.created_by_id, decided_at))

    # --- writing -------------------------------------------------------------------------------------------------

    def _insert(self, rows: Rows) -> int:
        write = _copy if connection.vendor == "postgresql" else _bulk_create
        # The tickets last (foreign keys are checked at commit): writing tickets updates the shared counters of alive
        # tickets (permissions' ticket_visibility_counts), whose rows the other loader then waits for until this commits.
        write(Ticket.categories.through, rows.ticket_categories)
        write(Ticket.labels.through, rows.ticket_labels)
        write(ApprovalProcess, rows.processes)
        write(ApprovalProcessStep, rows.steps)
        write(ApprovalProcessStepApprover, rows.slots)
        write(TicketViewPermission, rows.grants)
        write(AccessRequest, rows.access_requests)
        write(TicketNote, rows.notes)
        write(Notification, rows.notifications)
        write(Ticket, rows.tickets)
        # No service ran: the batch's search documents, built from the rows just written in one statement.
        document_refresh(ticket_ids=[ticket.pk for ticket in rows.tickets])
        return rows.count() + len(rows.tickets)

    def _reset_sequences(self, model_list: list[type[models.Model]]) -> None:
        """Explicit ids leave PostgreSQL's sequences behind; move them past the rows just written."""
        statements = connection.ops.sequence_reset_sql(no_style(), model_list)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


@dataclass(frozen=True)
class _Outcome:
    """How a finished approval process moved its ticket on: to `status`, by the last decider, with the engine's comment."""

    status: str
    actor: int | None
    comment: str


@dataclass(frozen=True)
class _Plan:
    total: int
    batch_size: int
    seed: int
    now: datetime
    ticket_base: int


class _Progress:
    def __init__(self, command: BaseCommand, total: int, started: float) -> None:
        self.command, self.total, self.started = command, total, started
        self.tickets = self.rows = 0
        self.tty = sys.stdout.isatty()

    def add(self, tickets: int, rows: int) -> None:
        self.tickets += tickets
        self.rows += rows
        rate = self.tickets / max(time.monotonic() - self.started, 1e-6)
        line = f"seed_volume: {self.tickets}/{self.total} tickets, {self.rows} rows, {rate:,.0f} tickets/s"
        self.command.stdout.write(line, ending="\r" if self.tty and self.tickets < self.total else "\n")


class _Clock:
    """Monotonic timestamps for one ticket's history: each event a little after the previous one, never in the future."""

    def __init__(self, start: datetime, now: datetime) -> None:
        self.last = start
        self._now = now
        self._rng = random.Random(int(start.timestamp()))

    def tick(self) -> datetime:
        self.last = min(self.last + timedelta(minutes=self._rng.randint(5, 600)), self._now)
        return self.last


def _audited[M: models.Model](row: M, pk: int, actor: int | None, at: datetime) -> M:
    """`row` with its preallocated id and the audit stamp of `actor` at `at` (the loader's clock, not now)."""
    row.pk = pk
    row.created_by_id = row.updated_by_id = actor  # type: ignore[attr-defined]
    row.created_at = row.updated_at = at  # type: ignore[attr-defined]
    return row


LOADED_MODELS: tuple[type[models.Model], ...] = (
    Ticket,
    Ticket.categories.through,
    Ticket.labels.through,
    *CHILD_MODELS,
)
# The index the batch's search documents are built through (a ticket's comments): kept during the load.
KEPT_INDEXES = frozenset({"ticket_notes_timeline_idx"})


@contextlib.contextmanager
def _deferred_indexes() -> Iterator[None]:
    """The loaded tables without their secondary indexes and foreign keys while the body runs, then both re-created
    as they were (each index built in one pass, each foreign key validated by one query instead of a check per row).
    Primary keys and unique constraints stay: they are what keeps the load correct. If the process is killed in the
    middle, they stay dropped: the loader is for benchmark databases only."""
    tables = [model._meta.db_table for model in LOADED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
              AND NOT (i.indexrelid::regclass::text = ANY(%s))
            ORDER BY 1
            """,
            [tables, list(KEPT_INDEXES)],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype = 'f'
            ORDER BY 1, 2
            """,
            [tables],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem TO '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            cursor.execute("RESET maintenance_work_mem")


def _bulk_create(model: type[models.Model], objs: list[Any]) -> None:
    model._default_manager.bulk_create(objs, batch_size=BATCH)


# Columns whose model attribute is already what the database stores (ids, text, numbers, booleans, datetimes): COPY
# takes them as they are; any other field goes through its get_db_prep_save (JSON, for one), as bulk_create would.
_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _copy(model: type[models.Model], objs: list[Any]) -> None:
    """`objs` into the model's table with one COPY (PostgreSQL): the columns and values bulk_create would write,
    without compiling and binding an INSERT. Rows without a primary key (many-to-many rows) leave it to the sequence."""
    if not objs:
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated and not (f.primary_key and objs[0].pk is None)]
    plain = [field for field in fields if field.get_internal_type() in _AS_IS]
    prepared = [field for field in fields if field.get_internal_type() not in _AS_IS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in [*plain, *prepared])
    names = [field.attname for field in plain]
    with connection.cursor() as cursor, cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            values = vars(obj)
            row = [values[name] for name in names]
            row.extend(field.get_db_prep_save(values[field.attname], connection) for field in prepared)
            copy.write_row(row)


def _pick_status(rng: random.Random) -> TicketStatus:
    roll = rng.random()
    for status, share in STATUS_MIX:
        roll -= share
        if roll < 0:
            return status
    return STATUS_MIX[-1][0]


def _group(name: str, perms: list[str] | None = None) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    for dotted in perms or []:
        app_label, codename = dotted.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


def _bench_user(username: str, password: str, roles: list[Group], *, superuser: bool = False) -> User:
    defaults: dict[str, Any] = {"email": f"{username}@example.com", "password": password, "first_name": "Bench"}
    if superuser:
        defaults |= {"is_superuser": True, "is_staff": True}
    user, created = User.objects.get_or_create(username=username, defaults=defaults)
    if created:
        user.groups.add(*roles)
    return user


def _named(model: type[Category] | type[Label], name: str, now: datetime, **extra: Any) -> Any:
    obj = model.objects.filter(name=name).first()
    if obj is None:
        obj = model(name=name, created_at=now, updated_at=now, **extra)
        obj.save()
    return obj


def _approval_template(name: str, steps: list[Any]) -> ApprovalTemplate:
    # Generated processes are snapshots with their own (per-ticket) approver roles; the template names their origin.
    template = ApprovalTemplate.objects.filter(name=name).first()
    if template is None:
        template = approval_template_create(actor=None, name=name, steps=steps, description="Generated by seed_volume.")
    return template
