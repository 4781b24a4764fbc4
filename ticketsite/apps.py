from typing import Any

from django.apps import AppConfig


class TicketsiteConfig(AppConfig):
    name = "ticketsite"
    verbose_name = "Ticket site"

    def ready(self) -> None:
        make_text_fields_strict()


def make_text_fields_strict() -> None:
    """DRF's CharField turns a JSON number into text (`"description": 0` becomes "0"); the schema says string, so a
    number or a boolean there is a client bug and gets a 400 like any other wrong type. Done once, for every text field
    of every serializer (model fields, declared fields, and their subclasses such as e-mail, slug and regex fields),
    because a per-serializer opt-in is one that a new serializer forgets."""
    from rest_framework import serializers

    lenient = serializers.CharField.to_internal_value
    if getattr(lenient, "strict", False):
        return

    def to_internal_value(field: serializers.CharField, data: Any) -> str:
        if not isinstance(data, str):
            field.fail("invalid")
        # The limit counts what the client sent: trimming first would accept a 101-character name the schema forbids.
        if field.max_length is not None and len(data) > field.max_length:
            field.fail("max_length", max_length=field.max_length)
        return lenient(field, data)

    to_internal_value.strict = True  # type: ignore[attr-defined]
    serializers.CharField.to_internal_value = to_internal_value  # type: ignore[method-assign, assignment]
