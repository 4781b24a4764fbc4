"""Deployment checks of our own (`manage.py check --deploy`): mail that would go nowhere, and mail links that would
point at a development address (docs/email.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

# Backends that deliver no mail to anyone: the development default prints it, the others keep it in memory or drop it.
NOT_DELIVERING = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "testserver"}


@register(Tags.compatibility, deploy=True)
def check_mail_delivery(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    if backend in NOT_DELIVERING:
        return [
            Warning(
                f"E-mail is not delivered: the default mailer is {backend}.",
                hint="Set EMAIL_URL to your mail server, e.g. smtp+tls://user:password@smtp.example.com:587 (docs/email.md).",
                id="ticketsite.W001",
            )
        ]
    return []


@register(Tags.compatibility, deploy=True)
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    url = urlsplit(settings.SITE_URL)
    if url.scheme != "https" or (url.hostname or "") in LOCAL_HOSTS:
        return [
            Warning(
                f"SITE_URL is {settings.SITE_URL!r}: links in e-mail (the ticket, approve, reject, unsubscribe) would "
                "not reach the site.",
                hint="Set SITE_URL to the https address people use, e.g. https://tickets.example.com.",
                id="ticketsite.W002",
            )
        ]
    return []
