"""Domain signals of the permissions app, sent by permissions.services inside their transaction (keyword arguments)."""

from django.dispatch import Signal

# ticket, grant (TicketViewPermission), actor
permission_granted = Signal()
# ticket, grant, actor
permission_revoked = Signal()
# ticket, access_request, actor (the requester)
access_requested = Signal()
# ticket, access_request, actor (the decider), grant (the requester's grant when approved, else None);
# access_request.status tells approved/denied
access_decided = Signal()
