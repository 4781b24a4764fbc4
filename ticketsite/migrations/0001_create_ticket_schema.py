from django.db import migrations


def create_schema(apps, schema_editor):
    # PostgreSQL only: the connection's search_path is "ticket,public", so every table created after this lands in it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SCHEMA IF NOT EXISTS ticket")


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    # Runs before any table exists, so that every table of this project is created in schema "ticket".
    run_before = [("contenttypes", "0001_initial"), ("auth", "0001_initial"), ("axes", "0001_initial")]

    operations = [migrations.RunPython(create_schema, migrations.RunPython.noop, elidable=False)]
