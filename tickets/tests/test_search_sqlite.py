"""Full-text search on SQLite (docs/search.md): the simpler match, every term a case-insensitive substring of the key,
title, description or the document's text (comments and custom-field strings), without stemming."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.factories import UserFactory
from tickets.models import TicketSearchDocument
from tickets.services import tickets as ticket_services

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


@pytest.fixture(autouse=True)
def sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's match; PostgreSQL's is in test_search_postgres.py")


def keys(client: Any, text: str) -> list[str]:
    response = client.get(URL, {"search": text})
    assert response.status_code == 200, response.content
    return [row["key"] for row in response.json()["results"]]


def test_words_match_as_substrings_without_stemming(client_for):
    carol = UserFactory(username="carol")
    ticket = ticket_services.ticket_create(actor=carol, title="Printer offline", description="")
    ticket_services.comment_create(ticket=ticket, actor=carol, note="Toner-cartridge swapped.")
    client = client_for(carol)

    assert keys(client, "print") == [ticket.key]
    assert keys(client, "CARTRIDGE") == [ticket.key]
    assert keys(client, "printers") == []
    assert keys(client, '"toner-cartridge swapped"') == [ticket.key]


def test_the_document_holds_comments_and_field_strings_as_plain_text(client_for):
    carol = UserFactory(username="carol")
    ticket = ticket_services.ticket_create(actor=carol, title="Printer", description="Second floor.")
    ticket_services.comment_create(ticket=ticket, actor=carol, note="Toner swapped.")

    document = TicketSearchDocument.objects.get(ticket=ticket)

    assert document.text == "Toner swapped."
    assert document.vector is None


def test_highlights_mark_every_occurrence_in_a_window_of_the_text(client_for):
    carol = UserFactory(username="carol")
    description = "Start. " + "word " * 60 + "The VPN drops, then the vpn reconnects. " + "more " * 60
    ticket = ticket_services.ticket_create(actor=carol, title="Remote access", description=description)

    row = client_for(carol).get(URL, {"search": "vpn"}).json()["results"][0]

    assert row["key"] == ticket.key
    [highlight] = row["highlights"]
    assert highlight["where"] == "in the description"
    assert [part["text"] for part in highlight["parts"] if part["match"]] == ["VPN", "vpn"]
    assert highlight["snippet"].startswith("…") and highlight["snippet"].endswith("…")
