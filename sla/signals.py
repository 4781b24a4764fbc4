"""Domain signals of service levels, sent by sla.services inside their transaction (keyword arguments).

All carry `ticket` and `actor` (None: the system, e.g. `sla_tick`).
"""

from django.dispatch import Signal

# ticket, actor, old_policy (or None), new_policy (or None): the policy a ticket runs against was set or changed
sla_policy_changed = Signal()
# ticket, actor, policy, target ("first_response" or "resolution"), due_at: a share of the target is used up
sla_warning = Signal()
# ticket, actor, policy, target, due_at: the target's due time passed before it was met
sla_breached = Signal()
