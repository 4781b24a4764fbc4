"""One action on many tickets (the workspace's queues; issue 17's POST /api/v1/tickets/bulk/): each ticket goes through
the same service and permission check as alone, in its own transaction, and gets its own result.

The parameters are checked once, before any ticket (a bad one refuses the whole request, 400). Then each id: one the
caller may not see answers "not found" exactly like one that does not exist, and a refusal of one ticket (wrong
status, not allowed) is that ticket's result, while the others go on. A ticket changed is recorded on its timeline by
its service, one event per change, as if changed alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from rest_framework.exceptions import APIException, ErrorDetail

from tickets.models import Category, Label, Ticket, TicketPriority, TicketStatus
from tickets.selectors import tickets_by_id
from tickets.services.tickets import ticket_transition, ticket_update
from ticketsite.batching import batch
from ticketsite.errors import DomainNotFound, DomainValidationError
from ticketsite.filters import MAX_ID
from ticketsite.limits import REMARK_MAX_LENGTH, check_length

MAX_BULK_IDS = 500
OK = "ok"


class BulkAction(StrEnum):
    ASSIGN = "assign"  # params: assignee (a user id, or None to unassign)
    PRIORITY = "priority"  # params: priority
    ADD_LABEL = "add_label"  # params: label (a label id)
    REMOVE_LABEL = "remove_label"  # params: label
    ADD_CATEGORY = "add_category"  # params: category (a category id)
    REMOVE_CATEGORY = "remove_category"  # params: category
    TRANSITION = "transition"  # params: status, comment (optional)


@dataclass(frozen=True)
class BulkResult:
    """What became of one id: `code` is "ok" or the refusal's error code (as the API would answer for that ticket
    alone), `detail` the refusal's sentence. `ticket` is set only for a ticket the caller may see."""

    ticket_id: int
    code: str
    detail: str = ""
    ticket: Ticket | None = None

    @property
    def ok(self) -> bool:
        return self.code == OK


type TicketStep = Callable[[Ticket], object]


def bulk_apply(*, actor: User, ticket_ids: Sequence[int], action: str, params: Mapping[str, Any]) -> list[BulkResult]:
    """Apply `action` with `params` to each of `ticket_ids` (at most MAX_BULK_IDS, repeats counted once), in the order
    given; one result per id. Not atomic as a whole: each ticket commits (or, inside a caller's transaction, keeps its
    savepoint) on its own, so a refusal of one leaves the others done. The whole is one batch (ticketsite.batching):
    what reacts once per action rather than per ticket (the notifications' e-mail digest) collects on it."""
    ids = _unique_ids(ticket_ids)
    step = _step(actor, action, params)
    visible = tickets_by_id(user=actor, ticket_ids=ids)
    with batch():
        return [_apply_one(ticket_id, visible.get(ticket_id), step) for ticket_id in ids]


def _unique_ids(ticket_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise DomainValidationError("Select at least one ticket.", field="ids", code="empty")
    if len(ids) > MAX_BULK_IDS:
        raise DomainValidationError(f"Select at most {MAX_BULK_IDS} tickets at once.", field="ids", code="max_length")
    return ids


def _apply_one(ticket_id: int, ticket: Ticket | None, step: TicketStep) -> BulkResult:
    if ticket is None:
        not_found = DomainNotFound()
        return BulkResult(ticket_id, code=str(not_found.default_code), detail=str(not_found.detail))
    try:
        step(ticket)  # one atomic service call: its own transaction, or its own savepoint inside the caller's
    except APIException as refusal:
        code, detail = _described(refusal)
        return BulkResult(ticket_id, code=code, detail=detail, ticket=ticket)
    return BulkResult(ticket_id, code=OK, ticket=ticket)


def _described(refusal: APIException) -> tuple[str, str]:
    """The first code of the refusal and all its sentences (a validation error may name several fields)."""
    details = _flat(refusal.detail)
    code = details[0].code if details and isinstance(details[0], ErrorDetail) else refusal.default_code
    return str(code), " ".join(str(detail) for detail in details)


def _flat(detail: Any) -> list[Any]:
    if isinstance(detail, dict):
        return [item for value in detail.values() for item in _flat(value)]
    if isinstance(detail, list):
        return [item for value in detail for item in _flat(value)]
    return [detail]


# --- the actions: parameters checked once, then a step per ticket ----------------------------------------------------


def _step(actor: User, action: str, params: Mapping[str, Any]) -> TicketStep:
    if action == BulkAction.ASSIGN:
        assignee = _assignee(params)
        return lambda ticket: ticket_update(ticket=ticket, actor=actor, data={"assignee": assignee})
    if action == BulkAction.PRIORITY:
        priority = _choice(params, "priority", TicketPriority, "Choose a priority.")
        return lambda ticket: ticket_update(ticket=ticket, actor=actor, data={"priority": priority})
    if action in (BulkAction.ADD_LABEL, BulkAction.REMOVE_LABEL):
        label = _label(params)
        adding = action == BulkAction.ADD_LABEL
        return lambda ticket: _change_set(ticket, actor, "labels", label.pk, adding=adding)
    if action in (BulkAction.ADD_CATEGORY, BulkAction.REMOVE_CATEGORY):
        category = _category(params)
        adding = action == BulkAction.ADD_CATEGORY
        return lambda ticket: _change_set(ticket, actor, "categories", category.pk, adding=adding)
    if action == BulkAction.TRANSITION:
        status = _choice(params, "status", TicketStatus, "Choose the status to move the tickets to.")
        comment = _comment(params)
        return lambda ticket: ticket_transition(ticket=ticket, actor=actor, to_status=status, comment=comment)
    raise DomainValidationError(f"'{action}' is not a bulk action.", field="action", code="invalid_choice")


@transaction.atomic
def _change_set(ticket: Ticket, actor: User, field: str, pk: int, *, adding: bool) -> Ticket:
    """Add `pk` to, or remove it from, the ticket's labels or categories. The current ones are read under the ticket's
    row lock (held to the end of this transaction, which ticket_update joins), so one someone adds or removes meanwhile
    is kept rather than overwritten. A ticket that already has (or lacks) it is left alone: no change, no event."""
    Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk").first()
    current = set(getattr(ticket, field).values_list("pk", flat=True))
    wanted = current | {pk} if adding else current - {pk}
    return ticket_update(ticket=ticket, actor=actor, data={field: sorted(wanted)})


def _id(params: Mapping[str, Any], field: str) -> int:
    value = params.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise DomainValidationError(f"A {field} id is required.", field=field, code="required")
    return value


def _assignee(params: Mapping[str, Any]) -> User | None:
    if "assignee" not in params:
        raise DomainValidationError("Choose whom to assign the tickets to.", field="assignee", code="required")
    if params["assignee"] is None:
        return None  # unassign
    assignee = User.objects.filter(pk=_id(params, "assignee"), is_active=True).first()
    if assignee is None:
        raise DomainValidationError("The assignee must be an active user.", field="assignee", code="inactive")
    return assignee


def _label(params: Mapping[str, Any]) -> Label:
    label = Label.objects.filter(pk=_id(params, "label")).first()
    if label is None:
        raise DomainValidationError("This label does not exist.", field="label", code="does_not_exist")
    return label


def _category(params: Mapping[str, Any]) -> Category:
    category = Category.objects.filter(pk=_id(params, "category")).first()
    if category is None:
        raise DomainValidationError("This category does not exist.", field="category", code="does_not_exist")
    return category


def _comment(params: Mapping[str, Any]) -> str:
    comment = params.get("comment") or ""
    if not isinstance(comment, str):
        raise DomainValidationError("A comment is text.", field="comment", code="invalid")
    check_length(comment, limit=REMARK_MAX_LENGTH, field="comment")
    return comment


def _choice(params: Mapping[str, Any], field: str, choices: type[TicketPriority | TicketStatus], missing: str) -> str:
    value = params.get(field)
    if not value:
        raise DomainValidationError(missing, field=field, code="required")
    if value not in choices.values:
        raise DomainValidationError(f"'{value}' is not a valid {field}.", field=field, code="invalid_choice")
    return str(value)
