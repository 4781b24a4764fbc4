"""Writes for categories and labels: admin-managed classification, soft-deleted, names unique among live rows."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tickets.models import Category, Label
from ticketsite.errors import DomainValidationError
from ticketsite.models import Actor
from ticketsite.services import model_update, validate_constraints

CATEGORY_FIELDS = ("name", "description", "parent")
LABEL_FIELDS = ("name", "color", "description")


def _ensure_no_cycle(category: Category | None, parent: Category | None) -> None:
    """A category cannot become its own ancestor."""
    seen: set[int] = set()
    node = parent
    while node is not None and node.pk not in seen:
        if category is not None and node.pk == category.pk:
            raise DomainValidationError("A category cannot be nested under itself or its descendants.", field="parent")
        seen.add(node.pk)
        node = node.parent


@transaction.atomic
def category_create(*, actor: Actor, name: str, description: str = "", parent: Category | None = None) -> Category:
    _ensure_no_cycle(None, parent)
    category = Category(name=name, description=description, parent=parent)
    validate_constraints(category)
    category.stamp(actor, created=True)
    category.save()
    return category


@transaction.atomic
def category_update(*, category: Category, actor: Actor, data: dict[str, Any]) -> Category:
    if "parent" in data:
        _ensure_no_cycle(category, data["parent"])
    category, _ = model_update(instance=category, fields=CATEGORY_FIELDS, data=data, actor=actor)
    return category


@transaction.atomic
def category_delete(*, category: Category, actor: Actor) -> None:
    if category.children.exists():
        raise DomainValidationError("Delete or move the sub-categories first.", code="has_children")
    category.soft_delete(actor=actor)


@transaction.atomic
def label_create(*, actor: Actor, name: str, color: str = "#808080", description: str = "") -> Label:
    label = Label(name=name, color=color, description=description)
    validate_constraints(label)
    label.stamp(actor, created=True)
    label.save()
    return label


@transaction.atomic
def label_update(*, label: Label, actor: Actor, data: dict[str, Any]) -> Label:
    label, _ = model_update(instance=label, fields=LABEL_FIELDS, data=data, actor=actor)
    return label


@transaction.atomic
def label_delete(*, label: Label, actor: Actor) -> None:
    label.soft_delete(actor=actor)
