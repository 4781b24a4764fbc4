"""Production serving: settings from the environment pass `check --deploy`, refuse to start without secrets, and the
gunicorn configuration loads. Each check runs in a subprocess with production environment variables."""

import contextlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import RequestFactory

from bench.middleware import QueryCountMiddleware

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def production_env(**overrides: str) -> dict[str, str]:
    """A clean environment: nothing inherited from the test run (test_settings sets variables in os.environ)."""
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "ticketsite.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "example.com",
        "EMAIL_URL": "smtp+tls://tickets:secret@smtp.example.com:587",
        "SITE_URL": "https://tickets.example.com",
    }
    return env | overrides


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_deploy_security_checks_pass_with_production_settings():
    result = manage("check", "--deploy", "--tag", "security", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "security." not in result.stdout + result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr


# The checks that the mail settings raise (ticketsite/checks.py): the whole `check --deploy`, drf-spectacular's schema
# generation among them (seconds per run), is run by the tests above.
MAIL_CHECKS = ("check", "--deploy", "--tag", "compatibility", "--fail-level", "WARNING")


def test_check_deploy_warns_when_mail_would_not_be_delivered():
    env = production_env()
    del env["EMAIL_URL"]  # the development default: printed on the console

    result = manage(*MAIL_CHECKS, env=env)

    assert result.returncode != 0
    assert "ticketsite.W001" in result.stderr
    assert "django.core.mail.backends.console.EmailBackend" in result.stderr
    assert "ticketsite.W002" not in result.stderr


@pytest.mark.parametrize("site_url", ["http://tickets.example.com", "https://127.0.0.1:8000", None])
def test_check_deploy_warns_when_mail_links_would_not_reach_the_site(site_url: str | None):
    env = production_env()
    if site_url is None:
        del env["SITE_URL"]
    else:
        env["SITE_URL"] = site_url

    result = manage(*MAIL_CHECKS, env=env)

    assert result.returncode != 0
    assert "ticketsite.W002" in result.stderr
    assert "ticketsite.W001" not in result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_gunicorn_configuration_loads_the_application():
    env = production_env(WEB_CONCURRENCY="2", GUNICORN_BIND="127.0.0.1:0")

    result = subprocess.run(
        [str(GUNICORN), "--check-config", "-c", "gunicorn.conf.py", "ticketsite.wsgi:application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_bench_query_counter_reports_the_queries_of_a_request():
    def view(request):
        User.objects.count()
        User.objects.exists()
        return HttpResponse("ok")

    response = QueryCountMiddleware(view)(RequestFactory().get("/"))

    assert response["X-Query-Count"] == "2"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_access_log_lines_stay_valid_json_whatever_the_request_carries():
    port = free_port()
    env = production_env(WEB_CONCURRENCY="1", GUNICORN_BIND=f"127.0.0.1:{port}")
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "gunicorn.conf.py", "ticketsite.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        hostile = 'x" , "status": 999, "injected": "\\'
        request = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        request.request("GET", '/healthz?q="quoted"', headers={"Host": "example.com", "User-Agent": hostile})
        response = request.getresponse()
        request_id = response.getheader("X-Request-ID")
        response.read()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)

    access_lines = [json.loads(line) for line in output.splitlines() if '"duration_ms"' in line]
    assert response.status == 200
    assert len(access_lines) == 1, output
    assert access_lines[0]["user_agent"] == hostile
    assert access_lines[0]["query"] == 'q="quoted"'
    assert access_lines[0]["status"] == 200
    assert "injected" not in access_lines[0]
    assert access_lines[0]["request_id"] == request_id
