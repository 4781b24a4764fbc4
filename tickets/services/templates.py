"""Ticket templates (SPEC §4): writes, and JSON Schema checks of `custom_fields_schema` and of tickets' `custom_fields`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from jsonschema import FormatChecker
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaValidationError
from jsonschema.validators import validator_for
from rest_framework.exceptions import ErrorDetail, ValidationError

from approvals.models import ApprovalTemplate
from tickets.models import Category, Label, TicketPriority, TicketTemplate, TicketVisibility
from ticketsite.errors import DomainValidationError
from ticketsite.models import Actor

CUSTOM_FIELDS = "custom_fields"
SCHEMA_FIELD = "custom_fields_schema"
TEMPLATE_FIELDS = frozenset(
    {
        "name",
        "description",
        "default_title",
        "default_description",
        "default_priority",
        "default_visibility",
        "approval_template",
        SCHEMA_FIELD,
    }
)
TEMPLATE_M2M_FIELDS = frozenset({"categories", "labels"})


def validate_custom_fields_schema(schema: Any) -> None:
    """The schema must itself be a valid JSON Schema (its own dialect, or the latest) describing an object."""
    if not isinstance(schema, dict):
        raise DomainValidationError("The custom fields schema must be a JSON object.", field=SCHEMA_FIELD)
    if not schema:
        return
    validator = validator_for(schema)
    try:
        validator.check_schema(schema)
    except SchemaError as exc:
        where = ".".join(str(part) for part in exc.path)
        prefix = f"at '{where}': " if where else ""
        raise DomainValidationError(f"Not a valid JSON Schema: {prefix}{exc.message}", field=SCHEMA_FIELD) from None
    if schema.get("type", "object") != "object":
        raise DomainValidationError("The custom fields schema must describe an object (type 'object').", field=SCHEMA_FIELD)


def _error_attr(error: SchemaValidationError) -> str:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        # jsonschema reports a missing property on the parent object; name the property itself.
        missing = next((name for name in error.validator_value if name not in error.instance), None)
        if missing is not None:
            path.append(str(missing))
    return ".".join([CUSTOM_FIELDS, *path])


def validate_custom_fields(*, schema: dict[str, Any] | None, data: Any) -> None:
    """Validate `data` against a template's schema; every failing field is reported as "custom_fields.<path>".

    The error code is the JSON Schema keyword that failed (required, type, enum, format, ...).
    """
    if not isinstance(data, dict):
        raise DomainValidationError("Custom fields must be a JSON object.", field=CUSTOM_FIELDS, code="type")
    if not schema:
        return
    validator_class = validator_for(schema)
    validator = validator_class(schema, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), str(e.validator)))
    if not errors:
        return
    detail: dict[str, list[Any]] = {}
    for error in errors:
        code = str(error.validator)
        detail.setdefault(_error_attr(error), []).append(ErrorDetail(error.message, code=code))
    raise ValidationError(detail)


def _ensure_unique_name(name: str, *, exclude_pk: int | None = None) -> None:
    clash = TicketTemplate.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainValidationError(f"A ticket template named '{name}' already exists.", field="name", code="unique")


@transaction.atomic
def template_create(
    *,
    actor: Actor,
    name: str,
    description: str = "",
    default_title: str = "",
    default_description: str = "",
    default_priority: str = TicketPriority.MEDIUM,
    default_visibility: str = TicketVisibility.INTERNAL,
    approval_template: ApprovalTemplate | None = None,
    custom_fields_schema: dict[str, Any] | None = None,
    categories: Iterable[Category] = (),
    labels: Iterable[Label] = (),
) -> TicketTemplate:
    schema = custom_fields_schema or {}
    validate_custom_fields_schema(schema)
    _ensure_unique_name(name)
    template = TicketTemplate(
        name=name,
        description=description,
        default_title=default_title,
        default_description=default_description,
        default_priority=default_priority,
        default_visibility=default_visibility,
        approval_template=approval_template,
        custom_fields_schema=schema,
    )
    template.stamp(actor, created=True)
    template.save()
    template.categories.set(list(categories))
    template.labels.set(list(labels))
    return template


@transaction.atomic
def template_update(*, template: TicketTemplate, actor: Actor, data: dict[str, Any]) -> TicketTemplate:
    """Changing a template affects tickets created from it later; existing tickets keep their values."""
    unknown = set(data) - TEMPLATE_FIELDS - TEMPLATE_M2M_FIELDS
    if unknown:
        raise DomainValidationError(f"Not a template field: {', '.join(sorted(unknown))}.", code="unknown_field")
    if SCHEMA_FIELD in data:
        validate_custom_fields_schema(data[SCHEMA_FIELD])
    if "name" in data:
        _ensure_unique_name(data["name"], exclude_pk=template.pk)
    fields = [field for field in data if field in TEMPLATE_FIELDS]
    for field in fields:
        setattr(template, field, data[field])
    template.save(update_fields=[*fields, *template.stamp(actor)])
    if "categories" in data:
        template.categories.set(list(data["categories"]))
    if "labels" in data:
        template.labels.set(list(data["labels"]))
    return template


@transaction.atomic
def template_delete(*, template: TicketTemplate, actor: Actor) -> None:
    """Soft delete: tickets made from the template keep pointing at it."""
    template.soft_delete(actor=actor)
