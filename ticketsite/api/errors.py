"""The OpenAPI description of a client error of one kind (SPEC §12's error shape: `type` and a list of `errors`, each
with `code`, `detail` and `attr`), for the responses a view documents beside the validation errors drf-standardized-
errors describes itself: a 409 with its codes, a 429. One definition of the shape, named per kind."""

from __future__ import annotations

from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers


def client_error_response(
    kind: str, *, doc: str, code: serializers.Field, detail: serializers.Field | None = None, response_name: str = ""
) -> type[serializers.Serializer]:
    """The response serializer of one kind of client error: components `<kind>Error` (one error) and `<kind>Response`
    (or `response_name`), whose docstring `doc` is the component's description."""
    error = type(
        f"{kind}ErrorSerializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "code": code,
            "detail": detail if detail is not None else serializers.CharField(),
            "attr": serializers.CharField(allow_null=True),
        },
    )
    return type(
        f"{response_name or kind + 'Response'}Serializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "__doc__": doc,
            "type": serializers.ChoiceField(choices=ClientErrorEnum.choices),
            "errors": error(many=True),
        },
    )
