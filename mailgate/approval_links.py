"""Approval by link: what the Approve or Reject link of an "approval requested" mail may do now, and doing it
(docs/email.md; the page is workspace.views.mail.approval, docs/workspace.md "Pages that mail links open").

The link's signed token (notifications.tokens.approval_token: slot, user, decision) is the authentication for this one
decision: the person it was mailed to may decide without signing in, because a mail client opens links in whatever
browser is at hand, often without a session. Like any mailed link, it is a bearer token: a forwarded mail forwards
that one decision, until it is used or expires. What keeps it narrow:

- the signature binds the slot, the user and the decision (another user's id, or the other decision, fails it);
- it expires (MAIL_APPROVAL_LINK_MAX_AGE_DAYS);
- it acts only while the engine's one rule lets its user decide the slot now (approvals.selectors.acting_route: open
  slot, active user, theirs directly, through a role or as a delegate in force), so once the slot is decided, by this
  link or otherwise, it never acts again (a replay is refused without a table of used tokens);
- a session of somebody else refuses it, so nobody decides as another person by mistake;
- reading it never acts (mail scanners follow links): only `approval_link_decide`, on a confirmed POST, does.

`approval_link` (the selector) says what a token may do: decide (`ApprovalLink`) or nothing, with the reason
(`LinkRefused`). `approval_link_decide` (the service) decides through approvals.services.approval_decide, which checks
everything again under its row locks.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import models
from rest_framework import status

from approvals.models import ApprovalProcessStepApprover as Slot
from approvals.models import ProcessStatus, SlotStatus, StepStatus
from approvals.selectors import Route, acting_route
from approvals.services import approval_decide
from notifications.tokens import ApprovalTokenExpired, read_approval_token
from tickets.models import TicketStatus
from tickets.timeline import VIA_EMAIL
from ticketsite.errors import DomainConflict, DomainError, DomainNotFound, DomainPermissionDenied


class ApprovalLinkExpired(DomainError):
    """A well-signed approval link past its age: gone for good (410), the decision is made in the workspace now."""

    status_code = status.HTTP_410_GONE
    default_code = "link_expired"
    default_detail = "This link has expired."


class Refusal(models.TextChoices):
    """Why a link cannot decide; the label is the headline of its page."""

    INVALID = "invalid", "This link is not valid"
    EXPIRED = "expired", "This link has expired"
    OTHER_USER = "other_user", "This link is someone else's"
    INACTIVE = "inactive", "This link can no longer be used"
    DECIDED = "decided", "Already decided"
    WITHDRAWN = "withdrawn", "The request was withdrawn"
    FINISHED = "finished", "Nothing to decide"
    NOT_ELIGIBLE = "not_eligible", "You can no longer decide this"


_ERRORS: dict[Refusal, type[DomainError]] = {
    Refusal.INVALID: DomainNotFound,
    Refusal.EXPIRED: ApprovalLinkExpired,
    Refusal.OTHER_USER: DomainPermissionDenied,
    Refusal.INACTIVE: DomainPermissionDenied,
    Refusal.DECIDED: DomainConflict,
    Refusal.WITHDRAWN: DomainConflict,
    Refusal.FINISHED: DomainConflict,
    Refusal.NOT_ELIGIBLE: DomainPermissionDenied,
}

_MESSAGES: dict[Refusal, str] = {
    Refusal.INVALID: "This link is not valid. Nothing was changed.",
    Refusal.EXPIRED: "Approval links work for a limited time. Sign in to the help desk to decide from your approvals.",
    Refusal.OTHER_USER: (
        "This link was sent to another person than the one signed in here. Only the person it was sent to can use it."
    ),
    Refusal.INACTIVE: "The account this link was sent to is not active. Nothing was changed.",
    Refusal.WITHDRAWN: "The request was withdrawn or deleted; nothing is left to decide.",
    Refusal.FINISHED: "This approval step is not open for decisions any more.",
    Refusal.NOT_ELIGIBLE: (
        "This approval is no longer yours, your role's, or that of someone who delegated to you now, or you already "
        "took part in a decision of this step."
    ),
}


@dataclass(frozen=True)
class LinkRefused:
    """A link that cannot decide anything now, and why (nothing of the ticket: whoever holds the link may read it)."""

    reason: Refusal
    message: str

    @property
    def headline(self) -> str:
        return str(self.reason.label)

    @property
    def error(self) -> DomainError:
        """The refusal as the domain error it is (its status code: 404, 410, 403 or 409)."""
        return _ERRORS[self.reason](self.message, code=self.reason.value)


@dataclass(frozen=True)
class ApprovalLink:
    """A link that may decide now: `user` decides `slot` (approve or reject, as the link says), by `route` (directly,
    or as the proxy of `route.on_behalf_of`)."""

    slot: Slot
    user: User
    approve: bool
    route: Route


def _refused(reason: Refusal, message: str = "") -> LinkRefused:
    return LinkRefused(reason=reason, message=message or _MESSAGES[reason])


def _why_not_open(slot: Slot) -> LinkRefused | None:
    """Why `slot` is no longer open for anybody (None: it is open, so it is the link's user who may not decide it).
    This only explains a refusal of acting_route, which is the rule."""
    if slot.status in (SlotStatus.APPROVED, SlotStatus.REJECTED):
        verdict = slot.get_status_display().lower()
        return _refused(Refusal.DECIDED, f"This approval was already decided ({verdict}); the link cannot be used again.")
    process, ticket = slot.process, slot.ticket
    if slot.is_deleted or process.is_deleted or ticket.is_deleted or process.status == ProcessStatus.CANCELLED:
        return _refused(Refusal.WITHDRAWN)
    if slot.status == SlotStatus.SKIPPED:  # another approver's decision settled the step or the process
        return _refused(Refusal.DECIDED, "Another approver's decision already settled this; nothing is left to decide.")
    if (
        process.status != ProcessStatus.RUNNING
        or slot.step.status != StepStatus.ACTIVE
        or ticket.status != TicketStatus.WAITING_APPROVAL
    ):
        return _refused(Refusal.FINISHED)
    return None


def approval_link(token: str, *, session_user: User | None) -> ApprovalLink | LinkRefused:
    """What the approval link `token` may do now, for a request whose signed-in user is `session_user` (None when
    nobody is signed in). Reads only. Five queries at most (user, slot, the eligibility rule)."""
    try:
        signed = read_approval_token(token)
    except ApprovalTokenExpired:
        return _refused(Refusal.EXPIRED)
    if signed is None:
        return _refused(Refusal.INVALID)
    if session_user is not None and session_user.pk != signed.user_id:
        return _refused(Refusal.OTHER_USER)
    user = User.objects.filter(pk=signed.user_id).first()
    # Deleted rows too: a slot of a withdrawn or deleted request is refused with that reason, not as unknown.
    slot = (
        Slot.all_objects.select_related("step", "process", "ticket__created_by", "user", "role")
        .filter(pk=signed.slot_id)
        .first()
    )
    if user is None or slot is None:
        return _refused(Refusal.INVALID)
    if not user.is_active:
        return _refused(Refusal.INACTIVE)
    route = acting_route(actor=user, slot=slot)
    if route is None:
        return _why_not_open(slot) or _refused(Refusal.NOT_ELIGIBLE)
    return ApprovalLink(slot=slot, user=user, approve=signed.approve, route=route)


def approval_link_decide(*, link: ApprovalLink, comment: str) -> Slot:
    """Decide as the link says, as its user, recorded as decided by e-mail. approval_decide finds the route again
    (so the user acts as proxy when that is how they may decide) and checks everything under its row locks: 409 when
    the slot is no longer actionable, 403 when the user may no longer decide it, 400 for a rejection without a reason;
    nothing changes then. A refused link (LinkRefused) never gets here."""
    return approval_decide(slot=link.slot, actor=link.user, approve=link.approve, comment=comment, via=VIA_EMAIL)
