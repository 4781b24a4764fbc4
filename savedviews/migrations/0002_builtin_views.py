"""The built-in views (savedviews/builtin.py): the workspace's queues, until now a tuple in workspace/queues.py."""

from django.db import migrations

# The specs as the app defines them now: a fresh database gets today's built-in views.
from savedviews.builtin import BUILTIN_VIEWS


def create_builtin_views(apps, schema_editor):
    # A historical model's `objects` is a plain manager: it sees softly deleted rows too.
    SavedView = apps.get_model("savedviews", "SavedView")
    for position, spec in enumerate(BUILTIN_VIEWS):
        if not SavedView.objects.filter(is_builtin=True, slug=spec["slug"]).exists():
            SavedView.objects.create(is_builtin=True, position=position, **spec)


def remove_builtin_views(apps, schema_editor):
    SavedView = apps.get_model("savedviews", "SavedView")
    SavedView.objects.filter(is_builtin=True, slug__in=[spec["slug"] for spec in BUILTIN_VIEWS]).delete()


class Migration(migrations.Migration):
    dependencies = [("savedviews", "0001_saved_views")]

    operations = [migrations.RunPython(create_builtin_views, remove_builtin_views)]
