"""Django test clients signed in without the login: for the tests that sign in thousands of times (the leak hunts)."""

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.test import Client

from ticketsite.backends import PERMISSION_BACKEND


def signed_in_client(user: Any) -> Client:
    """A client whose new session holds what `Client.force_login` leaves in it (the user, the backend that loads them,
    their password's hash), written directly: the login's own work (a new session key, `last_login`, the lockout's
    records) cost six times as much and no page reads it."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = PERMISSION_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client
