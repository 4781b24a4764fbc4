"""Form fields generated from a ticket template's JSON Schema: the custom fields of a request
(docs/workspace/requests.md, "Custom fields").

Only input types and widgets come from the schema here. Every rule of the schema (required properties, bounds,
lengths, patterns, enums, formats) is the service's: ticket_create and ticket_update validate the JSON against the
schema and name a failing property "custom_fields.<property>", which is the name of its field here, so the message
lands next to the input (workspace.forms.call_service). The browser gets the same hints as attributes (required, min,
max, minlength, maxlength, pattern) to help before sending, never as the check. The form's own errors are those of
reading text as a typed value ("Enter a whole number.", "Enter a valid date.", "Enter a valid JSON.").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import capfirst

PREFIX = "custom_fields."
# Longer strings get a text area; `x-widget: "textarea"` asks for one whatever the length.
LONG_TEXT = 200
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# What the schema's own keywords decide about a property's value without it being a plain scalar of one type.
COMPOSITE_KEYWORDS = ("$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not", "if", "properties", "items")


class Unanswered:
    """No answer: the property is left out of the JSON (never sent as null or "")."""


UNANSWERED = Unanswered()


def field_name(prop: str) -> str:
    return PREFIX + prop


# --- the fields, each turning its cleaned value into a JSON value and a stored JSON value into its initial ----------


class SchemaField(forms.Field):
    """What every generated field adds to its Django field: the value as JSON, and a stored value as initial."""

    def json_value(self, value: Any) -> Any:
        return UNANSWERED if value in self.empty_values else value

    def initial_of(self, stored: Any) -> Any:
        return stored


class TextField(SchemaField, forms.CharField):
    pass


class IntegerField(SchemaField, forms.IntegerField):
    pass


class NumberField(SchemaField, forms.FloatField):
    def json_value(self, value: Any) -> Any:
        if value is None:
            return UNANSWERED
        return int(value) if value.is_integer() else value  # 5, not 5.0, as the person wrote it


class CheckboxField(SchemaField, forms.BooleanField):
    """A box always answers: ticked is true, not ticked is false. So `required` on a boolean is always met; a box that
    must be ticked is `"const": true` (or `"enum": [true]`), which the service checks."""

    def json_value(self, value: Any) -> Any:
        return bool(value)


class ChoiceField(SchemaField, forms.CharField):
    """A select of the schema's values; each option carries its value as JSON, so 1 and "1" stay apart. A value that
    is not an option is sent as it came, for the service to refuse with the schema's message."""

    def json_value(self, value: Any) -> Any:
        if value in self.empty_values:
            return UNANSWERED
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value

    def initial_of(self, stored: Any) -> Any:
        return json.dumps(stored)


class DateField(SchemaField, forms.DateField):
    def json_value(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else UNANSWERED

    def initial_of(self, stored: Any) -> Any:
        try:
            return date.fromisoformat(stored)
        except (TypeError, ValueError):
            return stored


class LocalDateTimeInput(forms.DateTimeInput):
    """A datetime-local input; seconds shown only when the value has some, so an untouched value reads back equal."""

    input_type = "datetime-local"

    def format_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.strftime(DATETIME_LOCAL + (":%S" if value.second else ""))
        return super().format_value(value)


class DateTimeField(SchemaField, forms.DateTimeField):
    """A local date and time (the site's time zone), sent with its offset as RFC 3339 requires."""

    def json_value(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else UNANSWERED

    def initial_of(self, stored: Any) -> Any:
        try:
            moment = datetime.fromisoformat(stored)
        except (TypeError, ValueError):
            return stored
        return timezone.localtime(moment) if timezone.is_aware(moment) else moment


class JsonField(SchemaField, forms.JSONField):
    """A value the form has no input for (an object, a list, a choice between schemas): typed as JSON."""

    def json_value(self, value: Any) -> Any:
        return UNANSWERED if value is None else value

    def prepare_value(self, value: Any) -> Any:
        return "" if value is None else super().prepare_value(value)


# --- from a property's schema to a field -----------------------------------------------------------------------------


def _options(prop: Mapping[str, Any]) -> list[tuple[Any, str]] | None:
    """The values a select offers (value, label): `enum`, or a `oneOf`/`anyOf` of `const`s with their titles."""
    if isinstance(prop.get("enum"), list):
        return [(value, value if isinstance(value, str) else json.dumps(value)) for value in prop["enum"]]
    for keyword in ("oneOf", "anyOf"):
        branches = prop.get(keyword)
        if isinstance(branches, list) and branches and all(isinstance(b, dict) and "const" in b for b in branches):
            return [(b["const"], str(b.get("title", b["const"]))) for b in branches]
    return None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _attrs(prop: Mapping[str, Any], keywords: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {attr: prop[keyword] for keyword, attr in keywords if _number(prop.get(keyword))}


BOUNDS = (("minimum", "min"), ("maximum", "max"))
LENGTHS = (("minLength", "minlength"), ("maxLength", "maxlength"))


def _json_field() -> SchemaField:
    return JsonField(required=False, widget=forms.Textarea(attrs={"rows": 4, "class": "json", "spellcheck": "false"}))


def _field(prop: Mapping[str, Any]) -> SchemaField:
    """The field for one property's schema: its type picks the input; anything else is typed as JSON."""
    kind = prop.get("type")
    options = _options(prop)
    if kind == "boolean":
        must_tick = prop.get("const") is True or prop.get("enum") == [True]
        return CheckboxField(required=False, widget=forms.CheckboxInput(attrs={"required": True} if must_tick else {}))
    if options is not None:
        choices = [("", "—"), *((json.dumps(value), label) for value, label in options)]
        return ChoiceField(required=False, widget=forms.Select(choices=choices))
    if any(keyword in prop for keyword in COMPOSITE_KEYWORDS):
        return _json_field()
    if kind == "integer":
        return IntegerField(required=False, widget=forms.NumberInput(attrs={"step": 1, **_attrs(prop, BOUNDS)}))
    if kind == "number":
        return NumberField(required=False, widget=forms.NumberInput(attrs={"step": "any", **_attrs(prop, BOUNDS)}))
    if kind != "string":
        return _json_field()
    text_format = prop.get("format")
    if text_format == "date":
        return DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    if text_format == "date-time":
        return DateTimeField(
            required=False, widget=LocalDateTimeInput(), input_formats=[DATETIME_LOCAL, f"{DATETIME_LOCAL}:%S"]
        )
    attrs = _attrs(prop, LENGTHS)
    if text_format == "email":
        return TextField(required=False, widget=forms.EmailInput(attrs=attrs))
    max_length = prop.get("maxLength")
    if prop.get("x-widget") == "textarea" or (isinstance(max_length, (int, float)) and max_length > LONG_TEXT):
        return TextField(required=False, widget=forms.Textarea(attrs={"rows": 4, **attrs}))
    if isinstance(prop.get("pattern"), str):
        # JSON Schema searches the text for the pattern; HTML anchors it at both ends.
        attrs["pattern"] = f".*(?:{prop['pattern']}).*"
    return TextField(required=False, widget=forms.TextInput(attrs=attrs))


def property_order(schema: Mapping[str, Any]) -> list[str]:
    """The properties in the order the form shows them: those `x-order` lists, then the required ones in the order of
    `required`, then the others by name. (PostgreSQL's jsonb keeps no key order, so the stored order is not used.)"""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    listed = [name for key in ("x-order", "required") for name in schema.get(key) or [] if isinstance(name, str)]
    return [name for name in dict.fromkeys([*listed, *sorted(properties)]) if name in properties]


def schema_fields(schema: Mapping[str, Any] | None, *, values: Mapping[str, Any] | None = None) -> dict[str, SchemaField]:
    """One field per property of `schema` (a template's custom_fields_schema), named "custom_fields.<property>": the
    `title` as label (else the name), the `description` as help, `required` as the browser's required mark. Initial
    values come from `values` (a ticket's custom fields) when given, else from the properties' `default`s."""
    schema = schema or {}
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    if values is None:
        values = {name: prop["default"] for name, prop in properties.items() if isinstance(prop, dict) and "default" in prop}
    fields: dict[str, SchemaField] = {}
    for name in property_order(schema):
        prop = properties[name] if isinstance(properties[name], dict) else {}
        field = _field(prop)
        field.label = str(prop.get("title") or capfirst(name.replace("_", " ")))
        field.help_text = str(prop.get("description", ""))
        if isinstance(field, JsonField):
            field.help_text = f"{field.help_text} Written as JSON.".lstrip()
        if name in required and not isinstance(field, CheckboxField):
            field.widget.attrs["required"] = True
        if name in values:
            field.initial = field.initial_of(values[name])
        fields[field_name(name)] = field
    return fields


def custom_fields_of(
    form: forms.Form, schema: Mapping[str, Any] | None, *, stored: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The custom fields a valid form stands for. A new request (`stored` None): every answered property, the
    unanswered ones left out. An edit (`stored`: the ticket's custom fields): a property the person did not touch keeps
    its stored state exactly, there or not (a date and time read back from its input is the same moment, but not always
    the same text; an untouched box adds no false); a changed one is set, or left out when cleared."""
    data = dict(stored or {})
    for prop in property_order(schema or {}):
        name = field_name(prop)
        if stored is not None and name not in form.changed_data:
            continue
        field = form.fields[name]
        assert isinstance(field, SchemaField)
        value = field.json_value(form.cleaned_data.get(name))
        if isinstance(value, Unanswered):
            data.pop(prop, None)
        else:
            data[prop] = value
    return data
