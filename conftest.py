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
