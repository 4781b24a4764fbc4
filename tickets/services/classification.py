"""Writes for categories and labels: admin-managed classification, soft-deleted, names unique among live rows."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tickets.models import Category, Label
from ticketsite.errors import DomainValidationError
from ticketsite.models import Actor


def _ensure_unique_name(model: type[Category] | type[Label], name: str, *, exclude_pk: int | None = None) -> None:
    clash = model.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainValidationError(f"A {model._meta.verbose_name} named '{name}' already exists.", field="name", code="unique")


def _ensure_no_cycle(category: Category | None, parent: Category | None) -> None:
    """A category cannot become its own ancestor."""
    seen: set[int] = set()
    node = parent
    while node is not None and node.pk not in seen:
        if category is not None and node.pk == category.pk:
            raise DomainValidationError("A category cannot be nested under itself or its descendants.", field="parent")
        seen.add(node.pk)
        node = node.parent


def _apply(obj: Category | Label, data: dict[str, Any]) -> list[str]:
    for field, value in data.items():
        setattr(obj, field, value)
    return list(data)


@transaction.atomic
def category_create(*, actor: Actor, name: str, description: str = "", parent: Category | None = None) -> Category:
    _ensure_unique_name(Category, name)
    _ensure_no_cycle(None, parent)
    category = Category(name=name, description=description, parent=parent)
    category.stamp(actor, created=True)
    category.save()
    return category


@transaction.atomic
def category_update(*, category: Category, actor: Actor, data: dict[str, Any]) -> Category:
    if "name" in data:
        _ensure_unique_name(Category, data["name"], exclude_pk=category.pk)
    if "parent" in data:
        _ensure_no_cycle(category, data["parent"])
    fields = _apply(category, data)
    category.save(update_fields=[*fields, *category.stamp(actor)])
    return category


@transaction.atomic
def category_delete(*, category: Category, actor: Actor) -> None:
    if category.children.exists():
        raise DomainValidationError("Delete or move the sub-categories first.", code="has_children")
    category.soft_delete(actor=actor)


@transaction.atomic
def label_create(*, actor: Actor, name: str, color: str = "#808080", description: str = "") -> Label:
    _ensure_unique_name(Label, name)
    label = Label(name=name, color=color, description=description)
    label.stamp(actor, created=True)
    label.save()
    return label


@transaction.atomic
def label_update(*, label: Label, actor: Actor, data: dict[str, Any]) -> Label:
    if "name" in data:
        _ensure_unique_name(Label, data["name"], exclude_pk=label.pk)
    fields = _apply(label, data)
    label.save(update_fields=[*fields, *label.stamp(actor)])
    return label


@transaction.atomic
def label_delete(*, label: Label, actor: Actor) -> None:
    label.soft_delete(actor=actor)
