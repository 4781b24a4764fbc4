"""Form helpers shared by every workspace page: a service's validation errors shown next to the form's fields."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from rest_framework.exceptions import ValidationError

from workspace.middleware import messages_of


def call_service[Result](form: forms.Form, call: Callable[[], Result]) -> Result | None:
    """Runs `call` (a service); a validation error it raises lands on the form, on the field it names when the form has
    that field, else on the form as a whole, and None is returned. Other domain errors propagate to the middleware."""
    try:
        return call()
    except ValidationError as error:
        detail = error.detail
        if isinstance(detail, dict):
            for field, messages in detail.items():
                form.add_error(str(field) if str(field) in form.fields else None, messages_of(messages))
        else:
            form.add_error(None, messages_of(detail))
        return None
