"""Demo data for a newcomer: an admin, roles and classification. Idempotent."""

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from tickets.models import Category, Label

DEMO_PASSWORD = "demo-pass-2026"


class Command(BaseCommand):
    help = "Create (or refresh) the demo organisation. Safe to run repeatedly."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
        for role in ("requesters", "agents", "approvers", "managers", "auditors"):
            Group.objects.get_or_create(name=role)
        for name in ("Hardware", "Software", "Access", "Facilities"):
            if not Category.objects.filter(name=name).exists():
                category = Category(name=name)
                category.stamp(admin, created=True)
                category.save()
        for name, color in (("bug", "#d62728"), ("question", "#1f77b4"), ("vip", "#9467bd")):
            if not Label.objects.filter(name=name).exists():
                label = Label(name=name, color=color)
                label.stamp(admin, created=True)
                label.save()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Admin login: admin / {DEMO_PASSWORD}"))
