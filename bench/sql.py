"""Raw SQL of the benchmark (PostgreSQL, search_path ticket,public): the floor's ticket page, and id sampling.

VISIBLE restates SPEC §7's rule for one user (internal, creator, assignee, user or role grant, approver slot by user
or role) without delegations, which the benchmark users do not have. It mirrors permissions.selectors.visible_tickets,
including its shape (a UNION of index-friendly branches; an OR inside one sub-select would scan every grant and slot,
which made this "floor" slower than the product at 100k tickets).
"""

VISIBLE = """
t.is_deleted = false AND (
    t.visibility = 'internal' OR t.created_by_id = %(user)s OR t.assignee_id = %(user)s
    OR t.id IN (
        SELECT g.ticket_id FROM ticket_view_permissions g WHERE g.is_deleted = false AND g.user_id = %(user)s
        UNION
        SELECT g.ticket_id FROM ticket_view_permissions g
        WHERE g.is_deleted = false AND g.role_id IN (SELECT ug.group_id FROM auth_user_groups ug WHERE ug.user_id = %(user)s)
        UNION
        SELECT s.ticket_id FROM approval_process_step_approvers s WHERE s.is_deleted = false AND s.user_id = %(user)s
        UNION
        SELECT s.ticket_id FROM approval_process_step_approvers s
        WHERE s.is_deleted = false AND s.role_id IN (SELECT ug.group_id FROM auth_user_groups ug WHERE ug.user_id = %(user)s)
    )
)
"""


def _ticket_page(visible: str) -> str:
    """One statement: the total (scalar sub-selects, evaluated once; counted in two parts, internal and not, as the
    product does, so that each is an index-only scan of a partial index) and the page with its category and label ids."""
    return f"""
SELECT (SELECT count(*) FROM tickets t WHERE {visible} AND t.visibility = 'internal')
       + (SELECT count(*) FROM tickets t WHERE {visible} AND t.visibility <> 'internal') AS total,
       p.id, p.key, p.title, p.description, p.status, p.priority, p.visibility, p.template_id AS template,
       p.approval_template_id AS approval_template, p.custom_fields, p.assignee_id AS assignee, p.due_at,
       ARRAY(SELECT c.category_id FROM ticket_categories c WHERE c.ticket_id = p.id ORDER BY c.category_id) AS categories,
       ARRAY(SELECT l.label_id FROM ticket_labels l WHERE l.ticket_id = p.id ORDER BY l.label_id) AS labels,
       p.created_by_id AS created_by, p.created_at, p.updated_by_id AS updated_by, p.updated_at,
       p.resolved_at, p.closed_at
FROM (
    SELECT * FROM tickets t WHERE {visible}
    ORDER BY t.created_at DESC, t.id DESC LIMIT %(limit)s OFFSET %(offset)s
) p
ORDER BY p.created_at DESC, p.id DESC
"""


# The page as an ordinary user sees it (%(user)s), and as one who sees every ticket (auditor, superuser).
TICKET_PAGE = _ticket_page(VISIBLE)
TICKET_PAGE_ALL = _ticket_page("t.is_deleted = false")

SAMPLE_VISIBLE_TICKETS = f"SELECT t.id FROM tickets t WHERE {VISIBLE} ORDER BY random() LIMIT %(limit)s"

AGENT_TICKETS_IN_PROGRESS = """
SELECT t.id FROM tickets t
WHERE t.is_deleted = false AND t.assignee_id = %(user)s AND t.status = 'in_progress'
ORDER BY t.id LIMIT %(limit)s
"""

# Slots the approver may decide now through a role (the benchmark approver has no user slots and no delegations).
_PENDING_ROLE_SLOTS = """
FROM approval_process_step_approvers s
JOIN approval_process_steps st ON st.id = s.step_id
JOIN approval_processes p ON p.id = s.process_id
JOIN tickets t ON t.id = s.ticket_id
WHERE s.is_deleted = false AND s.status = 'pending' AND st.status = 'active' AND p.status = 'running'
  AND p.is_deleted = false AND t.status = 'waiting_approval' AND t.is_deleted = false
  AND t.created_by_id <> %(user)s
  AND s.role_id IN (SELECT ug.group_id FROM auth_user_groups ug WHERE ug.user_id = %(user)s)
"""
PENDING_ROLE_SLOTS = f"SELECT s.id {_PENDING_ROLE_SLOTS} ORDER BY s.id LIMIT %(limit)s"

# Of those, the slots whose approval completes the process: its only step, which one approval completes.
COMPLETING_ROLE_SLOTS = f"""
SELECT s.id {_PENDING_ROLE_SLOTS}
  AND st.approval_type = 'any'
  AND NOT EXISTS (SELECT 1 FROM approval_process_steps o WHERE o.process_id = s.process_id AND o.id <> st.id)
ORDER BY s.id LIMIT %(limit)s
"""
