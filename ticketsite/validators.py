"""Guards for JSON values stored in JSON columns (custom fields, schemas, rule conditions)."""

import math
from typing import Any

from rest_framework import serializers

JSON_MAX_DEPTH = 10


def json_problem(value: Any, *, max_depth: int = JSON_MAX_DEPTH) -> str | None:
    """Why a JSON value cannot be stored (too deep; NUL characters PostgreSQL refuses; numbers too large for a float,
    which Python reads as infinity), or None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return f"JSON nested deeper than {max_depth} levels."
        if isinstance(node, str):
            if "\x00" in node:
                return "JSON strings cannot contain NUL characters."
        elif isinstance(node, dict):
            for key, item in node.items():
                if "\x00" in key:
                    return "JSON keys cannot contain NUL characters."
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, float) and not math.isfinite(node):
            return "JSON numbers must be finite (at most about 1.8e308)."
    return None


def validate_storable_json(value: Any) -> Any:
    """Serializer-field validator: refuse JSON the database cannot or should not store."""
    problem = json_problem(value)
    if problem:
        raise serializers.ValidationError(problem, code="invalid_json")
    return value
