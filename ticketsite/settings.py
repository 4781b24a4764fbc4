"""Settings, read from the environment (django-environ). See docs/operations.md for every variable."""

from datetime import timedelta
from pathlib import Path

import environ

from ticketsite.mailers import mailer_from_email_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Outside DEBUG a real key is required; the development fallback never reaches production.
SECRET_KEY = env("SECRET_KEY", default="dev-insecure-secret-key-change-me-0123456789abcdef" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "ticketsite",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files (no CDN; the CSP allows only 'self')
    "drf_standardized_errors",
    "django_tasks_db",
    "axes",
    "tickets",
    "approvals",
    "permissions",
    "notifications",
    "sla",  # service levels: business calendars, policies, the tickets' clocks (docs/service-levels.md)
    "mailgate",  # mail in: replies, new tickets and approvals by e-mail (docs/email.md)
    "savedviews",  # saved ticket views: filters, sort and columns, personal or shared with roles
    "reports",  # reports over the caller's visible tickets, and CSV/XLSX exports
    "django_htmx",
    "workspace",  # the web pages of requesters, approvers and agents (docs/workspace.md)
    "demo",  # development data commands (seed_demo, seed_volume); no other app imports it
]

MIDDLEWARE = [
    "ticketsite.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "workspace.middleware.WorkspaceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "ticketsite.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes requires: turns a locked-out admin login into a 429 page (the API answers its own 429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ticketsite.urls"
WSGI_APPLICATION = "ticketsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "workspace.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Project tables live in schema "ticket" (created by ticketsite's first migration); see docs/architecture.md.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c search_path=ticket,public"
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every web process (throttle counters): a database table by default (created by migration
# ticketsite.0002), Redis with CACHE_URL=rediscache://host:6379/1. Never a per-process cache in production.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://django_cache?MAX_ENTRIES=10000")}

# Reverse proxies in front of the web processes that append the client's address to X-Forwarded-For. 0: the header is
# ignored (anyone can send it) and REMOTE_ADDR is the client. Used by the throttles and the login lockout alike.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# Login lockout (django-axes, docs/security.md): failures counted in the database per username and per client address,
# shared by the token endpoint, the admin login and any other login that calls authenticate() with the request.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "ticketsite.backends.PermissionBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_CLIENT_IP_CALLABLE = "ticketsite.authentication.client_ip"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False  # no "AXES: BEGIN" banner at every process start
# The page a locked-out person sees at the workspace's and the admin's login (status 429).
AXES_LOCKOUT_TEMPLATE = "workspace/locked_out.html"

# The workspace (docs/workspace.md) signs people in with a session; the admin keeps its own login page.
LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "workspace:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": env("DEFAULT_FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Every request body but uploaded files (JSON, admin forms): larger is a 413. Each text at its limit
# (ticketsite/limits.py) fits. Uploads stream to disk past FILE_UPLOAD_MAX_MEMORY_SIZE.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
ATTACHMENT_MAX_SIZE = env.int("ATTACHMENT_MAX_SIZE", default=25 * 1024 * 1024)
ATTACHMENT_ALLOWED_CONTENT_TYPES = env.list(
    "ATTACHMENT_ALLOWED_CONTENT_TYPES",
    default=[
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)
# Quotas over live (not deleted) attachments, and how much of a ZIP directory is read (docs/attachments.md).
ATTACHMENT_USER_QUOTA_BYTES = env.int("ATTACHMENT_USER_QUOTA_BYTES", default=1024**3)
ATTACHMENT_TICKET_QUOTA_BYTES = env.int("ATTACHMENT_TICKET_QUOTA_BYTES", default=200 * 1024**2)
ATTACHMENT_TICKET_MAX_COUNT = env.int("ATTACHMENT_TICKET_MAX_COUNT", default=100)
ATTACHMENT_ZIP_MAX_ENTRIES = env.int("ATTACHMENT_ZIP_MAX_ENTRIES", default=10_000)
# Deleted attachments older than this are purged, bytes and row, by `manage.py purge_attachments`.
ATTACHMENT_RETENTION_DAYS = env.int("ATTACHMENT_RETENTION_DAYS", default=30)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ticketsite.authentication.AccountJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "ticketsite.pagination.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "ticketsite.filters.StrictFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "ticketsite.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "NUM_PROXIES": NUM_PROXIES,
    # Per user (ticketsite/throttling.py), counted in the shared default cache; the token endpoints use "auth" only.
    # An empty API rate means no limit (e.g. when the proxy limits, or for the benchmark).
    "DEFAULT_THROTTLE_CLASSES": ["ticketsite.throttling.ReadRateThrottle", "ticketsite.throttling.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "auth": env("AUTH_THROTTLE_RATE", default="20/min"),
        "api_read": env("API_READ_THROTTLE_RATE", default="600/min") or None,
        "api_write": env("API_WRITE_THROTTLE_RATE", default="120/min") or None,
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PARSER_CLASSES": [
        # A JSON API: upload endpoints declare MultiPartParser themselves.
        "ticketsite.parsers.LimitedJSONParser",
    ],
}

# Submitting a ticket for approval mails its approvers (maybe a whole role): one person may submit one ticket at most
# this often (withdraw and resubmit loops); counted on the ticket's timeline (tickets.services.tickets).
TICKET_SUBMIT_THROTTLE_RATE = env("TICKET_SUBMIT_THROTTLE_RATE", default="5/hour")

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "ticketsite.exception_handler.ApiExceptionHandler",
    "ERROR_SCHEMAS": {401: "ticketsite.schema.ErrorResponse401Serializer"},
}

JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default=SECRET_KEY if DEBUG else environ.Env.NOTSET)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ISSUER": env("JWT_ISSUER", default="ticketsite"),
    "AUDIENCE": env("JWT_AUDIENCE", default="ticketsite-api"),
    "LEEWAY": 5,
    # Every token carries a digest of the user's password hash: a password change ends all earlier tokens.
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ticket system API",
    "DESCRIPTION": "Enterprise ticket system: tickets, approvals, permissions, notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One tag per area, in this order in Swagger UI; ApiAutoSchema.get_tags assigns each path to one of them.
    "TAGS": [
        {"name": "auth", "description": "JWT tokens: obtain, refresh, verify, log out."},
        {"name": "tickets", "description": "Tickets, their status transitions, comments and timeline."},
        {"name": "templates", "description": "Ticket templates and their custom-field schemas."},
        {"name": "classification", "description": "Categories and labels."},
        {"name": "attachments", "description": "Files on tickets and templates."},
        {"name": "approvals", "description": "Approval templates, a ticket's approval process, pending decisions."},
        {"name": "delegations", "description": "Approvers' proxies for a period."},
        {"name": "grants", "description": "Who else may view a restricted ticket (view permissions)."},
        {"name": "access requests", "description": "Asking for, approving and denying access to a restricted ticket."},
        {
            "name": "notifications",
            "description": "The in-app inbox, the notification rules, and the caller's e-mail preferences.",
        },
        {"name": "directory", "description": "Users, roles and the signed-in person (read only)."},
        {"name": "service levels", "description": "Business calendars and SLA policies (docs/service-levels.md)."},
        {"name": "saved views", "description": "Ticket list filters, sort and columns, personal or shared (docs/views.md)."},
        {"name": "reports", "description": "Figures over the caller's visible tickets; CSV and XLSX exports."},
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        # One name per choice set, so that clients see one enum wherever the same TextChoices appear.
        "TicketStatusEnum": "tickets.models.TicketStatus.choices",
        "TicketPriorityEnum": "tickets.models.TicketPriority.choices",
        "TicketVisibilityEnum": "tickets.models.TicketVisibility.choices",
        "SlaStatusEnum": "tickets.models.SlaStatus.choices",
        "TimelineEventTypeEnum": "tickets.models.EventType.choices",
        "NotificationEventTypeEnum": "notifications.models.NotificationEvent.choices",
        "AccessRequestStatusEnum": "permissions.models.AccessRequestStatus.choices",
        "ApprovalProcessStatusEnum": "approvals.models.ProcessStatus.choices",
        "ApprovalStepStatusEnum": "approvals.models.StepStatus.choices",
        "ApprovalSlotStatusEnum": "approvals.models.SlotStatus.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "ticketsite.schema.list_index_attrs_as_patterns",
    ],
}

# Django's built-in Tasks framework: immediate in development and tests, database-backed worker in production.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django.tasks.backends.immediate.ImmediateBackend"),
    }
}

# E-mail (docs/email.md). EMAIL_URL in django-environ's form sets the backend and its server:
# smtp+tls://user:pass@host:587, smtp+ssl://…:465, consolemail://, filemail:///path, memorymail://.
MAILERS = {"default": mailer_from_email_url(env.email_url("EMAIL_URL", default="consolemail://"))}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="tickets@example.com")
# Absolute links in mail (the ticket page, approval and unsubscribe links): the address people reach the site at.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Replies: each mail's Reply-To is this address plus-addressed with a signed token (support+<token>@example.com).
# Empty: DEFAULT_FROM_EMAIL.
MAIL_REPLY_ADDRESS = env("MAIL_REPLY_ADDRESS", default="")
# New tickets by e-mail: mail to this address from an active user's address becomes a ticket. Empty: no intake.
MAIL_INTAKE_ADDRESS = env("MAIL_INTAKE_ADDRESS", default="")
# The ticket template of tickets opened by e-mail (its name; empty: none).
MAIL_INTAKE_TEMPLATE = env("MAIL_INTAKE_TEMPLATE", default="")
# Opt-in fallback for unknown senders: the username tickets from unknown addresses are opened as. Empty: refused.
MAIL_INTAKE_FALLBACK_USER = env("MAIL_INTAKE_FALLBACK_USER", default="")
# Refuse inbound messages larger than this; accept at most this many messages per sender per hour.
MAIL_MAX_MESSAGE_BYTES = env.int("MAIL_MAX_MESSAGE_BYTES", default=25 * 1024 * 1024)
MAIL_SENDER_RATE_PER_HOUR = env.int("MAIL_SENDER_RATE_PER_HOUR", default=30)
# Approve/Reject links in "approval requested" mail stay valid this long (and only while the slot is actionable).
MAIL_APPROVAL_LINK_MAX_AGE_DAYS = env.int("MAIL_APPROVAL_LINK_MAX_AGE_DAYS", default=7)
# The mailbox `manage.py fetch_mail` polls: imaps:// or imap+ssl:// (993), imap+starttls:// (143), or imap:// without
# encryption (a server on the same host, the tests): imaps://user:pass@host:993/INBOX.
MAIL_IMAP_URL = env("MAIL_IMAP_URL", default="")
# XOAUTH2 instead of the URL's password (Microsoft 365, Google): an access token obtained outside the app. Such tokens
# last about an hour, so a long-running `fetch_mail --loop` reads MAIL_IMAP_OAUTH2_TOKEN_FILE afresh on every run
# instead (a refresher outside the app rewrites the file); the variable suits a cron job that sets it each time.
MAIL_IMAP_OAUTH2_TOKEN = env("MAIL_IMAP_OAUTH2_TOKEN", default="")
MAIL_IMAP_OAUTH2_TOKEN_FILE = env("MAIL_IMAP_OAUTH2_TOKEN_FILE", default="")

# Exports (docs/reports.md): more tickets than this are written by a background task, and the requester is notified.
EXPORT_STREAM_MAX_ROWS = env.int("EXPORT_STREAM_MAX_ROWS", default=5000)

# Content security policy (Django's built-in CSP). Scripts only from our own static files: the admin needs no inline
# script and Swagger UI's start-up script is a separate file (SpectacularSwaggerSplitView). The admin and Swagger UI
# still set inline styles. A browser test (tests/browser/) fails on any CSP violation.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
}
# Browser features no page of ours uses (ticketsite.middleware.SecurityHeadersMiddleware sends it on every response).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One JSON object per line with the request id (ticketsite/logging.py, ticketsite/middleware.py).
    "formatters": {"json": {"()": "ticketsite.logging.JsonFormatter"}},
    "filters": {"request_id": {"()": "ticketsite.logging.RequestIdFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
