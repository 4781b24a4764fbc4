"""Shared setup of the notification tests."""

from typing import Any

import pytest

from notifications.models import NotificationRule
from notifications.tests.smtp_server import smtp_server  # noqa: F401 (a fixture, for every test module here)


@pytest.fixture
def no_default_rules(db: Any) -> None:
    """Switch the migration's default rules off, so each test states the rules it relies on."""
    NotificationRule.objects.update(is_active=False)
