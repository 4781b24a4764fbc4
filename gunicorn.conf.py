"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py ticketsite.wsgi`. Everything comes from the
environment (see docs/operations.md); the web process is stateless, so scaling out is running more of them."""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


# Loopback by default; in a container or behind a load balancer set GUNICORN_BIND=0.0.0.0:8000.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers: each request holds one worker; the usual rule of thumb is 2 x cores + 1.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then, so a slow leak never grows without bound; jitter avoids restarting all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The proxy in front terminates TLS and sets X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER trusts it).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = os.environ.get("GUNICORN_PRELOAD", "") in ("1", "true", "True")
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else None)

# Logs go to stdout/stderr for the platform to collect. The access log is one JSON object per request
# (GUNICORN_ACCESS_LOG="" turns it off, e.g. for the benchmark); Django's own logs are JSON lines too (settings.LOGGING).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# One JSON object per request, serialised by ticketsite.access_log (safe for any header or path).
logger_class = "ticketsite.access_log.JsonAccessLogger"
