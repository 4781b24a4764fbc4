"""Filters of the permissions API: allow-listed fields only, so no parameter becomes an oracle for hidden data."""

import django_filters

from permissions.models import AccessRequest, AccessRequestStatus
from ticketsite.filters import IdFilter


class AccessRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AccessRequestStatus.choices)
    # A plain number, not a model choice: validating the id against all tickets would tell hidden ones apart.
    ticket = IdFilter(field_name="ticket_id")

    class Meta:
        model = AccessRequest
        fields = ["status", "ticket"]
