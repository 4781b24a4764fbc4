"""Meta-test: every workspace route is hunted for leaks (a `test_leak_*.py` module of this package lists it in HUNTED)
or exempt below with the reason."""

from __future__ import annotations

import importlib
import pkgutil

from django.urls import URLPattern, URLResolver, get_resolver

import workspace.tests

EXEMPT: dict[str, str] = {
    "login": "takes a username and password; shows no ticket",
    "logout": "ends the session; shows no ticket",
    "password-change": "changes the caller's own password; shows no ticket",
    "home": "redirects to the caller's first page; shows no ticket",
}


def workspace_route_names() -> set[str]:
    names: set[str] = set()

    def walk(resolver: URLResolver, inside: bool) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, inside or entry.namespace == "workspace")
            elif isinstance(entry, URLPattern) and inside:
                names.add(entry.name or "")

    walk(get_resolver(), False)
    return names


def hunted_names() -> set[str]:
    names: set[str] = set()
    for module in pkgutil.iter_modules(workspace.tests.__path__):
        if module.name.startswith("test_leak_"):
            names |= set(importlib.import_module(f"workspace.tests.{module.name}").HUNTED)
    return names


def test_every_workspace_route_is_hunted_or_exempt():
    assert sorted(workspace_route_names() - hunted_names() - set(EXEMPT)) == []


def test_the_walk_sees_the_workspace():
    assert {"login", "home", "ticket", "queue"} <= workspace_route_names()


def test_the_pages_mail_links_open_are_hunted():
    mail_pages = {"mail-approval", "mail-unsubscribe", "notification-preferences"}

    assert mail_pages <= workspace_route_names()
    assert mail_pages <= hunted_names()


def test_no_stale_entries():
    assert sorted((hunted_names() | set(EXEMPT)) - workspace_route_names()) == []
