"""`{% access_panel ticket %}`: "Who has access" on the ticket page (workspace.views.access builds what it shows)."""

from __future__ import annotations

from typing import Any

from django import template

from tickets.models import Ticket
from workspace.views.access import PANEL, panel_context

register = template.Library()


@register.inclusion_tag(PANEL, takes_context=True)
def access_panel(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """For the viewer of the page (request.user), who sees `ticket`; the CSRF token is carried over by inclusion_tag."""
    return panel_context(context["request"], ticket)
