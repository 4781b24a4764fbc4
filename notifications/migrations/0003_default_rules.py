"""The default notification rule set (SPEC §8). Admins edit or deactivate these rules; they are never recreated."""

from django.db import migrations

BOTH = ["in_app", "email"]
IN_APP = ["in_app"]

DEFAULT_RULES = [
    {"name": "Approvers: approval requested", "event_type": "approval_requested", "notify_approvers": True, "channels": BOTH},
    {"name": "Creator: status changed", "event_type": "status_changed", "notify_creator": True, "channels": BOTH},
    {"name": "Creator: approval completed", "event_type": "approval_completed", "notify_creator": True, "channels": BOTH},
    {"name": "Creator: approval rejected", "event_type": "approval_rejected", "notify_creator": True, "channels": BOTH},
    {"name": "Assignee: ticket assigned", "event_type": "ticket_assigned", "notify_assignee": True, "channels": BOTH},
    {
        "name": "Creator and assignee: comment added",
        "event_type": "comment_added",
        "notify_creator": True,
        "notify_assignee": True,
        "channels": IN_APP,
    },
    {
        "name": "Grant managers: access requested",
        "event_type": "access_requested",
        "notify_creator": True,
        "notify_assignee": True,
        "channels": BOTH,
    },
    {"name": "Requester: access decided", "event_type": "access_decided", "notify_requester": True, "channels": BOTH},
]


def create_default_rules(apps, schema_editor):
    NotificationRule = apps.get_model("notifications", "NotificationRule")
    for spec in DEFAULT_RULES:
        if not NotificationRule.objects.filter(name=spec["name"]).exists():
            NotificationRule.objects.create(**spec)


def remove_default_rules(apps, schema_editor):
    NotificationRule = apps.get_model("notifications", "NotificationRule")
    NotificationRule.objects.filter(name__in=[spec["name"] for spec in DEFAULT_RULES], created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_delivery_tracking_and_requester")]

    operations = [migrations.RunPython(create_default_rules, remove_default_rules)]
