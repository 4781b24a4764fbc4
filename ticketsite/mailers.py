"""Django's MAILERS setting from one EMAIL_URL (docs/email.md): django-environ parses the URL into the old EMAIL_*
names, which Django 6.1 deprecates; this maps them to a mailer's BACKEND and OPTIONS."""

from __future__ import annotations

from typing import Any

# django-environ's names -> the SMTP backend's OPTIONS.
_SMTP_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
}
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def mailer_from_email_url(config: dict[str, Any], *, timeout: int = 30) -> dict[str, Any]:
    """One MAILERS entry from `env.email_url()`'s dict."""
    backend = config["EMAIL_BACKEND"]
    options: dict[str, Any] = {}
    if backend == SMTP_BACKEND:
        options = {option: config[name] for name, option in _SMTP_OPTIONS.items() if config.get(name) not in (None, "")}
        options["timeout"] = timeout
    elif backend == FILE_BACKEND:
        options = {"file_path": "/" + config["EMAIL_FILE_PATH"].lstrip("/")}
    return {"BACKEND": backend, "OPTIONS": options}
