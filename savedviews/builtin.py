"""The built-in views: the workspace's queues (docs/workspace/queues.md). Each is the ticket list API's parameters
("me" is the viewer) and its sort. The data migration creates them; `services.builtin_views_ensure` creates any that is
missing (a test database flushed between tests, the demo). Admins holding manage_saved_views may change them; they are
never recreated over a change."""

DESK = "desk"  # people who work the desk (agents, and holders of view_all_tickets)
EVERYONE = "everyone"

BUILTIN_VIEWS = [
    {
        "slug": "unassigned",
        "name": "Unassigned",
        "description": "Open and in-progress tickets nobody works on yet: the most urgent and oldest first.",
        "filters": {"status": ["open", "in_progress"], "assigned": ["false"]},
        "ordering": ["-priority", "created_at"],
        "visibility": DESK,
    },
    {
        "slug": "assigned-to-me",
        "name": "Assigned to me",
        "description": "Tickets assigned to you that are not resolved yet, waiting for approval included.",
        "filters": {"assignee": ["me"], "status": ["waiting_approval", "open", "in_progress"]},
        "ordering": ["-updated_at"],
        "visibility": DESK,
    },
    {
        "slug": "open",
        "name": "Open",
        "description": "Approved or submitted tickets nobody has started.",
        "filters": {"status": ["open"]},
        "ordering": ["-updated_at"],
        "visibility": DESK,
    },
    {
        "slug": "in-progress",
        "name": "In progress",
        "description": "Tickets being worked on.",
        "filters": {"status": ["in_progress"]},
        "ordering": ["-updated_at"],
        "visibility": DESK,
    },
    {
        "slug": "waiting-approval",
        "name": "Waiting for approval",
        "description": "Submitted tickets whose approval is still running.",
        "filters": {"status": ["waiting_approval"]},
        "ordering": ["-updated_at"],
        "visibility": DESK,
    },
    {
        "slug": "at-risk",
        "name": "At risk",
        "description": (
            "Open and in-progress tickets whose service level is nearly used up or breached: the soonest resolution first."
        ),
        "filters": {"sla_status": ["warning", "breached"], "status": ["open", "in_progress"]},
        "ordering": ["resolution_due_at"],
        "visibility": DESK,
    },
    {
        "slug": "all",
        "name": "All I can see",
        "description": "Every ticket you may see, in any status.",
        "filters": {},
        "ordering": ["-updated_at"],
        "visibility": EVERYONE,
    },
]
