"""SPEC §2 on PostgreSQL: every table of the project's own apps, many-to-many tables included, lives in schema `ticket`
(and nowhere else), and the connection resolves unqualified names there first."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

PROJECT_APPS = (
    "ticketsite",
    "tickets",
    "approvals",
    "permissions",
    "notifications",
    "sla",
    "mailgate",
    "savedviews",
    "reports",
)
# SPEC §2's table names, which the project's models must use.
SPEC_TABLES = {
    "tickets", "categories", "labels", "ticket_templates", "ticket_categories", "ticket_labels",
    "ticket_template_categories", "ticket_template_labels", "approval_templates", "approval_template_steps",
    "approval_template_step_approvers", "approval_processes", "approval_process_steps",
    "approval_process_step_approvers", "ticket_notes", "ticket_view_permissions", "attachments", "notification_rules",
    "notification_rule_users", "notification_rule_roles",
}  # fmt: skip


def project_tables() -> set[str]:
    tables = set()
    for app_label in PROJECT_APPS:
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables.add(model._meta.db_table)
    return tables


def test_models_use_the_spec_table_names():
    assert project_tables() >= SPEC_TABLES


def test_every_project_table_is_in_schema_ticket(postgres_only):
    tables = project_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name = ANY(%s)", [sorted(tables)]
        )
        placed = cursor.fetchall()
        cursor.execute("SHOW search_path")
        [search_path] = cursor.fetchone()

    assert sorted(name for _, name in placed) == sorted(tables)  # each exists, exactly once
    assert {schema for schema, _ in placed} == {"ticket"}
    assert search_path.replace(" ", "").split(",")[0] == "ticket"
