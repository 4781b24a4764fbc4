"""Ticket templates (SPEC §4): writes, and JSON Schema checks of `custom_fields_schema` and of tickets' `custom_fields`."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING, Any

import referencing
import referencing.jsonschema
from django.db import transaction
from jsonschema import FormatChecker
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import (
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
    validator_for,
)
from referencing.exceptions import Unresolvable
from rest_framework.exceptions import ErrorDetail, ValidationError
from rfc3986_validator import validate_rfc3986

from tickets.models import Category, Label, TicketPriority, TicketTemplate, TicketVisibility
from ticketsite.errors import DomainValidationError
from ticketsite.models import Actor
from ticketsite.services import model_update, validate_constraints

if TYPE_CHECKING:  # a ticket template names its approval template; approvals is a higher app (docs/architecture.md)
    from referencing._core import Resolver  # for annotations: the package exports no alias for its documented Resolver

    from approvals.models import ApprovalTemplate

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

# A schema without `$schema` is read as the latest draft. Draft 3 (2010) is not offered: referencing crashes walking it.
DEFAULT_VALIDATOR: type[Validator] = Draft202012Validator
SUPPORTED_VALIDATORS: frozenset[type[Validator]] = frozenset(
    {Draft4Validator, Draft6Validator, Draft7Validator, Draft201909Validator, Draft202012Validator}
)

# References resolve inside the schema (and jsonschema's bundled meta-schemas) only: referencing's default `retrieve`
# raises for every URI, so validation never opens a URL or a file (jsonschema's own default registry would fetch).
NO_RETRIEVAL = referencing.Registry()
REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
# Keywords that apply their subschemas to the same instance: a reference cycle through only these never ends.
IN_PLACE_SCHEMA = ("not", "if", "then", "else")
IN_PLACE_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
IN_PLACE_SCHEMA_MAPS = ("dependentSchemas", "dependencies")


def _validator_class(schema: dict[str, Any], *, field: str) -> type[Validator]:
    """The validator of the schema's `$schema` dialect; an unknown dialect is refused rather than guessed."""
    dialect = schema.get("$schema")
    if dialect is None:
        return DEFAULT_VALIDATOR
    validator_class = validator_for(schema, default=None) if isinstance(dialect, str) else None  # type: ignore[arg-type]
    if validator_class not in SUPPORTED_VALIDATORS:
        raise DomainValidationError(
            f"Unknown '$schema' {dialect!r}: use a JSON Schema draft URI (draft 4, 6, 7, 2019-09 or 2020-12) or leave it out.",
            field=field,
            code="unknown_dialect",
        )
    return validator_class


def _subschemas(schema: dict[str, Any], validator_class: type[Validator]) -> Iterator[tuple[Any, Resolver[Any]]]:
    """Every subschema of `schema` with the resolver its references resolve against (it follows `$id`)."""
    specification = referencing.jsonschema.specification_with(validator_class.META_SCHEMA["$schema"])
    root = specification.create_resource(schema)
    pending = [(root, NO_RETRIEVAL.resolver_with_root(root))]
    while pending:
        resource, resolver = pending.pop()
        yield resource.contents, resolver
        pending.extend((sub, resolver.in_subresource(sub)) for sub in resource.subresources())


def _in_place_subschemas(node: dict[str, Any]) -> list[Any]:
    found = [node[keyword] for keyword in IN_PLACE_SCHEMA if keyword in node]
    for keyword in IN_PLACE_SCHEMA_LISTS:
        value = node.get(keyword)
        found.extend(value if isinstance(value, list) else [])
    for keyword in IN_PLACE_SCHEMA_MAPS:
        value = node.get(keyword)
        found.extend(value.values() if isinstance(value, dict) else [])
    return found


def _dynamic_targets(nodes: list[tuple[Any, Resolver[Any]]]) -> dict[tuple[str, str], list[Any]]:
    """Where a `$dynamicRef`/`$recursiveRef` may land at run time: any subschema with the matching anchor."""
    targets: dict[tuple[str, str], list[Any]] = {}
    for node, _ in nodes:
        if isinstance(node, dict) and isinstance(node.get("$dynamicAnchor"), str):
            targets.setdefault(("$dynamicRef", "#" + node["$dynamicAnchor"]), []).append(node)
        if isinstance(node, dict) and node.get("$recursiveAnchor") is True:
            targets.setdefault(("$recursiveRef", "#"), []).append(node)
    return targets


def _reference_target(node: dict[str, Any], keyword: str, resolver: Resolver[Any], known: set[int], *, field: str) -> Any:
    """The subschema `node[keyword]` points at; a reference outside the schema, or to no subschema, is refused."""
    ref = node[keyword]
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise DomainValidationError(
            f"'{keyword}': {ref!r} points outside the schema; only references within it ('#/$defs/...') are allowed.",
            field=field,
            code="remote_ref_not_allowed",
        )
    try:
        target = resolver.lookup(ref).contents
    except (Unresolvable, TypeError, ValueError):
        # A pointer through a boolean or a string, or a non-number into a list, fails with these rather than Unresolvable.
        target = None
    if id(target) not in known:
        raise DomainValidationError(
            f"'{keyword}': {ref!r} does not point at a subschema of this schema.", field=field, code="unresolvable_ref"
        )
    return target


def _check_references(schema: dict[str, Any], validator_class: type[Validator], *, field: str) -> None:
    """References stay inside the schema, each points at one of its subschemas, and none loops without descending:
    nothing to fetch (no server-side request forgery), nothing missing and no endless recursion (no crash)."""
    nodes = list(_subschemas(schema, validator_class))
    known = {id(node) for node, _ in nodes}
    dynamic_targets = _dynamic_targets(nodes)
    steps: dict[int, set[int]] = {}
    for node, resolver in nodes:
        if not isinstance(node, dict):
            continue
        if "$schema" in node and node is not schema:
            _validator_class(node, field=field)
        targets = _in_place_subschemas(node)
        for keyword in REFERENCE_KEYWORDS:
            if keyword in node:
                targets.append(_reference_target(node, keyword, resolver, known, field=field))
                targets.extend(dynamic_targets.get((keyword, node[keyword]), []))
        steps[id(node)] = {id(target) for target in targets if isinstance(target, dict)}
    try:
        TopologicalSorter(steps).prepare()
    except CycleError:
        raise DomainValidationError(
            "The schema refers to itself without end: a cycle of references (through allOf/anyOf/oneOf/not/if/...) "
            "that never reaches a property or an item.",
            field=field,
            code="ref_cycle",
        ) from None


def validate_custom_fields_schema(schema: Any) -> None:
    """A schema a template is about to store (the API's and the admin's template forms): a valid JSON Schema of a
    supported dialect describing an object, safe to evaluate (see `_check_references`)."""
    if not isinstance(schema, dict):
        raise DomainValidationError("The custom fields schema must be a JSON object.", field=SCHEMA_FIELD)
    if not schema:
        return
    validator_class = _validator_class(schema, field=SCHEMA_FIELD)
    try:
        validator_class.check_schema(schema)
    except SchemaError as exc:
        where = ".".join(str(part) for part in exc.path)
        prefix = f"at '{where}': " if where else ""
        raise DomainValidationError(f"Not a valid JSON Schema: {prefix}{exc.message}", field=SCHEMA_FIELD) from None
    if schema.get("type", "object") != "object":
        raise DomainValidationError("The custom fields schema must describe an object (type 'object').", field=SCHEMA_FIELD)
    _check_references(schema, validator_class, field=SCHEMA_FIELD)


def _custom_fields_validator(schema: dict[str, Any]) -> Validator:
    """A validator for a stored schema. Its dialect and references are checked again (cheap, unlike the meta-schema
    check done on save), so a schema stored before those rules is a 400 on custom_fields, never fetched from or
    crashed on. `format` is asserted with the dialect's own checker: every format the draft defines; unknown formats
    are annotations, as the specification says."""
    validator_class = _validator_class(schema, field=CUSTOM_FIELDS)
    _check_references(schema, validator_class, field=CUSTOM_FIELDS)
    return validator_class(schema, registry=NO_RETRIEVAL, format_checker=format_checker(validator_class))


def _iri_as_uri(value: str) -> str:
    """RFC 3987 §3.1: an IRI maps to a URI by percent-encoding each non-ASCII character's UTF-8 bytes."""
    return "".join(char if char.isascii() else urllib.parse.quote(char, safe="") for char in value)


def _is_iri(value: object) -> bool:
    return not isinstance(value, str) or validate_rfc3986(_iri_as_uri(value), rule="URI") is not None


def _is_iri_reference(value: object) -> bool:
    return not isinstance(value, str) or validate_rfc3986(_iri_as_uri(value), rule="URI_reference") is not None


def _format_checker(validator_class: type[Validator]) -> FormatChecker:
    """The draft's own format checker, with `iri` and `iri-reference` checked as their RFC 3987 mapping to URIs.

    jsonschema checks IRIs only with `rfc3987-syntax`, which compiles a grammar for about 2.5 s on import, at the start
    of every process (web workers, commands); the mapping checks the same syntax with the URI validator already here.
    """
    checker = FormatChecker(formats=())
    checker.checkers = dict(validator_class.FORMAT_CHECKER.checkers)
    if validator_class in (Draft7Validator, Draft201909Validator, Draft202012Validator):  # the drafts that define IRIs
        checker.checks("iri")(_is_iri)
        checker.checks("iri-reference")(_is_iri_reference)
    return checker


_FORMAT_CHECKERS = {validator_class: _format_checker(validator_class) for validator_class in SUPPORTED_VALIDATORS}


def format_checker(validator_class: type[Validator]) -> FormatChecker:
    return _FORMAT_CHECKERS[validator_class]


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
    validator = _custom_fields_validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), str(e.validator)))
    if not errors:
        return
    detail: dict[str, list[Any]] = {}
    for error in errors:
        code = str(error.validator)
        detail.setdefault(_error_attr(error), []).append(ErrorDetail(error.message, code=code))
    raise ValidationError(detail)


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
    validate_constraints(template)
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
    template, _ = model_update(instance=template, fields=[*TEMPLATE_FIELDS, *TEMPLATE_M2M_FIELDS], data=data, actor=actor)
    return template


@transaction.atomic
def template_delete(*, template: TicketTemplate, actor: Actor) -> None:
    """Soft delete: tickets made from the template keep pointing at it."""
    template.soft_delete(actor=actor)
