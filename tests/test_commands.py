"""The operator's commands: seed_demo (idempotent, every status), seed_volume (bulk load), autoclose_resolved."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.models import ApprovalProcess, ProcessStatus
from notifications.models import EmailStatus, Notification, NotificationEvent, NotificationRule
from permissions.models import AccessRequest, TicketViewPermission
from tests.factories import UserFactory
from tickets.models import EventType, Ticket, TicketNote, TicketStatus, TicketVisibility
from tickets.services.tickets import ticket_create
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    models = (User, Ticket, TicketNote, TicketViewPermission, AccessRequest, ApprovalProcess, Notification, NotificationRule)
    return {model.__name__: model.objects.count() for model in models}


# --- seed_demo -----------------------------------------------------------------------------------------------------


def test_seed_demo_builds_every_status_and_a_second_run_changes_nothing():
    first = run("seed_demo")
    after_first = snapshot()

    second = run("seed_demo")

    assert snapshot() == after_first
    assert "Demo data ready" in first and "Demo data ready" in second
    assert "Demo tickets created this run: 0" in second
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == set(TicketStatus.values)


def test_seed_demo_prints_every_login_and_the_logins_work():
    out = run("seed_demo")

    users = User.objects.filter(is_active=True)
    assert users.count() >= 10
    for user in users:
        assert f"{user.username} " in out
        assert user.check_password("demo-pass-2026")
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="carol").has_perm("tickets.work_on_ticket")
    assert User.objects.get(username="ivan").has_perm("tickets.view_all_tickets")


def test_seed_demo_goes_through_the_services_so_timelines_are_real():
    run("seed_demo")

    closed = Ticket.objects.get(status=TicketStatus.CLOSED)
    steps = list(
        TicketNote.objects.filter(ticket=closed, event_type=EventType.STATUS_CHANGE)
        .order_by("created_at", "id")
        .values_list("event_details__to", flat=True)
    )
    assert steps == ["open", "in_progress", "resolved", "closed"]
    assert TicketNote.objects.filter(event_type=EventType.CREATED).count() == Ticket.objects.count()
    assert (
        ApprovalProcess.objects.filter(status=ProcessStatus.RUNNING).count()
        == Ticket.objects.filter(status=TicketStatus.WAITING_APPROVAL).count()
    )
    assert ApprovalProcess.objects.filter(status=ProcessStatus.APPROVED).exists()
    assert ApprovalProcess.objects.filter(status=ProcessStatus.REJECTED).exists()
    assert ApprovalProcess.objects.filter(status=ProcessStatus.CANCELLED).exists()
    assert TicketNote.objects.filter(event_type=EventType.APPROVAL_GIVEN, event_details__on_behalf_of__isnull=False).exists()
    assert TicketViewPermission.objects.filter(user__isnull=False).exists()
    assert TicketViewPermission.objects.filter(role__isnull=False).exists()
    assert set(AccessRequest.objects.values_list("status", flat=True)) == {"pending", "approved", "denied"}
    assert Ticket.objects.filter(visibility=TicketVisibility.RESTRICTED).exists()
    assert TicketNote.objects.filter(system=False).exists()


@pytest.mark.django_db(transaction=True)  # the command commits, as when an operator runs it: e-mails queue on commit
def test_seed_demo_gives_each_ticket_that_left_draft_its_service_level():
    run("seed_demo")

    under_way = Ticket.objects.filter(status__in=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS])
    assert under_way.exists()
    assert not under_way.filter(sla_policy__isnull=True).exists()
    assert set(under_way.values_list("sla_status", flat=True)) <= {"ok", "warning", "breached", "met"}
    assert Ticket.objects.get(title="Ergonomic chair for the new office").sla_policy is None  # never left draft
    urgent = Ticket.objects.filter(priority__in=["urgent", "high"], sla_policy__isnull=False)
    assert set(urgent.values_list("sla_policy__name", flat=True)) == {"Urgent and high"}
    assert TicketNote.objects.filter(event_type=EventType.SLA_POLICY_CHANGE).count() == (
        Ticket.objects.filter(sla_policy__isnull=False).count()
    )


def test_seed_demo_discards_the_demo_emails_even_with_a_database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    run("seed_demo")

    assert DBTaskResult.objects.count() == 0
    assert mail.outbox == []
    assert not Notification.objects.filter(email_status=EmailStatus.PENDING).exists()
    assert Notification.objects.filter(email_status=EmailStatus.SKIPPED).exists()  # e-mails were asked for, not sent


# --- create_database -----------------------------------------------------------------------------------------------


def test_create_database_creates_a_missing_postgresql_database_and_then_leaves_it(postgres_only):
    params = connection.get_connection_params()
    name = f"{params['dbname']}_created"
    credentials = params.get("user", "") + (f":{params['password']}" if params.get("password") else "")
    url = f"postgres://{credentials}@{params.get('host', '')}:{params.get('port', 5432)}/{name}"
    command = [sys.executable, "manage.py", "create_database"]
    root = Path(__file__).resolve().parent.parent
    env = os.environ | {"DATABASE_URL": url}
    server = psycopg.connect(**(params | {"dbname": "postgres"}), autocommit=True)
    try:
        first = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=60, check=True)
        second = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=60, check=True)

        assert server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        assert f"Created database {name}" in first.stdout
        assert f"Database {name} exists" in second.stdout
    finally:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.close()


# --- seed_volume ---------------------------------------------------------------------------------------------------


def test_seed_volume_loads_a_realistic_mix_in_batches():
    out = run("seed_volume", tickets=120, batch_size=50, seed=7)

    assert "120/120 tickets" in out
    tickets = Ticket.objects.all()
    assert tickets.count() == 120
    assert all(ticket.key == f"TCK-{ticket.pk}" for ticket in tickets)
    assert tickets.filter(visibility=TicketVisibility.RESTRICTED).count() in range(15, 65)
    assert len(set(tickets.values_list("status", flat=True))) >= 6
    assert TicketViewPermission.objects.exists()
    assert Ticket.categories.through.objects.exists()
    assert TicketNote.objects.filter(event_type=EventType.CREATED).count() == 120
    assert ApprovalProcess.objects.filter(status=ProcessStatus.RUNNING).exists()
    assert ApprovalProcess.objects.exclude(status=ProcessStatus.RUNNING).exists()
    assert User.objects.filter(username__in=["bench-requester", "bench-agent", "bench-approver"]).count() == 3
    assert User.objects.get(username="bench-agent").has_perm("tickets.work_on_ticket")


def test_seed_volume_leaves_the_id_sequences_ready_for_new_tickets():
    run("seed_volume", tickets=30, batch_size=30)
    run("seed_volume", tickets=10)  # a second load appends

    ticket = ticket_create(actor=UserFactory(), title="After the bulk load")

    assert Ticket.objects.count() == 41
    assert ticket.key == f"TCK-{ticket.pk}"
    assert ticket.pk > Ticket.objects.exclude(pk=ticket.pk).order_by("-pk").values_list("pk", flat=True)[0]


def _event_shapes(notes) -> dict[str, set[frozenset[str]]]:
    shapes: dict[str, set[frozenset[str]]] = {}
    for event_type, details in notes.filter(system=True).values_list("event_type", "event_details"):
        shapes.setdefault(event_type, set()).add(frozenset(details))
    return shapes


def test_seed_volume_writes_each_timeline_event_in_the_shape_the_services_write_it():
    run("seed_demo")  # through the services: the events are what the receivers record
    lived_tickets = list(Ticket.all_objects.values_list("pk", flat=True))
    run("seed_volume", tickets=400, batch_size=400, seed=3)

    lived = _event_shapes(TicketNote.all_objects.filter(ticket_id__in=lived_tickets))
    loaded = _event_shapes(TicketNote.all_objects.exclude(ticket_id__in=lived_tickets))
    assert set(loaded) >= {EventType.CREATED, EventType.STATUS_CHANGE, EventType.APPROVAL_STEP_STARTED}
    for event_type, shapes in loaded.items():
        assert event_type in lived, f"{event_type} is loaded but the demo never lives it"
        assert shapes <= lived[event_type], event_type
    # The loaded in-app notifications read like the status changes the receivers announce.
    status_message = re.compile(r".+ changed the status from [a-z_]+ to [a-z_]+\.")
    notifications = Notification.objects.exclude(ticket_id__in=lived_tickets)
    assert notifications.exists()
    assert all(status_message.fullmatch(message) for message in notifications.values_list("message", flat=True))
    lived_status = Notification.objects.filter(ticket_id__in=lived_tickets, event_type=NotificationEvent.STATUS_CHANGED)
    assert lived_status.exists()
    assert all(status_message.fullmatch(message) for message in lived_status.values_list("message", flat=True))


@pytest.mark.django_db(transaction=True)
def test_seed_volume_parallel_loaders_on_postgresql(postgres_only):
    out = run("seed_volume", tickets=60, batch_size=20, jobs=2)

    assert "with 2 loader(s)" in out
    keys = list(Ticket.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == 60
    assert TicketNote.objects.filter(event_type=EventType.CREATED).count() == 60
    ticket = ticket_create(actor=UserFactory(), title="After the parallel load")
    assert ticket.key == f"TCK-{ticket.pk}"


# --- autoclose_resolved --------------------------------------------------------------------------------------------


def resolved_ticket(days_ago: float) -> Ticket:
    return TicketFactory(status=TicketStatus.RESOLVED, resolved_at=timezone.now() - timedelta(days=days_ago))


def test_autoclose_closes_only_tickets_resolved_longer_than_n_days_as_the_system():
    old = resolved_ticket(10)
    recent = resolved_ticket(2)
    in_progress = TicketFactory(status=TicketStatus.IN_PROGRESS)

    out = run("autoclose_resolved", days=7)

    old.refresh_from_db()
    recent.refresh_from_db()
    in_progress.refresh_from_db()
    assert "Closed 1 ticket(s)" in out
    assert old.status == TicketStatus.CLOSED and old.closed_at is not None
    assert recent.status == TicketStatus.RESOLVED
    assert in_progress.status == TicketStatus.IN_PROGRESS
    event = TicketNote.objects.get(ticket=old, event_type=EventType.STATUS_CHANGE)
    assert event.system is True
    assert event.created_by is None
    assert event.event_details["from"] == "resolved" and event.event_details["to"] == "closed"
    assert not TicketNote.objects.filter(ticket=recent).exists()


def test_autoclose_dry_run_changes_nothing():
    old = resolved_ticket(30)

    out = run("autoclose_resolved", days=7, dry_run=True)

    old.refresh_from_db()
    assert "1 resolved ticket(s) would be closed" in out
    assert old.status == TicketStatus.RESOLVED
    assert not TicketNote.objects.filter(ticket=old).exists()


def test_autoclose_is_idempotent():
    old = resolved_ticket(10)
    run("autoclose_resolved", days=7)

    out = run("autoclose_resolved", days=7)

    assert "Closed 0 ticket(s)" in out
    assert TicketNote.objects.filter(ticket=old, event_type=EventType.STATUS_CHANGE).count() == 1
