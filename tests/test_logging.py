"""Logs (docs/operations.md "Logs"): one valid JSON object per line whatever the message, tracebacks as a field, and the
request id on every line written while a request is served."""

import io
import json
import logging
import sys
from collections.abc import Callable, Iterator

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_entries() -> Iterator[Callable[[], list[dict]]]:
    """log_entries() -> what the configured console handler (settings.LOGGING) wrote so far, each line parsed as JSON."""
    handler = logging.getHandlerByName("console")
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(previous)


def format_with_console_handler(record: logging.LogRecord) -> dict:
    handler = logging.getHandlerByName("console")
    handler.filter(record)
    return json.loads(handler.format(record))


def make_record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("tests.logging", logging.WARNING, __file__, 1, message, args, exc_info)


def test_a_message_with_quotes_newlines_and_unicode_is_one_valid_json_object():
    message = 'Invalid host "evil\\"host"\nsecond line\ttab \x00 \u00e9\u4e2d\U0001f600'

    line = logging.getHandlerByName("console").format(make_record("%s", message))

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == message
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "tests.logging"


def test_an_exception_travels_as_a_traceback_field():
    try:
        raise ValueError('bad "value"')
    except ValueError:
        record = make_record("it failed", exc_info=sys.exc_info())

    entry = format_with_console_handler(record)

    assert entry["message"] == "it failed"
    assert "Traceback (most recent call last)" in entry["traceback"]
    assert 'ValueError: bad "value"' in entry["traceback"]


def test_outside_a_request_the_request_id_is_null():
    entry = format_with_console_handler(make_record("from a command"))

    assert entry["request_id"] is None


def test_every_line_of_a_request_carries_its_request_id_which_the_response_echoes(client, log_entries, monkeypatch):
    from ticketsite import directory

    original = directory.MeView.get

    def logging_get(self, request, *args, **kwargs):
        logging.getLogger("ticketsite.directory").warning("serving %s", request.user.username)
        logging.getLogger("some.library").error("another logger, same request")
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(directory.MeView, "get", logging_get)
    client.force_login(UserFactory(username="alice"))

    response = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="req-42.abc")
    generated = client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-42.abc"
    assert generated["X-Request-ID"] not in ("", "req-42.abc")
    served = [entry for entry in log_entries() if entry["logger"] in ("ticketsite.directory", "some.library")]
    assert [entry["request_id"] for entry in served] == ["req-42.abc"] * 2 + [generated["X-Request-ID"]] * 2


@pytest.mark.parametrize("bad_id", ['a"b', "has space", "x" * 129, "line\nbreak"])
def test_a_request_id_that_is_not_a_plain_token_is_replaced(client, bad_id):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=bad_id)

    assert response["X-Request-ID"] != bad_id
    assert len(response["X-Request-ID"]) == 32


def test_a_disallowed_host_with_quotes_is_logged_as_valid_json(client, log_entries):
    response = client.get("/api/v1/me/", HTTP_HOST='evil"host', HTTP_X_REQUEST_ID="host-probe")

    assert response.status_code == 400
    disallowed = [entry for entry in log_entries() if entry["logger"] == "django.security.DisallowedHost"]
    assert len(disallowed) == 1
    assert 'evil"host' in disallowed[0]["message"]
    assert disallowed[0]["request_id"] == "host-probe"
