"""Write helpers every app's services share: the partial update of a row, and the database constraints checked
before a write so a violation is the domain's 400 rather than the database's IntegrityError (409)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models.expressions import F

from ticketsite.errors import DomainValidationError
from ticketsite.models import Actor, AuditedModel


def require_user_xor_role(user: Any, role: Any, *, field: str | None = None) -> None:
    """A grant or an approver slot names exactly one of a user or a role (the database's `user_xor_role` constraint)."""
    if (user is None) == (role is None):
        raise DomainValidationError("Name exactly one of user or role.", field=field, code="user_xor_role")


def _constraint_fields(constraint: models.BaseConstraint) -> list[str]:
    """The model fields a unique constraint is about: its `fields`, or those its expressions name (Lower("name"))."""
    if not isinstance(constraint, models.UniqueConstraint):
        return []
    if constraint.fields:
        return list(constraint.fields)
    expressions: list[Any] = list(constraint.expressions)  # BaseExpressions, or a bare F("owner") (no flatten())
    nodes = [node for item in expressions for node in ([item] if isinstance(item, F) else item.flatten())]
    return [str(node.name) for node in nodes if isinstance(node, F)]  # type: ignore[attr-defined]  # F.name: untyped in stubs


def _violation(instance: models.Model, constraint: models.BaseConstraint) -> DomainValidationError:
    fields = _constraint_fields(constraint)
    # A name unique per owner is the name's error: the relation only scopes it.
    own = [field for field in fields if not instance._meta.get_field(field).is_relation]
    if len(own) == 1 and len(fields) > 1 and constraint.violation_error_message:
        return DomainValidationError(str(constraint.get_violation_error_message()), field=own[0], code="unique")
    if len(fields) == 1:
        field = fields[0]
        value = getattr(instance, field)
        return DomainValidationError(
            f"The {field} '{value}' is taken by another {instance._meta.verbose_name}.", field=field, code="unique"
        )
    message = str(constraint.get_violation_error_message())
    return DomainValidationError(message, code=constraint.violation_error_code or "invalid")


def validate_constraints(instance: models.Model, *, fields: Collection[str] | None = None) -> None:
    """Check the model's database constraints (Django's own validation, a query per constraint) before a write: all of
    them for a new row, those involving `fields` for a change. A unique constraint on one field (a name, unique among
    live rows ignoring case) answers 400 `unique` on that field; the database still enforces each constraint when
    two requests race."""
    model = type(instance)
    exclude = None
    if fields is not None:
        # Unchanged fields are left out, and with them every constraint naming one; the soft-delete flag stays in,
        # since the partial constraints' condition (a live row) names it.
        exclude = {field.name for field in model._meta.concrete_fields} - set(fields) - {"is_deleted"}
    for constraint in model._meta.constraints:
        try:
            constraint.validate(model, instance, exclude=exclude)
        except DjangoValidationError:
            raise _violation(instance, constraint) from None


def _pks(values: Iterable[Any]) -> set[Any]:
    return {getattr(value, "pk", value) for value in values}


def changed_fields(instance: models.Model, *, fields: Iterable[str], data: Mapping[str, Any]) -> list[str]:
    """Which of `fields` `data` gives a value different from the instance's: a reference compares by id, a many-to-many
    field as the set of ids (a query each, unless prefetched)."""
    changed = []
    for name in fields:
        if name not in data:
            continue
        field = instance._meta.get_field(name)
        new = data[name]
        if field.many_to_many:
            differs = _pks(getattr(instance, name).all()) != _pks(new or [])
        elif field.is_relation:
            differs = getattr(instance, field.attname) != getattr(new, "pk", new)  # type: ignore[union-attr]
        else:
            differs = getattr(instance, name) != new
        if differs:
            changed.append(name)
    return changed


def model_update[M: AuditedModel](
    *, instance: M, fields: Iterable[str], data: Mapping[str, Any], actor: Actor
) -> tuple[M, list[str]]:
    """Apply to `instance` the values `data` gives for `fields` (the fields the caller lets change) that differ from
    the current ones, and write only those: the constraints involving them are checked (`validate_constraints`), the
    audit fields stamped, the row saved with `update_fields` and many-to-many fields set. Returns the instance and the
    fields that changed; none changed means nothing was written."""
    changed = changed_fields(instance, fields=fields, data=data)
    if not changed:
        return instance, []
    many = [name for name in changed if instance._meta.get_field(name).many_to_many]
    columns = [name for name in changed if name not in many]
    for name in columns:
        setattr(instance, name, data[name])
    validate_constraints(instance, fields=columns)
    instance.save(update_fields=[*columns, *instance.stamp(actor)])
    for name in many:
        getattr(instance, name).set(data[name])
    return instance, changed
