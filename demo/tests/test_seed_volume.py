"""seed_volume's fast path on PostgreSQL (COPY, indexes and foreign keys built after the load) writes what bulk_create
would, and leaves the schema as it found it; and the benchmark's user kinds exist after a load."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from demo.management.commands.seed_volume import LOADED_MODELS, _copy
from notifications import services as notification_services
from notifications.models import Channel, Notification, NotificationEvent
from tests.factories import UserFactory
from tickets.models import EventType, Ticket, TicketNote, TicketStatus, TicketVisibility
from tickets.timeline import created_details, event_note

pytestmark = pytest.mark.django_db


def run(**options) -> str:
    out = StringIO()
    call_command("seed_volume", stdout=out, **options)
    return out.getvalue()


def test_seed_volume_creates_an_auditor_and_a_superuser_for_the_benchmark():
    out = run(tickets=20, batch_size=20)

    auditor, admin = User.objects.get(username="bench-auditor"), User.objects.get(username="bench-admin")
    assert auditor.has_perm("tickets.view_all_tickets") and not auditor.is_superuser
    assert admin.is_superuser
    assert "bench-auditor, bench-admin" in out
    run(tickets=5)  # a second load finds them
    assert User.objects.filter(username__in=["bench-auditor", "bench-admin"]).count() == 2


def _values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


def test_copy_writes_the_values_bulk_create_would(postgres_only):
    user = UserFactory()
    at = timezone.now()
    ticket = Ticket(
        id=900_001,
        key="TCK-900001",
        title="Copied",
        description="Tabs\tand\nnew lines, a backslash \\ and quotes ' \"",
        status=TicketStatus.IN_PROGRESS,
        visibility=TicketVisibility.RESTRICTED,
        custom_fields={"asset": "LT-1", "nested": {"n": 1, "none": None}},
        created_by_id=user.pk,
        updated_by_id=user.pk,
        created_at=at,
        updated_at=at,
    )
    note = event_note(ticket=ticket, event_type=EventType.CREATED, details=created_details(ticket))
    note.pk, note.created_by_id, note.created_at, note.updated_at = 900_002, user.pk, at, at
    event = notification_services.Event(NotificationEvent.STATUS_CHANGED, ticket, None, "Changed.")
    notification = notification_services.notification_row(event=event, recipient_id=user.pk, channels={Channel.IN_APP})
    notification.pk, notification.created_at, notification.updated_at = 900_003, at, at

    _copy(Ticket, [ticket])
    _copy(TicketNote, [note])
    _copy(Notification, [notification])
    _copy(Ticket.categories.through, [])  # nothing to write: no statement

    assert _values(Ticket.objects.get(pk=ticket.pk)) == _values(ticket)
    assert _values(TicketNote.objects.get(pk=note.pk)) == _values(note)
    assert _values(Notification.objects.get(pk=notification.pk)) == _values(notification)


def _schema() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    tables = [model._meta.db_table for model in LOADED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND schemaname = current_schema() ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1",
            [tables],
        )
        return indexes, cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_rebuilds_every_index_and_foreign_key_it_set_aside(postgres_only):
    before = _schema()

    run(tickets=60, batch_size=20, jobs=2)

    assert _schema() == before
    assert len(before[0]) > 40 and len(before[1]) > 40  # the tables' indexes and constraints, foreign keys among them
    assert TicketNote.objects.filter(event_type=EventType.CREATED).count() == 60
