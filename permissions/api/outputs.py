"""Output serializers of the permissions API."""

from rest_framework import serializers

from permissions.models import AccessRequest, TicketViewPermission


class GrantSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketViewPermission
        fields = ["id", "ticket", "user", "role", "created_by", "created_at"]
        read_only_fields = fields


class AccessRequestSerializer(serializers.ModelSerializer):
    """The request and its decision; deliberately nothing of the ticket but its id (the requester cannot see it)."""

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "ticket",
            "requester",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_comment",
            "created_at",
        ]
        read_only_fields = fields
