"""EMAIL_URL becomes Django's MAILERS entry (ticketsite.mailers): the SMTP server and its credentials, a mail
directory, or the console."""

import environ
import pytest

from ticketsite.mailers import mailer_from_email_url


def mailer(url: str) -> dict:
    return mailer_from_email_url(environ.Env.email_url_config(url))


def test_an_smtp_url_with_starttls_gives_host_port_credentials_and_a_timeout():
    assert mailer("smtp+tls://tickets%40example.com:s%3Acret@smtp.example.com:587") == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "smtp.example.com",
            "port": 587,
            "username": "tickets@example.com",
            "password": "s:cret",
            "use_tls": True,
            "timeout": 30,
        },
    }


def test_an_smtp_url_with_implicit_tls_and_one_without_credentials():
    assert mailer("smtp+ssl://u:p@smtp.example.com:465")["OPTIONS"]["use_ssl"] is True
    assert mailer("smtp://relay.internal:25")["OPTIONS"] == {"host": "relay.internal", "port": 25, "timeout": 30}


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        ("consolemail://", "django.core.mail.backends.console.EmailBackend", {}),
        ("filemail:///var/mail/out", "django.core.mail.backends.filebased.EmailBackend", {"file_path": "/var/mail/out"}),
        ("memorymail://", "django.core.mail.backends.locmem.EmailBackend", {}),
    ],
)
def test_the_development_backends(url, backend, options):
    assert mailer(url) == {"BACKEND": backend, "OPTIONS": options}


def test_the_test_run_delivers_to_memory(settings):
    # pytest-django replaces every mailer with locmem, so no test can reach a real server by accident.
    assert settings.MAILERS == {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
