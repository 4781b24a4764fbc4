"""Validation of a rule's JSON fields, shared by the API serializer and the admin form."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from notifications.models import Channel
from tickets.models import Category, TicketPriority, TicketTemplate

CONDITION_KEYS = ("categories", "priorities", "templates")


def _id_list(value: Any, key: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        raise ValidationError(f'"{key}" must be a list of ids.', code="invalid")
    return sorted(set(value))


def clean_conditions(value: Any) -> dict[str, list[Any]]:
    """{"categories": [ids], "priorities": [values], "templates": [ids]}, every key optional; returns a normalised copy."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError("Conditions must be an object.", code="invalid")
    unknown = sorted(set(value) - set(CONDITION_KEYS))
    if unknown:
        allowed = ", ".join(CONDITION_KEYS)
        raise ValidationError(f"Unknown condition(s): {', '.join(unknown)}. Allowed: {allowed}.", code="invalid")
    cleaned: dict[str, list[Any]] = {}
    if "categories" in value:
        ids = _id_list(value["categories"], "categories")
        missing = set(ids) - set(Category.objects.filter(id__in=ids).values_list("id", flat=True))
        if missing:
            raise ValidationError(f"Unknown categories: {sorted(missing)}.", code="invalid")
        cleaned["categories"] = ids
    if "templates" in value:
        ids = _id_list(value["templates"], "templates")
        missing = set(ids) - set(TicketTemplate.objects.filter(id__in=ids).values_list("id", flat=True))
        if missing:
            raise ValidationError(f"Unknown templates: {sorted(missing)}.", code="invalid")
        cleaned["templates"] = ids
    if "priorities" in value:
        priorities = value["priorities"]
        if not isinstance(priorities, list) or any(p not in TicketPriority.values for p in priorities):
            raise ValidationError(f'"priorities" must be a list of: {", ".join(TicketPriority.values)}.', code="invalid")
        cleaned["priorities"] = sorted(set(priorities))
    return cleaned


def clean_channels(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or any(channel not in Channel.values for channel in value):
        raise ValidationError(f"Channels must be a non-empty list of: {', '.join(Channel.values)}.", code="invalid")
    return [channel for channel in Channel.values if channel in value]
