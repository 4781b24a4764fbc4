"""Site-wide middleware: the request id that ties log lines together, and the response headers of docs/security.md."""

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

from ticketsite.logging import current_request_id

# A client's (or proxy's) id is kept only if it is a plain token: it is echoed in a header and written to every log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

Handler = Callable[[HttpRequest], HttpResponseBase]


class RequestIdMiddleware:
    """Takes `X-Request-ID` from the request if it is sane (else a new uuid4), makes it the id of every log line written
    while the request is served, and echoes it in the response's `X-Request-ID`. First in MIDDLEWARE, so that the
    errors Django logs for inner middleware (a disallowed Host) carry it too."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """`Permissions-Policy` on every response; `Cache-Control: no-store` on every API response, so that ticket data and
    tokens stay in no browser or proxy cache. (The admin's pages are `never_cache` already.)"""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if request.path.startswith("/api/"):
            add_never_cache_headers(response)
        return response
