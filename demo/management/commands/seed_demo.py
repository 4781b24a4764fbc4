"""The demo organisation for a newcomer (SPEC §11): people in every role, classification, templates with custom fields,
approval flows, notification rules, and tickets in every status with real timelines. Idempotent.

Everything goes through the services (ticket_create, ticket_transition, approval_decide, grant_create, ...), so the
timelines, approval snapshots and notifications are exactly what the product would have produced. Each ticket story
is keyed by its title: a story whose ticket exists is skipped, so a second run changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from approvals.models import ApprovalTemplate, ApprovalType, Delegation
from approvals.selectors import actionable_slots
from approvals.services import approval_decide, approval_template_create, delegation_create
from notifications.models import EmailStatus, Notification, NotificationRule
from notifications.services import rule_create
from permissions.services import access_request_approve, access_request_create, access_request_deny, grant_create
from savedviews.services import builtin_views_ensure
from sla.models import BusinessCalendar, SlaPolicy
from sla.services.configuration import calendar_create, policy_create
from tickets.models import Category, Label, Ticket, TicketStatus, TicketTemplate, TicketVisibility
from tickets.services.classification import category_create, label_create
from tickets.services.templates import template_create
from tickets.services.tickets import comment_create, ticket_create, ticket_transition, ticket_update

DEMO_PASSWORD = "demo-pass-2026"

# Tasks enqueued while seeding go nowhere: with a database task backend, a worker would otherwise send the demo's
# e-mails later, whatever mailer (EMAIL_URL) this command runs with.
DISCARD_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}

# role name -> global permissions its members hold
ROLES: dict[str, list[str]] = {
    "requesters": [],
    "agents": ["tickets.work_on_ticket"],
    "approvers": [],
    "managers": ["permissions.manage_ticket_permissions"],
    "auditors": ["tickets.view_all_tickets"],
}

# username -> (first name, last name, role)
PEOPLE: dict[str, tuple[str, str, str]] = {
    "alice": ("Alice", "Archer", "requesters"),
    "bob": ("Bob", "Baker", "requesters"),
    "carol": ("Carol", "Cruz", "agents"),
    "dave": ("Dave", "Dunn", "agents"),
    "erin": ("Erin", "Evans", "approvers"),
    "frank": ("Frank", "Fischer", "approvers"),
    "grace": ("Grace", "Green", "managers"),
    "heidi": ("Heidi", "Hall", "managers"),
    "ivan": ("Ivan", "Ivanov", "auditors"),
    "judy": ("Judy", "Jones", "requesters"),
}

# One login per persona, as bin/run prints them; each lands on a useful first page of the workspace.
PERSONAS: dict[str, str] = {
    "alice": "requester: her requests, a new request from the catalogue",
    "erin": "approver: requests awaiting her approval",
    "dave": "agent, and proxy for frank (on holiday): queues, and frank's approvals",
    "carol": "agent: the queues, assign to herself, work a ticket to resolved",
    "grace": "manager: grants access to restricted tickets, decides access requests",
    "ivan": "auditor: sees every ticket, read-only",
    "admin": "administrator: everything, and the back office at /admin/",
}

CATEGORIES: list[tuple[str, str, str | None]] = [
    ("Hardware", "Laptops, monitors, printers and peripherals.", None),
    ("Laptops", "Laptop purchases and repairs.", "Hardware"),
    ("Printers", "Printers and scanners.", "Hardware"),
    ("Software", "Installed applications and licences.", None),
    ("Access", "Accounts, groups and permissions on systems.", None),
    ("Network", "VPN, Wi-Fi and connectivity.", None),
    ("Facilities", "Offices, furniture and building services.", None),
]

LABELS: list[tuple[str, str, str]] = [
    ("bug", "#d62728", "Something is broken."),
    ("question", "#1f77b4", "A question rather than a fault."),
    ("vip", "#9467bd", "Requested by or for an executive."),
    ("security", "#ff7f0e", "Has security impact."),
    ("onboarding", "#2ca02c", "Part of a new hire's onboarding."),
]

MANAGER_SIGN_OFF = "Manager sign-off"
ACCESS_REVIEW = "Access review"

LAPTOP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "model": {"type": "string", "enum": ["13-inch standard", "14-inch developer", "16-inch workstation"]},
        "for_new_hire": {"type": "boolean"},
        "needed_by": {"type": "string", "format": "date"},
        "justification": {"type": "string", "minLength": 10},
    },
    "required": ["model", "justification"],
    "additionalProperties": False,
}
ACCESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "system": {"type": "string", "minLength": 2},
        "access_level": {"type": "string", "enum": ["read", "write", "admin"]},
        "until": {"type": "string", "format": "date"},
    },
    "required": ["system", "access_level"],
    "additionalProperties": False,
}
INCIDENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "affected_users": {"type": "integer", "minimum": 1},
        "steps_to_reproduce": {"type": "string"},
        "environment": {"type": "string", "enum": ["office", "remote", "both"]},
    },
    "required": ["affected_users"],
    "additionalProperties": False,
}


@dataclass
class Org:
    """What the stories need: people, roles, classification and templates by name."""

    admin: User
    users: dict[str, User] = field(default_factory=dict)
    roles: dict[str, Group] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    templates: dict[str, TicketTemplate] = field(default_factory=dict)

    def __getitem__(self, username: str) -> User:
        return self.users[username]


class Command(BaseCommand):
    help = "Create the demo organisation (people, roles, templates, approval flows, tickets in every status). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--send-email",
            action="store_true",
            help="Let the demo's notifications send e-mail through the task backend and the mailer of EMAIL_URL "
            "(default: e-mails are discarded: no task is queued and the notifications' e-mails are marked skipped).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's people have example.com addresses: their notification e-mails go nowhere unless asked for.
        discard = not options["send_email"]
        # The immediate task backend logs every e-mail task at INFO; the demo's output is the list of logins.
        tasks_logger = logging.getLogger("django.tasks")
        level = tasks_logger.level
        tasks_logger.setLevel(logging.WARNING)
        try:
            # The e-mail tasks are enqueued when the transaction commits, so the override must enclose the commit.
            with override_settings(**({"TASKS": DISCARD_TASKS} if discard else {})), transaction.atomic():
                last_notification_id = Notification.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                builtin_views_ensure()  # the queues (a database flushed by tests has lost the migration's rows)
                org = self._organisation()
                created = self._stories(org)
                if discard:
                    _mark_emails_skipped(after_id=last_notification_id)
        finally:
            tasks_logger.setLevel(level)
        self._report(org, created)

    # --- the organisation ----------------------------------------------------------------------------------------

    def _organisation(self) -> Org:
        # One hash for every demo user (same password): hashing a dozen times would take seconds.
        password = make_password(DEMO_PASSWORD)
        admin, _ = User.objects.get_or_create(
            username="admin",
            defaults={
                "email": "admin@example.com",
                "is_staff": True,
                "is_superuser": True,
                "first_name": "Ada",
                "password": password,
            },
        )
        org = Org(admin=admin)
        for role_name, perms in ROLES.items():
            role, _ = Group.objects.get_or_create(name=role_name)
            wanted = [_permission(dotted) for dotted in perms]
            missing = [perm for perm in wanted if not role.permissions.filter(pk=perm.pk).exists()]
            if missing:
                role.permissions.add(*missing)
            org.roles[role_name] = role
        for username, (first, last, role_name) in PEOPLE.items():
            defaults = {"email": f"{username}@example.com", "first_name": first, "last_name": last, "password": password}
            user, created = User.objects.get_or_create(username=username, defaults=defaults)
            if created:
                user.groups.add(org.roles[role_name])
            org.users[username] = user
        self._classification(org)
        self._approval_templates(org)
        self._ticket_templates(org)
        self._service_levels(org)
        self._notification_rules(org)
        self._delegations(org)
        return org

    def _classification(self, org: Org) -> None:
        for name, description, parent in CATEGORIES:
            category = Category.objects.filter(name__iexact=name).first()
            if category is None:
                parent_obj = org.categories[parent] if parent else None
                category = category_create(actor=org.admin, name=name, description=description, parent=parent_obj)
            org.categories[name] = category
        for name, color, description in LABELS:
            label = Label.objects.filter(name__iexact=name).first()
            if label is None:
                label = label_create(actor=org.admin, name=name, color=color, description=description)
            org.labels[name] = label

    def _approval_templates(self, org: Org) -> None:
        if not ApprovalTemplate.objects.filter(name__iexact=MANAGER_SIGN_OFF).exists():
            # One step, type "any": one manager (role slot) approves.
            approval_template_create(
                actor=org.admin,
                name=MANAGER_SIGN_OFF,
                description="Any one manager approves the purchase.",
                steps=[
                    {
                        "name": "Manager approval",
                        "order": 1,
                        "approval_type": ApprovalType.ANY,
                        "approvers": [{"role": org.roles["managers"]}],
                    }
                ],
            )
        if not ApprovalTemplate.objects.filter(name__iexact=ACCESS_REVIEW).exists():
            # Two steps: both security approvers (type "all"), then any manager (type "any", a role slot).
            approval_template_create(
                actor=org.admin,
                name=ACCESS_REVIEW,
                description="Security reviews the access, then a manager signs off.",
                steps=[
                    {
                        "name": "Security review",
                        "order": 1,
                        "approval_type": ApprovalType.ALL,
                        "approvers": [{"user": org["erin"]}, {"user": org["frank"]}],
                    },
                    {
                        "name": "Manager sign-off",
                        "order": 2,
                        "approval_type": ApprovalType.ANY,
                        "approvers": [{"role": org.roles["managers"]}],
                    },
                ],
            )

    def _ticket_templates(self, org: Org) -> None:
        specs: list[dict[str, Any]] = [
            {
                "name": "Laptop request",
                "description": "A new or replacement laptop; a manager approves.",
                "default_title": "Laptop request",
                "default_priority": "medium",
                "approval_template": ApprovalTemplate.objects.get(name=MANAGER_SIGN_OFF),
                "custom_fields_schema": LAPTOP_SCHEMA,
                "categories": [org.categories["Laptops"]],
                "labels": [],
            },
            {
                "name": "Access request",
                "description": "Access to a business system; security and a manager approve. Restricted by default.",
                "default_title": "Access request",
                "default_priority": "high",
                "default_visibility": TicketVisibility.RESTRICTED,
                "approval_template": ApprovalTemplate.objects.get(name=ACCESS_REVIEW),
                "custom_fields_schema": ACCESS_SCHEMA,
                "categories": [org.categories["Access"]],
                "labels": [org.labels["security"]],
            },
            {
                "name": "Incident",
                "description": "Something is broken; no approval needed.",
                "default_description": "What happened, and since when?",
                "default_priority": "high",
                "custom_fields_schema": INCIDENT_SCHEMA,
                "categories": [],
                "labels": [org.labels["bug"]],
            },
        ]
        for spec in specs:
            template = TicketTemplate.objects.filter(name__iexact=spec["name"]).first()
            if template is None:
                template = template_create(actor=org.admin, **spec)
            org.templates[spec["name"]] = template

    def _notification_rules(self, org: Org) -> None:
        # The default rule set comes from a migration; the demo adds role-based and conditional ones.
        rules: list[dict[str, Any]] = [
            {
                "name": "Agents: urgent or high ticket created",
                "event_type": "ticket_created",
                "conditions": {"priorities": ["high", "urgent"]},
                "roles": [org.roles["agents"]],
                "channels": ["in_app", "email"],
            },
            {
                "name": "Managers: access tickets changed status",
                "event_type": "status_changed",
                "conditions": {"categories": [org.categories["Access"].pk]},
                "roles": [org.roles["managers"]],
                "channels": ["in_app"],
            },
            {
                "name": "Agents: service level breached",
                "event_type": "sla_breached",
                "roles": [org.roles["agents"]],
                "channels": ["in_app"],
            },
            {
                "name": "Auditor: approvals rejected",
                "event_type": "approval_rejected",
                "users": [org["ivan"]],
                "channels": ["in_app"],
            },
        ]
        for spec in rules:
            if not NotificationRule.objects.filter(name=spec["name"]).exists():
                rule_create(actor=org.admin, data=spec)

    def _service_levels(self, org: Org) -> None:
        # Made before the stories, so every demo ticket gets its clock when it leaves draft, as it would in use.
        if not BusinessCalendar.objects.filter(name="Office hours").exists():
            hours = [{"weekday": day, "start": time(9), "end": time(18)} for day in range(5)]
            calendar_create(actor=org.admin, name="Office hours", hours=hours, is_default=True)
        policies: list[dict[str, Any]] = [
            {"name": "Urgent and high", "order": 10, "priorities": ["urgent", "high"]}
            | {"first_response_minutes": 30, "resolution_minutes": 4 * 60},
            {"name": "Standard", "order": 100, "first_response_minutes": 4 * 60, "resolution_minutes": 3 * 9 * 60},
        ]
        for spec in policies:
            if not SlaPolicy.objects.filter(name=spec["name"]).exists():
                policy_create(actor=org.admin, **spec)

    def _delegations(self, org: Org) -> None:
        # Frank is on holiday: Dave decides Frank's approval slots for two weeks (shown as "on behalf of frank").
        if not Delegation.objects.filter(delegator=org["frank"], delegate=org["dave"]).exists():
            now = timezone.now()
            delegation_create(
                actor=org["frank"],
                delegate=org["dave"],
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=14),
                reason="Holiday",
            )

    # --- tickets: one story per status ---------------------------------------------------------------------------

    def _stories(self, org: Org) -> int:
        stories: list[tuple[str, Callable[[Org, str], None]]] = [
            ("Ergonomic chair for the new office", story_draft),
            ("Old CRT monitor disposal", story_cancelled),
            ("Printer on floor 3 jams constantly", story_open),
            ("VPN drops every hour", story_in_progress),
            ("E-mail signature not updated", story_resolved),
            ("Shared drive quota exceeded", story_closed),
            ("Laptop for the new developer", story_waiting_one_step),
            ("Replacement laptop with broken hinge", story_approved_then_worked),
            ("Second laptop for home office", story_rejected),
            ("Conference travel laptop", story_withdrawn),
            ("Production database access", story_waiting_step_one_partial),
            ("Payroll system read access", story_waiting_step_two),
            ("Finance share write access", story_access_granted_with_requests),
            ("Suspicious e-mail with payroll attachment", story_restricted_incident),
            ("CRM sandbox write access", story_waiting_for_security),
        ]
        created = 0
        for title, story in stories:
            if Ticket.all_objects.filter(title=title).exists():
                continue
            story(org, title)
            created += 1
        return created

    def _report(self, org: Org, created: int) -> None:
        counts = _status_counts()
        self.stdout.write(f"Demo tickets created this run: {created}. Tickets by status: {counts}")
        self.stdout.write(f"Sign in to the workspace as one of these (password for all: {DEMO_PASSWORD}):")
        for username, persona in PERSONAS.items():
            self.stdout.write(f"  {username:<6} {persona}")
        for username, (_, _, role_name) in PEOPLE.items():
            if username not in PERSONAS:
                self.stdout.write(f"  {username:<6} also in {role_name}")
        self.stdout.write("The API takes the same logins at POST /api/v1/auth/token/.")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Back office: /admin/ as admin / {DEMO_PASSWORD}"))


def _mark_emails_skipped(*, after_id: int) -> None:
    """The e-mails this run's notifications asked for will never be sent: say so instead of leaving them pending."""
    Notification.objects.filter(pk__gt=after_id, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.SKIPPED, updated_at=timezone.now()
    )


def _status_counts() -> dict[str, int]:
    return {status.value: Ticket.objects.filter(status=status).count() for status in TicketStatus}


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


# --- story helpers ---------------------------------------------------------------------------------------------------


def _move(ticket: Ticket, actor: User, *statuses: str, comment: str = "") -> None:
    for status in statuses:
        ticket_transition(ticket=ticket, actor=actor, to_status=status, comment=comment)


def _decide(ticket: Ticket, actor: User, *, approve: bool = True, comment: str = "") -> None:
    """`actor` decides the slot of the active step they may act on (directly, through a role, or as a delegate)."""
    slot = actionable_slots(actor).filter(ticket=ticket).order_by("id").first()
    if slot is None:
        raise RuntimeError(f"{actor.username} has nothing to decide on {ticket.key}")
    approval_decide(slot=slot, actor=actor, approve=approve, comment=comment)


def _laptop(org: Org, title: str, who: str, model: str, justification: str) -> Ticket:
    return ticket_create(
        actor=org[who],
        title=title,
        description=justification,
        template=org.templates["Laptop request"],
        custom_fields={"model": model, "justification": justification},
    )


def _access(org: Org, title: str, who: str, system: str, level: str) -> Ticket:
    return ticket_create(
        actor=org[who],
        title=title,
        description=f"I need {level} access to {system} for my work.",
        template=org.templates["Access request"],
        custom_fields={"system": system, "access_level": level},
    )


def _incident(org: Org, title: str, who: str, description: str, affected: int, **extra: Any) -> Ticket:
    return ticket_create(
        actor=org[who],
        title=title,
        description=description,
        template=org.templates["Incident"],
        custom_fields={"affected_users": affected, "environment": "office"},
        **extra,
    )


# --- the stories -----------------------------------------------------------------------------------------------------


def story_draft(org: Org, title: str) -> None:
    ticket_create(
        actor=org["alice"],
        title=title,
        description="Our team moves to building B next month; I need a chair with lumbar support.",
        priority="low",
        categories=[org.categories["Facilities"]],
    )


def story_cancelled(org: Org, title: str) -> None:
    ticket = ticket_create(actor=org["bob"], title=title, description="Please take away the old monitor.", priority="low")
    _move(ticket, org["bob"], "cancelled", comment="Facilities already collected it.")


def story_open(org: Org, title: str) -> None:
    ticket = _incident(org, title, "bob", "Every tenth page jams in tray 2.", 25, categories=[org.categories["Printers"]])
    _move(ticket, org["bob"], "open")
    comment_create(ticket=ticket, actor=org["carol"], note="Thanks, I will have a look this afternoon.")


def story_in_progress(org: Org, title: str) -> None:
    ticket = _incident(org, title, "alice", "The VPN client disconnects every hour on the hour.", 3)
    _move(ticket, org["alice"], "open")
    ticket_update(ticket=ticket, actor=org["carol"], data={"assignee": org["carol"], "priority": "urgent"})
    ticket_update(ticket=ticket, actor=org["carol"], data={"categories": [org.categories["Network"].pk]})
    _move(ticket, org["carol"], "in_progress", comment="Reproduced; looks like the session timeout.")
    comment_create(ticket=ticket, actor=org["alice"], note="It also happens on the office Wi-Fi.")


def story_resolved(org: Org, title: str) -> None:
    ticket = ticket_create(
        actor=org["bob"],
        title=title,
        description="My new job title is not in my signature.",
        categories=[org.categories["Software"]],
        labels=[org.labels["question"]],
    )
    _move(ticket, org["bob"], "open")
    ticket_update(ticket=ticket, actor=org["dave"], data={"assignee": org["dave"]})
    _move(ticket, org["dave"], "in_progress")
    _move(ticket, org["dave"], "resolved", comment="Signature template regenerated from the directory.")


def story_closed(org: Org, title: str) -> None:
    ticket = ticket_create(
        actor=org["alice"], title=title, description="The team share is full.", categories=[org.categories["Software"]]
    )
    _move(ticket, org["alice"], "open")
    ticket_update(ticket=ticket, actor=org["carol"], data={"assignee": org["carol"]})
    _move(ticket, org["carol"], "in_progress")
    _move(ticket, org["carol"], "resolved", comment="Quota raised to 500 GB.")
    _move(ticket, org["alice"], "closed", comment="Works, thank you.")


def story_waiting_one_step(org: Org, title: str) -> None:
    ticket = _laptop(org, title, "bob", "14-inch developer", "A developer joins the team on Monday.")
    ticket_update(ticket=ticket, actor=org["bob"], data={"labels": [org.labels["onboarding"].pk]})
    _move(ticket, org["bob"], "waiting_approval")  # grace or heidi (managers, a role slot) may approve


def story_approved_then_worked(org: Org, title: str) -> None:
    ticket = _laptop(org, title, "alice", "13-inch standard", "The hinge broke; the screen no longer stays up.")
    _move(ticket, org["alice"], "waiting_approval")
    _decide(ticket, org["grace"], comment="Approved, within budget.")  # the process completes: the ticket opens
    ticket.refresh_from_db()
    ticket_update(ticket=ticket, actor=org["carol"], data={"assignee": org["carol"]})
    _move(ticket, org["carol"], "in_progress", comment="Ordered, delivery on Thursday.")


def story_rejected(org: Org, title: str) -> None:
    ticket = _laptop(org, title, "bob", "16-inch workstation", "I would like a second laptop to keep at home.")
    _move(ticket, org["bob"], "waiting_approval")
    _decide(ticket, org["heidi"], approve=False, comment="One laptop per person; take the one you have home.")


def story_withdrawn(org: Org, title: str) -> None:
    ticket = _laptop(org, title, "alice", "13-inch standard", "A light laptop for the conference in May.")
    _move(ticket, org["alice"], "waiting_approval")
    _move(ticket, org["alice"], "draft", comment="The conference moved online; withdrawing for now.")


def story_waiting_step_one_partial(org: Org, title: str) -> None:
    ticket = _access(org, title, "alice", "orders-db (production)", "read")
    _move(ticket, org["alice"], "waiting_approval")
    _decide(ticket, org["erin"], comment="Read-only is fine.")  # step 1 is "all": frank (or dave for him) still to act


def story_waiting_step_two(org: Org, title: str) -> None:
    ticket = _access(org, title, "bob", "payroll", "read")
    _move(ticket, org["bob"], "waiting_approval")
    _decide(ticket, org["erin"])
    _decide(ticket, org["dave"], comment="Approved for Frank while he is away.")  # as frank's delegate
    # Step 2 ("any" manager) is now active: grace or heidi may act.


def story_waiting_for_security(org: Org, title: str) -> None:
    ticket = _access(org, title, "judy", "CRM sandbox", "write")
    _move(ticket, org["judy"], "waiting_approval")  # step 1 waits on erin and on frank (dave acts for him)


def story_access_granted_with_requests(org: Org, title: str) -> None:
    ticket = _access(org, title, "alice", "finance share", "write")
    _move(ticket, org["alice"], "waiting_approval")
    _decide(ticket, org["erin"])
    _decide(ticket, org["frank"])
    _decide(ticket, org["grace"], comment="OK until the end of the quarter.")
    ticket.refresh_from_db()
    grant_create(ticket=ticket, actor=org["alice"], user=org["carol"])  # the agent who will set it up
    ticket_update(ticket=ticket, actor=org["carol"], data={"assignee": org["carol"]})
    # Bob and Judy cannot see this restricted ticket; they ask. Alice denies Judy's and leaves Bob's pending.
    access_request_create(ticket=ticket, requester=org["bob"], reason="I cover for Alice during her leave.")
    denied = access_request_create(ticket=ticket, requester=org["judy"], reason="Curious about the finance setup.")
    access_request_deny(access_request=denied, actor=org["alice"], comment="Not needed for your work.")


def story_restricted_incident(org: Org, title: str) -> None:
    ticket = _incident(
        org,
        title,
        "carol",
        "Several people received an e-mail with a fake payroll attachment.",
        12,
        visibility=TicketVisibility.RESTRICTED,
        priority="urgent",
        labels=[org.labels["security"], org.labels["bug"]],
    )
    _move(ticket, org["carol"], "open")
    grant_create(ticket=ticket, actor=org["carol"], role=org.roles["managers"])
    request = access_request_create(ticket=ticket, requester=org["bob"], reason="I received that e-mail too.")
    access_request_approve(access_request=request, actor=org["carol"], comment="Yes, please add what you saw.")
    comment_create(ticket=ticket, actor=org["bob"], note="Mine came from payroll-notice@ at 09:12.")
    _move(ticket, org["carol"], "in_progress")
