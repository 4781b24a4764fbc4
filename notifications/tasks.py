"""Background tasks (Django's Tasks framework). Tasks only call services."""

from __future__ import annotations

from django.tasks import task

from notifications import services


@task()
def send_notification_emails(notification_ids: list[int], attempt: int = 1, digest: bool = False) -> dict[str, int]:
    """Send the e-mails of a batch of notifications (with `digest`, one mail per recipient of several); failed sends
    re-enqueue this task with attempt + 1."""
    return services.send_notification_emails(notification_ids=notification_ids, attempt=attempt, digest=digest)
