"""Request rates of the API (docs/security.md): each user's reads and writes are counted apart, in the `default`
cache, which every web process shares (`CACHE_URL`). Past the rate: 429 `throttled` with `Retry-After`."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

SECONDS_PER_PERIOD = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate format, e.g. `5/hour` -> (5, 3600): the period's first letter counts."""
    count, period = rate.split("/")
    return int(count), SECONDS_PER_PERIOD[period[0]]


class MethodRateThrottle(UserRateThrottle):
    """Counts one kind of request (reads or writes) per user; anonymous callers per client address."""

    scope: str
    counts_reads: bool

    def get_rate(self) -> str | None:
        # DRF binds the rates once, at import; reading them per request lets settings overrides (tests) apply.
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        rate: str | None = rates[self.scope]
        return rate

    def allow_request(self, request: Request, view: Any) -> bool:
        if (request.method in SAFE_METHODS) != self.counts_reads:
            return True
        return super().allow_request(request, view)


class ReadRateThrottle(MethodRateThrottle):
    scope = "api_read"
    counts_reads = True


class WriteRateThrottle(MethodRateThrottle):
    scope = "api_write"
    counts_reads = False
