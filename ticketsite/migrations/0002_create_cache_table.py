from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    # The table of every database cache in CACHES (the default one holds the throttle counters), so that `migrate`
    # alone prepares a fresh database. Idempotent; run `manage.py createcachetable` after switching CACHE_URL to a
    # database cache later.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("ticketsite", "0001_create_ticket_schema")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=False)]
