"""Small generated "worlds" for the property tests that hold each rule's two directions to each other: users (active or
not, in roles, some holding view_all_tickets or superusers), tickets in several visibilities and statuses (some deleted), one
approval process each with steps and slots in every state (some already decided, by someone or on someone's behalf),
grants, and delegations whose window is past, current or future (some deleted).

`worlds()` draws a plain description; `build(world)` writes it with the factories. Each test builds inside a
savepoint that it rolls back, so the examples of one test do not see each other's rows.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from hypothesis import strategies as st

from approvals.models import ProcessStatus, SlotStatus, StepStatus
from approvals.tests.factories import ApprovalProcessFactory, ApprovalProcessStepFactory, ApprovalSlotFactory, DelegationFactory
from permissions.tests.factories import GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketStatus, TicketVisibility
from tickets.tests.factories import TicketFactory

USERS = 5
ROLES = 2

user_index = st.integers(0, USERS - 1)
role_index = st.integers(0, ROLES - 1)
# A slot or a grant names a user or a role: ("user", i) or ("role", j).
holder = st.one_of(st.tuples(st.just("user"), user_index), st.tuples(st.just("role"), role_index))


@dataclass(frozen=True)
class User:
    active: bool
    roles: frozenset[int]
    view_all: str  # "", "permission" or "superuser"


@dataclass(frozen=True)
class Slot:
    holder: tuple[str, int]
    status: str
    acted_by: int | None
    on_behalf_of: int | None


@dataclass(frozen=True)
class Ticket:
    creator: int
    assignee: int | None
    visibility: str
    status: str
    deleted: bool
    process_status: str
    steps: tuple[tuple[str, tuple[Slot, ...]], ...]


@dataclass(frozen=True)
class World:
    users: tuple[User, ...]
    tickets: tuple[Ticket, ...]
    grants: tuple[tuple[int, tuple[str, int]], ...]
    delegations: tuple[tuple[int, int, str, bool], ...]


users = st.builds(
    User,
    active=st.booleans() | st.just(True),
    roles=st.frozensets(role_index, max_size=ROLES),
    view_all=st.sampled_from(["", "", "", "", "permission", "superuser"]),
)
slots = st.builds(
    Slot,
    holder=holder,
    status=st.sampled_from([SlotStatus.PENDING] * 4 + [SlotStatus.APPROVED, SlotStatus.SKIPPED]),
    acted_by=st.none() | user_index,
    on_behalf_of=st.none() | user_index,
)
steps = st.tuples(st.sampled_from([StepStatus.ACTIVE] * 3 + [StepStatus.WAITING]), st.tuples(slots) | st.tuples(slots, slots))
tickets = st.builds(
    Ticket,
    creator=user_index,
    assignee=st.none() | user_index,
    visibility=st.sampled_from([TicketVisibility.RESTRICTED, TicketVisibility.RESTRICTED, TicketVisibility.INTERNAL]),
    status=st.sampled_from([TicketStatus.WAITING_APPROVAL] * 3 + [TicketStatus.OPEN]),
    deleted=st.sampled_from([False] * 5 + [True]),
    process_status=st.sampled_from([ProcessStatus.RUNNING] * 4 + [ProcessStatus.CANCELLED]),
    steps=st.tuples(steps) | st.tuples(steps, steps),
)
delegations = st.tuples(
    user_index, user_index, st.sampled_from(["now", "now", "past", "future"]), st.sampled_from([False, False, True])
).filter(lambda d: d[0] != d[1])


def worlds() -> st.SearchStrategy[World]:
    return st.builds(
        World,
        users=st.tuples(*[users] * USERS),
        tickets=st.lists(tickets, min_size=1, max_size=3).map(tuple),
        grants=st.lists(st.tuples(st.integers(0, 2), holder), max_size=3).map(tuple),
        delegations=st.lists(delegations, max_size=4).map(tuple),
    )


@dataclass
class Built:
    users: list[Any]
    tickets: list[Any]
    slots: list[Any]


def build(world: World) -> Built:
    roles = [RoleFactory() for _ in range(ROLES)]
    people = [
        UserFactory(
            is_active=user.active,
            roles=[roles[i] for i in sorted(user.roles)],
            perms=["tickets.view_all_tickets"] if user.view_all == "permission" else None,
            is_superuser=user.view_all == "superuser",
        )
        for user in world.users
    ]

    def named(which: tuple[str, int]) -> dict[str, Any]:
        kind, index = which
        return {"user": people[index], "role": None} if kind == "user" else {"user": None, "role": roles[index]}

    built_tickets, built_slots = [], []
    for spec in world.tickets:
        ticket = TicketFactory(
            created_by=people[spec.creator],
            assignee=people[spec.assignee] if spec.assignee is not None else None,
            visibility=spec.visibility,
            status=spec.status,
            is_deleted=spec.deleted,
        )
        built_tickets.append(ticket)
        process = ApprovalProcessFactory(ticket=ticket, status=spec.process_status)
        for order, (step_status, step_slots) in enumerate(spec.steps, start=1):
            step = ApprovalProcessStepFactory(process=process, order=order, status=step_status)
            for slot in step_slots:
                acted = slot.status == SlotStatus.APPROVED
                built_slots.append(
                    ApprovalSlotFactory(
                        step=step,
                        status=slot.status,
                        acted_by=people[slot.acted_by] if acted and slot.acted_by is not None else None,
                        on_behalf_of=people[slot.on_behalf_of] if acted and slot.on_behalf_of is not None else None,
                        **named(slot.holder),
                    )
                )
    for ticket_index, which in set(world.grants):  # one live grant per (ticket, user or role)
        if ticket_index < len(built_tickets):
            GrantFactory(ticket=built_tickets[ticket_index], **named(which))
    now = timezone.now()
    windows = {"now": (-1, 1), "past": (-3, -1), "future": (1, 3)}
    for delegator, delegate, window, deleted in world.delegations:
        starts, ends = windows[window]
        DelegationFactory(
            delegator=people[delegator],
            delegate=people[delegate],
            starts_at=now + timedelta(days=starts),
            ends_at=now + timedelta(days=ends),
            is_deleted=deleted,
        )
    return Built(users=people, tickets=built_tickets, slots=built_slots)
