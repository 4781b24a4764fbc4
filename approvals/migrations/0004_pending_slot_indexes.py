"""Partial indexes for `?mine=pending` (approvals.selectors.pending_slots), each holding only what can still be decided.

The eligibility rule's branches start from the pending slots the caller (or whoever lends them their rights) fills,
then check each one's process (running), step (active) and ticket (waiting for approval, not the caller's own):
- the pending slots by user and by role: the full (user, ticket) and (role, ticket) indexes also hold every decided
  slot, so that first step grew with the history of a person's or a role's approvals;
- the running processes, active steps and tickets waiting for approval by id (the ticket with its creator): each check
  is an index-only probe of a small index instead of a read of the row (at 100k tickets, the ~700 slots of the bench
  approver took 33 ms of execution without them, 13 ms with them, at load 10).

PostgreSQL only; on SQLite the list is the same, just without them. Not in the models' Meta.indexes: they serve one
query shape, and RunPython keeps makemigrations clean (as permissions/migrations/0002).
"""

from django.db import migrations

INDEXES = {
    "approval_slots_pending_user_idx": (
        "ON approval_process_step_approvers (user_id) WHERE status = 'pending' AND NOT is_deleted AND user_id IS NOT NULL"
    ),
    "approval_slots_pending_role_idx": (
        "ON approval_process_step_approvers (role_id) WHERE status = 'pending' AND NOT is_deleted AND role_id IS NOT NULL"
    ),
    "approval_processes_running_idx": "ON approval_processes (id) WHERE status = 'running' AND NOT is_deleted",
    "approval_steps_active_idx": "ON approval_process_steps (id) WHERE status = 'active'",
    "tickets_waiting_approval_idx": (
        "ON tickets (id) INCLUDE (created_by_id) WHERE status = 'waiting_approval' AND NOT is_deleted"
    ),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0003_admin_names"),
        ("tickets", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
