"""Structured logs: one JSON object per line, whatever the message holds, tagged with the id of the request it came from.

Wired in settings.LOGGING; the request id is set by `ticketsite.middleware.RequestIdMiddleware`.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# The id of the request being served by this thread or task (None outside a request: commands, workers, startup).
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (attached to the handler, so records of every logger get it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """Serialises the record with `json.dumps`, so quotes, newlines and control characters in a message (a Host header,
    a user's input) cannot break the line; an exception travels as a `traceback` field, not as extra lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
