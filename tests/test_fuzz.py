"""API fuzzing: schemathesis drives every operation of our own OpenAPI schema in-process (WSGI), as an ordinary user
and as an admin. Zero 5xx, responses conform to the schema (status codes, bodies, content types), errors in the one
error shape (the schema documents it for every status)."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import AdminFactory, UserFactory
from ticketsite.wsgi import application
from tickets.tests.factories import CategoryFactory, LabelFactory

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
# Logout blacklists whatever refresh token it is given; fuzzing it is covered by the auth tests.
EXCLUDED_PATHS = ["/api/v1/auth/logout/"]


# Loaded at collection: generating the schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).exclude(path=EXCLUDED_PATHS)


@pytest.fixture
def fuzz_data(db):
    CategoryFactory.create_batch(2)
    LabelFactory.create_batch(2)


def bearer_for(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


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
def test_api_as_ordinary_user(case, fuzz_data):
    user = UserFactory(username="fuzz-user")
    case.call_and_validate(headers=bearer_for(user))


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_admin(case, fuzz_data):
    admin = AdminFactory(username="fuzz-admin")
    case.call_and_validate(headers=bearer_for(admin))
