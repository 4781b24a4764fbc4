"""Form helpers shared by every workspace page: a service's validation errors shown next to the form's fields."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from rest_framework.exceptions import ValidationError

from ticketsite.errors import DomainConflict, PayloadTooLarge, UnsupportedMediaType
from workspace.middleware import messages_of


def field_for(form: forms.Form, attr: str) -> str | None:
    """The form's field for an error's attr: the field of that name, else the nearest enclosing one (an error on
    "custom_fields.address.street" lands on a "custom_fields.address" field), else None (the form as a whole)."""
    parts = attr.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in form.fields:
            return name
    return None


def call_service[Result](
    form: forms.Form, call: Callable[[], Result], *, upload_field: str | None = None, conflict_on_form: bool = False
) -> Result | None:
    """Runs `call` (a service); a validation error it raises lands on the form, on the field it names (see field_for),
    else on the form as a whole, and None is returned. With `upload_field`, a refused upload (413 too large, 415 type
    not allowed) lands on that field the same way, so the rest of the form is not lost. With `conflict_on_form`, a 409
    (e.g. "this grant already exists") is a mistake in the form rather than a page of its own. Other domain errors
    propagate to the middleware."""
    try:
        return call()
    except ValidationError as error:
        detail = error.detail
        if isinstance(detail, dict):
            for field, messages in detail.items():
                form.add_error(field_for(form, str(field)), messages_of(messages))
        else:
            form.add_error(None, messages_of(detail))
        return None
    except (PayloadTooLarge, UnsupportedMediaType) as error:
        if upload_field is None:
            raise
        form.add_error(upload_field, messages_of(error.detail))
        return None
    except DomainConflict as error:
        if not conflict_on_form:
            raise
        form.add_error(None, messages_of(error.detail))
        return None
