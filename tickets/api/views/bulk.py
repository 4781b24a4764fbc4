"""POST /api/v1/tickets/bulk/: one action on up to 500 tickets, each through its own service and permission check, one
result per id (docs/views.md). The body is read strictly here; tickets.services.bulk checks the parameters' meaning
(an inactive assignee, a label that does not exist) before touching any ticket and applies the action ticket by ticket.

The body and the answer are this endpoint's own, so their serializers live beside the view."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets.models import TicketPriority, TicketStatus
from tickets.services.bulk import MAX_BULK_IDS, BulkAction, BulkResult, bulk_apply
from ticketsite.api.fields import StrictBigIntegerField, StrictCharField
from ticketsite.api.serializers import StrictInputSerializer
from ticketsite.api.views import actor
from ticketsite.errors import DomainValidationError
from ticketsite.limits import REMARK_MAX_LENGTH

# The parameters each action takes (the others must be left out: a body naming one that does not apply is a mistake).
ACTION_PARAMETERS: dict[str, frozenset[str]] = {
    BulkAction.ASSIGN: frozenset({"assignee"}),
    BulkAction.PRIORITY: frozenset({"priority"}),
    BulkAction.ADD_LABEL: frozenset({"label"}),
    BulkAction.REMOVE_LABEL: frozenset({"label"}),
    BulkAction.ADD_CATEGORY: frozenset({"category"}),
    BulkAction.REMOVE_CATEGORY: frozenset({"category"}),
    BulkAction.TRANSITION: frozenset({"status", "comment"}),
}
PARAMETERS = frozenset().union(*ACTION_PARAMETERS.values())


class BulkRequestSerializer(StrictInputSerializer):
    """The tickets (`ids`, at most 500; a repeated id counts once) and one `action` with its parameters: `assignee`
    (a user id, or null to unassign) for assign; `priority`; `label` for add_label and remove_label; `category` for
    add_category and remove_category; `status` and an optional `comment` for transition."""

    ids = serializers.ListField(child=StrictBigIntegerField(min_value=1), allow_empty=False, max_length=MAX_BULK_IDS)
    action = serializers.ChoiceField(choices=[(action.value, action.value) for action in BulkAction])
    assignee = StrictBigIntegerField(min_value=1, required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    # A declared field named like Field.label: DRF's metaclass takes it out of the class attributes; mypy sees a clash.
    label = StrictBigIntegerField(min_value=1, required=False)  # type: ignore[assignment]
    category = StrictBigIntegerField(min_value=1, required=False)
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    comment = StrictCharField(required=False, allow_blank=True, max_length=REMARK_MAX_LENGTH)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        extra = sorted((set(attrs) & PARAMETERS) - ACTION_PARAMETERS[attrs["action"]])
        if extra:
            raise DomainValidationError(
                f"These fields do not apply to {attrs['action']}: {', '.join(extra)}.", field=extra[0], code="invalid"
            )
        return attrs


class BulkResultSerializer(serializers.Serializer):
    """One id's outcome: `status` ok, or error with the `code` and `detail` the ticket's own request would have
    answered (`not_found` for an id the caller cannot see, exactly as for one that does not exist)."""

    id = serializers.IntegerField(source="ticket_id")
    status = serializers.ChoiceField(choices=[("ok", "ok"), ("error", "error")])
    code = serializers.CharField(required=False)
    detail = serializers.CharField(required=False)

    def to_representation(self, instance: BulkResult) -> dict[str, Any]:
        if instance.ok:
            return {"id": instance.ticket_id, "status": "ok"}
        return {"id": instance.ticket_id, "status": "error", "code": instance.code, "detail": instance.detail}


class BulkResponseSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)


class TicketBulkView(APIView):
    """Apply one action to many tickets."""

    @extend_schema(request=BulkRequestSerializer, responses={200: BulkResponseSerializer}, operation_id="tickets_bulk")
    def post(self, request: Request) -> Response:
        """Each ticket goes through the same service and permission check as alone, in its own transaction: a refusal
        of one (403 permission_denied, 409 invalid_transition or ticket_final, ...) is that ticket's result and the
        others go on. A body that cannot be applied at all (more than 500 ids, an unknown action, a missing or bad
        parameter) is a 400 and changes nothing. One timeline event per changed ticket."""
        body = BulkRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        params = dict(body.validated_data)
        ids, action = params.pop("ids"), params.pop("action")
        results = bulk_apply(actor=actor(request), ticket_ids=ids, action=action, params=params)
        return Response({"results": BulkResultSerializer(results, many=True).data}, status=status.HTTP_200_OK)
