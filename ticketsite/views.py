"""Errors outside DRF views (unknown URLs, crashes in middleware) in the same JSON shape as the API's."""

from typing import Any

from django.http import HttpRequest, JsonResponse


def not_found(request: HttpRequest, exception: Any = None) -> JsonResponse:
    body = {"type": "client_error", "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}]}
    return JsonResponse(body, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    body = {"type": "server_error", "errors": [{"code": "error", "detail": "Server Error (500).", "attr": None}]}
    return JsonResponse(body, status=500)
