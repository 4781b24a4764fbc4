"""JSON parsing with limits: deeply nested, NUL-bearing or out-of-range JSON is a 400 before any serializer sees it.

Oversized bodies never get here: Django raises RequestDataTooBig (DATA_UPLOAD_MAX_MEMORY_SIZE), which the exception
handler answers with 413.
"""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ticketsite.validators import JSON_MAX_DEPTH, json_problem

# Bodies may nest a little deeper than stored JSON values, which are checked again by their fields.
BODY_MAX_DEPTH = JSON_MAX_DEPTH + 2


class LimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The decoder recurses once per level, so a body nested thousands deep fails inside it, before our check.
            raise ParseError(f"JSON nested deeper than {BODY_MAX_DEPTH} levels.") from None
        problem = json_problem(data, max_depth=BODY_MAX_DEPTH)
        if problem:
            raise ParseError(problem)
        return data
