"""Admin registrations of the tickets app, one module per area."""

from tickets.admin import attachments, classification, tickets  # noqa: F401
