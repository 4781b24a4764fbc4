"""Fixtures shared by every app's tests: users and authenticated API clients."""

import gc
import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from _pytest.runner import runtestprotocol
from django.db import connection
from rest_framework.test import APIClient


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker stores uploads in its own MEDIA_ROOT (.test-media/gw0, ...), so no worker's test
    sees, counts or purges another's files. (pytest-django gives each worker its own test database the same way.)

    The tests allocate millions of short-lived objects (querysets, model instances, requests): with Python's default
    thresholds the cyclic garbage collector ran every 700 allocations and took a tenth of the suite's time; every
    10,000 it takes half as much, for a few more megabytes held between collections."""
    gc.set_threshold(10_000, 10, 10)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        from django.conf import settings

        settings.MEDIA_ROOT = settings.MEDIA_ROOT / worker


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test gets a node id of its own: pytest-xdist keys its work by node id, so of tests sharing one it runs a
    single one (silently). Schemathesis names each fuzzed operation's test after the operation but, under pytest 9.2,
    gives them all their test function's node id: they get the operation in it.

    Under xdist (bin/test) each test is its own unit of work, handed out in collection order, as pytest-django orders
    it: tests on a transactional database last. Their table flush removes the rows data migrations made (such as the
    default notification rules), so on every worker they run after each test that needs those rows, as in a single
    process. (xdist's `xdist_group` marker cannot group tests under pytest 9.2, which ignores the node id it rewrites;
    grouping is not needed either: a module-scoped world is built once per worker, in a fraction of a second.)"""
    for item in items:
        operation = getattr(item, "operation_label", None)
        if isinstance(item, pytest.Function) and item.parent is not None and operation is not None:
            item._id = item.parent.id.child(item.originalname).with_params(operation)  # type: ignore[attr-defined]
    shared = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1)
    if shared:
        raise pytest.UsageError(f"tests share a node id (pytest-xdist would run one of each): {shared}")


# A function whose frame holds 7,200 local variables (57 KiB), none of them ever set: see pytest_runtest_protocol.
_namespace: dict[str, Any] = {}
exec(  # fixed source: no one writes 7,200 names by hand
    "def in_a_large_frame(call):\n    if False:\n        "
    + " = ".join(f"_{index}" for index in range(7200))
    + " = None\n    return call()\n",
    _namespace,
)
in_a_large_frame: Callable[[Callable[[], object]], object] = _namespace["in_a_large_frame"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool:
    """pytest's own protocol (_pytest.runner.pytest_runtest_protocol), run beneath one large frame.

    CPython 3.12 keeps frames in 16 KiB chunks, maps a chunk when a call needs a new one and unmaps it when the call at
    its start returns: calls going back and forth across a chunk's end (the ORM's compilers, the middleware) mapped and
    unmapped one each time, 400,000 times in the leak hunt and the authorization matrix alone, a tenth of the suite's
    time spent in the kernel. A frame larger than a chunk gets a chunk of its own, 128 KiB (CPython doubles the size
    until it fits), and the test's frames fit in the rest of it."""
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    in_a_large_frame(lambda: runtestprotocol(item, nextitem=nextitem))
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(scope="session")
def openapi_document(django_db_setup, django_db_blocker) -> bytes:
    """The public OpenAPI document as GET /api/schema/?format=json serves it (the same to everyone: SERVE_PUBLIC), built
    once per test process instead of once per test that reads it (a second and a half each)."""
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content[:500]
    return response.content


@pytest.fixture
def openapi_schema(openapi_document: bytes) -> dict:
    """The public OpenAPI document, parsed: a copy of its own for each test."""
    return json.loads(openapi_document)


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
