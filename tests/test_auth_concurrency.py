"""Two concurrent refreshes of one refresh token: exactly one succeeds (PostgreSQL row lock)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_cannot_both_succeed(postgres_only):
    UserFactory(username="racer")
    refresh = APIClient().post("/api/v1/auth/token/", {"username": "racer", "password": "pass-12345"}).json()["refresh"]
    threads_count = 4
    barrier = threading.Barrier(threads_count)
    statuses: list[int] = []

    def refresh_once() -> None:
        try:
            barrier.wait()
            statuses.append(APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_once) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [401] * (threads_count - 1)
