"""Settings for the benchmark: the production settings, plus (only when BENCH is set) a query-counting middleware and
the floor endpoint. Never used in production: bench/run starts gunicorn with DJANGO_SETTINGS_MODULE=bench.settings."""

import os

from ticketsite.settings import *  # noqa: F403

if os.environ.get("BENCH"):
    # Outermost, so it counts every query of the request, authentication included.
    MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]  # noqa: F405
    ROOT_URLCONF = "bench.urls"
