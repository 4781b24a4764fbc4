"""The number of alive tickets per visibility, kept exact by the database (permissions.selectors.visible_ticket_count).

A derived cache, not a domain record: no audit fields, no soft delete, no model (the selectors read it with one SQL
statement). Triggers on `tickets` maintain it, so every write path keeps it exact: services, bulk_create and update(),
the admin, a raw UPDATE, soft delete and restore (`is_deleted`), a hard DELETE, and a table flush. It is initialised
from the existing rows in the same transaction that creates the triggers (creating a trigger locks out writers until
commit, so no row is missed or counted twice).

- PostgreSQL: statement-level triggers with transition tables (one counter update per statement and visibility, not one
  per row: a bulk insert of a million tickets adds to each counter once), plus TRUNCATE, which fires no row trigger.
  Counter rows are written in the order of their key, so two writers never wait for each other crosswise.
- SQLite: row triggers (SQLite writes one transaction at a time; a flush is a DELETE, which fires them).

On SQLite, a later migration that makes Django rebuild `tickets` (copy into a new table, drop the old one) drops these
triggers with the old table; permissions/tests/test_visibility_counts.py fails then, and that migration must create them
again (TRIGGERS["sqlite"]).
"""

from django.db import migrations

TABLE = "ticket_visibility_counts"

CREATE_TABLE = {
    "postgresql": f"CREATE TABLE {TABLE} (visibility varchar(16) PRIMARY KEY, alive bigint NOT NULL)",
    "sqlite": f"CREATE TABLE {TABLE} (visibility varchar(16) NOT NULL PRIMARY KEY, alive integer NOT NULL)",
}

# Each statement adds the alive rows it wrote and subtracts the alive rows it replaced, per visibility.
_SHIFT = f"""
        INSERT INTO {TABLE} AS counts (visibility, alive)
        SELECT visibility, sum(alive) FROM (
            {{rows}}
        ) AS moved GROUP BY visibility HAVING sum(alive) <> 0 ORDER BY visibility
        ON CONFLICT (visibility) DO UPDATE SET alive = counts.alive + excluded.alive;"""
_ADDED = "SELECT visibility, 1 AS alive FROM new_rows WHERE NOT is_deleted"
_REMOVED = "SELECT visibility, -1 AS alive FROM old_rows WHERE NOT is_deleted"

_POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION {TABLE}_shift() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM {TABLE};
    ELSIF TG_OP = 'INSERT' THEN{_SHIFT.format(rows=_ADDED)}
    ELSIF TG_OP = 'DELETE' THEN{_SHIFT.format(rows=_REMOVED)}
    ELSE{_SHIFT.format(rows=f"{_ADDED} UNION ALL {_REMOVED}")}
    END IF;
    RETURN NULL;
END
$$"""

_SQLITE_ADD = f"""
    INSERT OR IGNORE INTO {TABLE} (visibility, alive) VALUES (NEW.visibility, 0);
    UPDATE {TABLE} SET alive = alive + 1 WHERE visibility = NEW.visibility AND NOT NEW.is_deleted;"""
_SQLITE_REMOVE = f"""
    UPDATE {TABLE} SET alive = alive - 1 WHERE visibility = OLD.visibility AND NOT OLD.is_deleted;"""

TRIGGERS = {
    "postgresql": [
        _POSTGRESQL_FUNCTION,
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON tickets REFERENCING NEW TABLE AS new_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_shift()",
        f"CREATE TRIGGER {TABLE}_update AFTER UPDATE ON tickets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_shift()",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON tickets REFERENCING OLD TABLE AS old_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_shift()",
        f"CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON tickets FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_shift()",
    ],
    "sqlite": [
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON tickets BEGIN{_SQLITE_ADD}\nEND",
        f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF visibility, is_deleted ON tickets"
        f" WHEN OLD.visibility IS NOT NEW.visibility OR OLD.is_deleted IS NOT NEW.is_deleted"
        f" BEGIN{_SQLITE_REMOVE}{_SQLITE_ADD}\nEND",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON tickets BEGIN{_SQLITE_REMOVE}\nEND",
    ],
}

INITIALISE = (
    f"INSERT INTO {TABLE} (visibility, alive) SELECT visibility, count(*) FROM tickets WHERE NOT is_deleted GROUP BY visibility"
)

DROP = {
    "postgresql": [f"DROP TABLE {TABLE}", f"DROP FUNCTION {TABLE}_shift() CASCADE"],
    "sqlite": [f"DROP TABLE {TABLE}", *(f"DROP TRIGGER {TABLE}_{event}" for event in ("insert", "update", "delete"))],
}


def create_counts(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [CREATE_TABLE[vendor], *TRIGGERS[vendor], INITIALISE]:
        schema_editor.execute(statement, params=None)


def drop_counts(apps, schema_editor):
    for statement in DROP[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("permissions", "0003_admin_names"),
        ("tickets", "0006_search_documents"),
    ]

    operations = [migrations.RunPython(create_counts, drop_counts)]
