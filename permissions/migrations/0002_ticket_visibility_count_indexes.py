"""Partial indexes for counting the tickets a user may see (permissions.selectors.VisibleTicketQuerySet.count_unfiltered).

The count runs in two parts, internal and not internal tickets, each an index-only scan of one of these: the first
needs no visibility check at all, the second carries the columns the rule reads on a restricted ticket. PostgreSQL only
(INCLUDE columns); on SQLite the count is the same, just without these indexes. Not in Ticket.Meta.indexes: they serve
one query shape of the permissions app, and RunPython keeps makemigrations clean.
"""

from django.db import migrations

INDEXES = {
    "tickets_alive_internal_idx": "ON tickets (id) WHERE NOT is_deleted AND visibility = 'internal'",
    "tickets_alive_restricted_idx": (
        "ON tickets (id) INCLUDE (visibility, created_by_id, assignee_id) WHERE NOT is_deleted AND visibility <> 'internal'"
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
        ("permissions", "0001_initial"),
        ("tickets", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
