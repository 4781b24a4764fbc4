"""Reads of the approval engine: who may act on which slot, the pending list, processes and templates for the API.

The eligibility rule (SPEC §6) is written once, in `_routes`; both directions are derived from it:
`actionable_slots(user)` (the `?mine=pending` list, which `pending_slots` fetches by id), `acting_route` (one slot,
decision time) and `acting_routes` (the route for each slot of a page) evaluate it for one user;
`users_who_may_act(slots)` (who is asked to approve) evaluates it per candidate user, correlated. What "fills a slot"
means is `approvals.models.by_filler` (approvals/models.py), shared with the visibility rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Exists, F, Lookup, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In
from django.utils import timezone

from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalTemplate,
    ApprovalTemplateStep,
    ApprovalTemplateStepApprover,
    Delegation,
    ProcessStatus,
    SlotStatus,
    StepStatus,
    by_filler,
)
from permissions.selectors import UserRef, is_active_user, one_level_in, union_of, visible_tickets
from tickets.models import Ticket, TicketStatus
from ticketsite.compiled import CompiledQuery

Slot = ApprovalProcessStepApprover

DELEGATION_VIEW_ALL_PERMISSION = "approvals.view_delegation"


# --- eligibility: the one rule -------------------------------------------------------------------------------------


def _involved(person: UserRef) -> Exists:
    """Whether `person` already took part in a decision of the row's step (as actor or as the person represented)."""
    inner = one_level_in(person)
    return Exists(Slot.all_objects.filter(step=OuterRef("step")).filter(Q(acted_by=inner) | Q(on_behalf_of=inner)))


def _may_take_part(slots: QuerySet[Slot], person: UserRef) -> QuerySet[Slot]:
    """The slots in which `person` may take part: not their own ticket's, and no decision of the step yet."""
    return slots.exclude(ticket__created_by=person).exclude(_involved(person))


def _routes(
    slots: QuerySet[Slot], actor: UserRef, lenders: list[int] | None = None, *, at: datetime | None = None
) -> list[QuerySet[Slot]]:
    """THE eligibility rule: the ways an active `actor` may decide one of `slots` now, as UNION branches.

    - the slot is open: pending, its step active, its process running, its ticket waiting for approval;
    - the actor may take part: not the ticket's creator, and no part in a decision of the step yet;
    - the person whose right is used (the `filler`) fills the slot directly (by_filler) and may take part too, and is
      the actor, or lent the actor their rights by a delegation in force (one level: not transitive).

    So the creator never approves their own ticket, directly, through a role or as a proxy (SPEC §6), and nobody
    approves *for* the creator either: a delegate acts on what the delegator could, and the creator could not.
    One person, one slot per step, whether acting or represented.

    `actor` is a user id, or an OuterRef to one (`users_who_may_act`). Four branches (direct or delegated, user or
    role slot), each answered from an index: an OR over them made PostgreSQL scan every pending slot.

    `lenders`, for an actor given by id: the ids of the people lending them their rights now (`_lenders`), fetched
    beforehand, so the delegated branches name them instead of joining the delegations, and are left out when nobody
    lends (planning them took PostgreSQL about 15 ms at 100k tickets). Without it, they are a sub-select.
    """
    open_slots = slots.filter(
        status=SlotStatus.PENDING,
        step__status=StepStatus.ACTIVE,
        process__status=ProcessStatus.RUNNING,
        process__is_deleted=False,
        ticket__status=TicketStatus.WAITING_APPROVAL,
        ticket__is_deleted=False,
    )
    branches: list[QuerySet[Slot]] = []
    for rows in by_filler(_may_take_part(open_slots, actor)):
        branches.append(rows.filter(filler=actor))
        if lenders != []:
            delegators = _lenders(actor, at=at) if lenders is None else lenders
            branches.append(_may_take_part(rows.filter(filler__in=delegators), F("filler")))
    return branches


def _lenders(actor: UserRef, *, at: datetime | None = None) -> QuerySet[Delegation, dict[str, Any]]:
    """The people who lend `actor` their rights now, or at `at` (the delegators of the delegations in force to them), as
    a sub-select of one column."""
    return Delegation.objects.in_force(at).filter(delegate=one_level_in(actor)).order_by().values("delegator")


@dataclass(frozen=True)
class Route:
    """How an actor may fill a slot: directly (on_behalf_of None) or as the delegate of `on_behalf_of`."""

    on_behalf_of: User | None


def acting_routes(*, actor: User, slots: QuerySet[Slot]) -> dict[int, Route]:
    """How `actor` may decide each of `slots` now: slot id -> Route, for the slots they may decide (at most two
    queries, whatever the number of slots). Direct rights win; between delegators, the earliest delegation."""
    if not actor.is_active:
        return {}
    fillers: dict[int, set[int]] = {}
    for row in union_of(_routes(slots, actor.pk), "pk", "filler"):
        fillers.setdefault(row["pk"], set()).add(row["filler"])
    routes = {pk: Route(on_behalf_of=None) for pk, people in fillers.items() if actor.pk in people}
    delegated = {pk: people for pk, people in fillers.items() if pk not in routes}
    if not delegated:
        return routes
    delegations = list(
        Delegation.objects.in_force()
        .filter(delegate=actor, delegator__in=set().union(*delegated.values()))
        .select_related("delegator")
        .order_by("starts_at", "id")
    )
    for pk, people in delegated.items():
        delegation = next((d for d in delegations if d.delegator_id in people), None)
        if delegation is not None:
            routes[pk] = Route(on_behalf_of=delegation.delegator)
    return routes


def acting_route(*, actor: User, slot: Slot) -> Route | None:
    """How `actor` may decide `slot` now, or None (acting_routes for one slot)."""
    return acting_routes(actor=actor, slots=Slot.objects.filter(pk=slot.pk)).get(slot.pk)


def actionable_slots(user: User | AnonymousUser | None) -> QuerySet[Slot]:
    """Exactly the slots `user` may decide now (the `?mine=pending` list), as one query.

    A UNION (not flattened into the caller's query), so `?mine=pending` starts from these few rows. Visibility is
    implied, not re-checked: whoever may decide a slot fills it or is the active delegate of someone who does, and
    such approvers see the ticket (SPEC §7, permissions.selectors.approver_ticket_ids, from the same by_filler).
    """
    if not is_active_user(user):
        return Slot.objects.none()
    assert isinstance(user, User)
    return Slot.objects.filter(pk__in=RawSQL(*_ACTIONABLE_IDS.sql_for(user.pk)))


# Compiled once per process (ticketsite.compiled): the header of every workspace page counts these.
_ACTIONABLE_IDS = CompiledQuery(lambda user_id, at: union_of(_routes(Slot.objects.all(), user_id, at=at), "pk"))


def users_who_may_act(slots: QuerySet[Slot], *, at: datetime | None = None) -> QuerySet[User]:
    """Active users who may decide at least one of `slots` now (or at `at`): actionable_slots turned around (the same
    `_routes`, evaluated per user). Only the people who fill the slots and their delegates in force are evaluated."""
    fillers = [rows.values("filler") for rows in by_filler(slots)]
    delegates = Delegation.objects.in_force(at).filter(delegator__in=union_of(fillers)).order_by().values("delegate")
    candidates = union_of([*fillers, delegates])
    may_act = Exists(union_of(_routes(slots, OuterRef("pk"), at=at), "pk"))
    return User.objects.filter(is_active=True, pk__in=candidates).filter(may_act)


def users_who_may_act_on_step(step_id: int) -> QuerySet[User]:
    """users_who_may_act for the slots of one step, compiled once per process: every approval event's notifications
    ask who is to decide."""
    return User.objects.filter(pk__in=RawSQL(*_STEP_DECIDERS.sql_for(step_id)))


_STEP_DECIDERS = CompiledQuery(
    lambda step_id, at: users_who_may_act(Slot.objects.filter(step_id=step_id), at=at).order_by().values("pk")
)


def staffed_approvers(approvers: QuerySet[ApprovalTemplateStepApprover], *, creator_id: int | None) -> set[int]:
    """Which of `approvers` (a template's slots, at submit) an active user other than the ticket's creator fills
    directly. Delegates do not count: a delegation may have ended by the time the step starts."""
    people = User.objects.filter(is_active=True)
    if creator_id is not None:
        people = people.exclude(pk=creator_id)
    staffed = union_of([rows.filter(filler__in=people.values("pk")) for rows in by_filler(approvers)], "pk")
    return set(staffed.values_list("pk", flat=True))


# --- reads for the API ---------------------------------------------------------------------------------------------


class _OneOf(Lookup):
    """`lhs` is one of the ids `rhs` (a list): `IN (%s, %s, ...)`, but on PostgreSQL one array parameter, `= ANY(%s)`.
    psycopg parses a query's placeholders in Python: for the ~700 ids of a busy approver, milliseconds per statement."""

    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return In(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*params, list(self.rhs))


def _with_slot_relations(slots: QuerySet[Slot]) -> QuerySet[Slot]:
    return slots.select_related("step")


def visible_slots(user: User | AnonymousUser | None) -> QuerySet[Slot]:
    """Slots of the tickets `user` can see, oldest first."""
    slots = Slot.objects.filter(process__is_deleted=False, ticket__in=visible_tickets(user).values("id"))
    return _with_slot_relations(slots).order_by("id")


def pending_slots(user: User | AnonymousUser | None) -> QuerySet[Slot]:
    """actionable_slots as the `?mine=pending` list reads them, oldest first, with their step.

    Their ids are fetched now, by two short queries (who lends `user` their rights, then the rule's UNION naming them),
    and the slots taken by id: the list's count and its page are then lookups by primary key, where each evaluated the
    rule again. The ids are few, the slots one person may decide now, and their number does not grow with the tables.
    Visibility is implied, as for actionable_slots: no visibility rule to build.
    """
    if not is_active_user(user):
        return Slot.objects.none()
    assert isinstance(user, User)
    lenders = [row["delegator"] for row in _lenders(user.pk)]
    ids = [row["pk"] for row in union_of(_routes(Slot.objects.all(), user.pk, lenders), "pk")]
    return _with_slot_relations(Slot.objects.filter(_OneOf(F("pk"), ids))).order_by("id")


# What a page showing a slot reads: its ticket (requester, ticket template), step, process and the people it names.
SLOT_ROW_RELATIONS = ("ticket__created_by", "ticket__template", "step", "process", "user", "role", "acted_by", "on_behalf_of")


def awaiting_slots(user: User | AnonymousUser | None) -> QuerySet[Slot]:
    """The slots `user` may decide now (actionable_slots) with what a row of them shows, longest waiting first."""
    return actionable_slots(user).select_related(*SLOT_ROW_RELATIONS).order_by("step__started_at", "id")


def decided_slots(user: User | AnonymousUser | None) -> QuerySet[Slot]:
    """Slots `user` decided (directly or for someone), on tickets they can still see, latest first."""
    if not is_active_user(user):
        return Slot.objects.none()
    assert isinstance(user, User)
    return visible_slots(user).filter(acted_by=user).select_related(*SLOT_ROW_RELATIONS).order_by("-acted_at", "-id")


def ticket_processes(*, ticket: Ticket) -> QuerySet[ApprovalProcess]:
    """Processes of a ticket the caller was authorised to see, newest first, with steps and slots in order (and the
    people each slot names: user, role, who acted and for whom)."""
    slots = Slot.objects.select_related("user", "role", "acted_by", "on_behalf_of").order_by("id")
    steps = ApprovalProcessStep.objects.order_by("order").prefetch_related(Prefetch("approvers", queryset=slots))
    return (
        ApprovalProcess.objects.filter(ticket=ticket)
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("-created_at", "-id")
    )


def approval_templates() -> QuerySet[ApprovalTemplate]:
    approvers = ApprovalTemplateStepApprover.objects.order_by("id")
    steps = ApprovalTemplateStep.objects.order_by("order").prefetch_related(Prefetch("approvers", queryset=approvers))
    return ApprovalTemplate.objects.prefetch_related(Prefetch("steps", queryset=steps)).order_by("name", "id")


def delegations_for(user: User | AnonymousUser | None) -> QuerySet[Delegation]:
    """Delegations given or received by `user`; every delegation for holders of approvals.view_delegation."""
    if not is_active_user(user):
        return Delegation.objects.none()
    assert isinstance(user, User)
    delegations = Delegation.objects.order_by("-starts_at", "-id")
    if user.has_perm(DELEGATION_VIEW_ALL_PERMISSION):
        return delegations
    return delegations.filter(Q(delegator=user) | Q(delegate=user))


def waiting_steps(*, ticket_ids: list[int]) -> dict[int, ApprovalProcessStep]:
    """What each of these tickets (already authorised) waits on: ticket id -> the active step of its running process,
    with the step's pending slots and the user or role each names. Two queries, whatever the number of tickets."""
    pending = Slot.objects.filter(status=SlotStatus.PENDING).select_related("user", "role").order_by("id")
    steps = (
        ApprovalProcessStep.objects.filter(
            process__ticket__in=ticket_ids,
            process__status=ProcessStatus.RUNNING,
            process__is_deleted=False,
            status=StepStatus.ACTIVE,
        )
        .select_related("process")
        .prefetch_related(Prefetch("approvers", queryset=pending))
    )
    return {step.process.ticket_id: step for step in steps}


def own_delegations(user: User | AnonymousUser | None) -> QuerySet[Delegation]:
    """The delegations `user` gave or received (their own only, even for holders of approvals.view_delegation), latest
    window first, with both people and `state`: "in_force" (Delegation.objects.in_force), "upcoming", "ended", or
    "inactive" (inside its window, but the delegator is deactivated)."""
    if not is_active_user(user):
        return Delegation.objects.none()
    assert isinstance(user, User)
    now = timezone.now()
    state = Case(
        When(Exists(Delegation.objects.in_force(at=now).filter(pk=OuterRef("pk"))), then=Value("in_force")),
        When(starts_at__gt=now, then=Value("upcoming")),
        When(ends_at__lte=now, then=Value("ended")),
        default=Value("inactive"),
    )
    mine = delegations_for(user).filter(Q(delegator=user) | Q(delegate=user))
    return mine.select_related("delegator", "delegate").annotate(state=state)
