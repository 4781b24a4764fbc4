"""Input fields that take a value only in the type the OpenAPI schema gives it. DRF's own fields coerce: a number
becomes text (`"description": 0` is "0"), a float becomes an id or an integer (`"assignee": 1.5` is user 1). A value of
the wrong type is a client bug, so it gets a 400 like any other wrong type instead of being read as something else."""

import re
from typing import Any

from rest_framework import serializers

# Form posts (the multipart uploads) carry every value as text: an integer may arrive as its digits.
INTEGER_TEXT = re.compile(r"-?[0-9]+")


class StrictCharField(serializers.CharField):
    """Text only: numbers and booleans are refused, not turned into text. The subclasses below put this check in front
    of DRF's e-mail, regex, slug, URL and IP address fields (each is a CharField)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        # The limit counts what the client sent: trimming first would accept a 101-character name the schema forbids.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictEmailField(StrictCharField, serializers.EmailField):
    pass


class StrictRegexField(StrictCharField, serializers.RegexField):
    pass


class StrictSlugField(StrictCharField, serializers.SlugField):
    pass


class StrictURLField(StrictCharField, serializers.URLField):
    pass


class StrictIPAddressField(StrictCharField, serializers.IPAddressField):
    pass


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (or, from a form, its digits); `1.0`, `1.5`, `"1.0"` and booleans are refused."""

    def to_internal_value(self, data: Any) -> int:
        is_integer = isinstance(data, int) and not isinstance(data, bool)
        if not (is_integer or (isinstance(data, str) and INTEGER_TEXT.fullmatch(data))):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBigIntegerField(StrictIntegerField, serializers.BigIntegerField):
    pass


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id as a JSON integer (or its digits, as DRF accepts them); a float, a boolean or anything else is refused
    instead of being truncated to some other row's id."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)
