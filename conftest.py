"""Fixtures shared by every app's tests: users and authenticated API clients."""

import os

import pytest
from django.db import connection
from rest_framework.test import APIClient


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker stores uploads in its own MEDIA_ROOT (.test-media/gw0, ...), so no worker's test
    sees, counts or purges another's files. (pytest-django gives each worker its own test database the same way.)"""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        from django.conf import settings

        settings.MEDIA_ROOT = settings.MEDIA_ROOT / worker


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """For `--dist loadgroup` (bin/test): a module's tests run on one worker, so a module-scoped world is built once,
    except tests on a transactional database. Those flush every table (the rows data migrations made, such as the
    default notification rules, included), so each is its own unit and, as pytest-django orders them, runs after every
    test that needs those rows, as in a single process."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    for item in items:
        if not is_transactional(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


def is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    flagged = marker is not None and bool(marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    return flagged or "transactional_db" in fixtures or "live_server" in fixtures


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """client_for(user) -> an APIClient authenticated as that user (force_authenticate: no token round-trip)."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks / schemas); run with DATABASE_URL=postgres://...")
