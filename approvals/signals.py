"""Domain signals of the approval engine, sent by approvals.services inside their transaction (keyword arguments).

All carry `ticket`, `process` and `actor` (None when the system acts).
"""

from django.dispatch import Signal

# ticket, process, actor
approval_started = Signal()
# ticket, process, step, actor, slots (list of the step's approver slots)
# (step just became active; its approvers are to be asked)
approval_step_started = Signal()
# ticket, process, step, slot, actor, on_behalf_of (or None), comment, via ("" or "email")  (an approve decision)
approval_given = Signal()
# ticket, process, step, slot, actor, on_behalf_of (or None), comment, via  (a reject decision; the process is rejected)
approval_rejected = Signal()
# ticket, process, actor  (last step approved; the ticket goes to open)
approval_completed = Signal()
# ticket, process, actor, reason  (reason: "withdrawn" or "deleted")
approval_cancelled = Signal()
