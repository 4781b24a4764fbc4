"""How much text the system accepts, in one place (docs/security.md lists every limit with its setting).

Lengths count characters as sent, before trimming. Serializers declare them as `max_length`, so the OpenAPI schema
shows them; services check the fields that the admin and the commands also write (`check_length`); the admin's forms
take them from `TEXT_FIELD_MAX_LENGTH`. Names and short texts are bounded by their columns' `max_length` (models).
The request body as a whole is bounded by `DATA_UPLOAD_MAX_MEMORY_SIZE` (settings): every text at its limit fits in it.
"""

import json
from typing import Any

from ticketsite.errors import DomainValidationError

TITLE_MAX_LENGTH = 200  # tickets' titles and templates' default titles (the column's width)
NAME_MAX_LENGTH = 200  # names of ticket and approval templates and of approval steps (the columns' width)
TICKET_DESCRIPTION_MAX_LENGTH = 20_000  # a ticket's description and a template's default description
COMMENT_MAX_LENGTH = 20_000  # a comment on a ticket
DESCRIPTION_MAX_LENGTH = 5_000  # descriptions of ticket templates, categories, labels and approval templates
# Transition and approval-decision comments, access-request reasons and decision comments, delegation reasons.
REMARK_MAX_LENGTH = 5_000
# A ticket's custom fields as compact UTF-8 JSON: bounds every string in them and their number.
CUSTOM_FIELDS_MAX_BYTES = 16 * 1024

# Every free-text column without a width of its own ("app_label.Model.field"); the admin's forms and a test read it.
TEXT_FIELD_MAX_LENGTH = {
    "tickets.Ticket.description": TICKET_DESCRIPTION_MAX_LENGTH,
    "tickets.TicketNote.note": COMMENT_MAX_LENGTH,
    "tickets.TicketTemplate.description": DESCRIPTION_MAX_LENGTH,
    "tickets.TicketTemplate.default_description": TICKET_DESCRIPTION_MAX_LENGTH,
    "tickets.Category.description": DESCRIPTION_MAX_LENGTH,
    "tickets.Label.description": DESCRIPTION_MAX_LENGTH,
    "approvals.ApprovalTemplate.description": DESCRIPTION_MAX_LENGTH,
    "approvals.ApprovalProcessStepApprover.comment": REMARK_MAX_LENGTH,
    "approvals.Delegation.reason": REMARK_MAX_LENGTH,
    "permissions.AccessRequest.reason": REMARK_MAX_LENGTH,
    "permissions.AccessRequest.decision_comment": REMARK_MAX_LENGTH,
}


def check_length(value: str, *, limit: int, field: str) -> None:
    """Refuse text longer than `limit` characters (400 max_length on `field`)."""
    if len(value) > limit:
        raise DomainValidationError(f"Ensure this field has no more than {limit} characters.", field=field, code="max_length")


def json_size(value: Any) -> int:
    """The bytes `value` takes as compact UTF-8 JSON."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
