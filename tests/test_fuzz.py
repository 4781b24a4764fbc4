"""API fuzzing: schemathesis drives every operation of our own OpenAPI schema in-process (WSGI), as an ordinary user
and as an admin. Zero 5xx, responses conform to the schema (status codes, bodies, content types), errors in the one
error shape (the schema documents it for every status)."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.config import SchemathesisConfig

from tests.factories import AdminFactory, UserFactory
from tickets.tests.factories import CategoryFactory, LabelFactory
from ticketsite.wsgi import application

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
# Logout blacklists whatever refresh token it is given; fuzzing it is covered by the auth tests.
EXCLUDED_PATHS = ["/api/v1/auth/logout/"]


# Schema-valid requests may still name a row that does not exist or is not the caller's (an id in a body), or break a
# business rule (a window that ends before it starts): a 400 or 409 there is the API working, not a finding. Every other
# check keeps its defaults, among them that schema-violating requests are refused.
FUZZ_CONFIG = SchemathesisConfig.from_str(
    """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409"]
"""
)

# Loaded at collection: generating the schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=FUZZ_CONFIG).exclude(
    path=EXCLUDED_PATHS
)


@pytest.fixture
def fuzz_data(db, keep_db_connection_across_requests):
    CategoryFactory.create_batch(2)
    LabelFactory.create_batch(2)


@pytest.fixture
def keep_db_connection_across_requests():
    """Django's test client keeps the test's connection open across requests; the WSGI client schemathesis drives does
    not, so the request signals would close the connection that holds the test transaction (PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def bearer_for(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


# The caller of an operation's examples is made once for the operation: a user and a signed token per example took a
# fifth of the fuzzing's time.
@pytest.fixture
def ordinary_user_bearer(db) -> dict[str, str]:
    return bearer_for(UserFactory(username="fuzz-user"))


@pytest.fixture
def admin_bearer(db) -> dict[str, str]:
    return bearer_for(AdminFactory(username="fuzz-admin"))


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_ordinary_user(case, fuzz_data, ordinary_user_bearer):
    case.call_and_validate(headers=ordinary_user_bearer)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_admin(case, fuzz_data, admin_bearer):
    case.call_and_validate(headers=admin_bearer)
