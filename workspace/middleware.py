"""What every workspace page shares: no caching of ticket data, and refusals rendered as pages.

Services raise domain errors (ticketsite.errors); the API renders them as JSON through its one exception handler. For
a workspace page this middleware is that one handler: the same error, as an HTML page with the same status code. Form
pages show validation errors next to their fields instead (workspace.forms.call_service).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework.exceptions import APIException

Handler = Callable[[HttpRequest], HttpResponseBase]

TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible right now",
    413: "Too large",
    415: "File type not allowed",
    429: "Slow down",
}


def is_workspace(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and match.namespace == "workspace"


def messages_of(detail: object) -> list[str]:
    """The human sentences inside a DRF error detail (a string, a list, or a dict of field -> messages)."""
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in messages_of(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in messages_of(value)]
    return [str(detail)]


def same_site(request: HttpRequest, url: str) -> str:
    """`url` if it points into this site, else "": a `next` or a Referer sends nobody elsewhere (no open redirect)."""
    return url if url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()) else ""


def error_page(request: HttpRequest, status: int, messages: list[str]) -> HttpResponse:
    back = same_site(request, request.META.get("HTTP_REFERER", ""))
    context = {"title": TITLES.get(status, "Something went wrong"), "messages_": messages, "back": back}
    return swapped_whole(request, render(request, "workspace/error.html", context, status=status))


def swapped_whole(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A refused htmx action replaces the page's main area with the error page's (base.html lets htmx swap 4xx
    answers); otherwise the click would seem to do nothing."""
    if getattr(request, "htmx", False):
        response["HX-Retarget"] = "#main"
        response["HX-Reselect"] = "#main"
        response["HX-Reswap"] = "outerHTML"
    return response


class WorkspaceMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if is_workspace(request):
            add_never_cache_headers(response)  # pages carry ticket data: no browser or proxy keeps them
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_workspace(request):
            return None
        not_found = isinstance(exception, (Http404, ObjectDoesNotExist))
        if getattr(request.resolver_match, "url_name", "") == "ticket" and (
            not_found or (isinstance(exception, APIException) and exception.status_code == 404)
        ):
            # A ticket one may not see is missing too; there one may ask for access (the access area's page, the same
            # bytes for a hidden and a missing ticket: docs/workspace/access.md).
            return swapped_whole(request, render(request, "workspace/access/request_access.html", status=404))
        if not_found:
            # Like the API: a ticket one may not see does not exist.
            return error_page(request, 404, ["There is nothing here, or you do not have access to it."])
        if isinstance(exception, PermissionDenied):
            return error_page(request, 403, messages_of(str(exception) or "You may not do this."))
        if isinstance(exception, RequestDataTooBig):
            return error_page(request, 413, ["The request is too large."])
        if isinstance(exception, APIException):
            return error_page(request, exception.status_code, messages_of(exception.detail))
        return None
