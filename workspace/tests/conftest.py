"""Fixtures of the workspace's page tests: a browser-like client signed in as someone, and the leak-hunt world."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.clients import signed_in_client
from workspace.tests.leak import world  # noqa: F401  (the module-scoped leak-hunt world, for test_leak_* modules)


@pytest.fixture
def page_for() -> Callable[[Any], Client]:
    """page_for(user) -> a Django test client with a session signed in as that user (None: signed out)."""

    def make(user: Any) -> Client:
        return Client() if user is None else signed_in_client(user)

    return make
