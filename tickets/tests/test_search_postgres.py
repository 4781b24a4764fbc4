"""Full-text search on PostgreSQL only (docs/search.md): the stored weighted tsvector and its GIN index, English
stemming, ts_headline snippets. The behaviour both databases share is in test_search.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.factories import UserFactory
from tickets.models import TicketSearchDocument
from tickets.services import tickets as ticket_services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("postgres_only")]

URL = "/api/v1/tickets/"


@pytest.fixture
def carol():
    return UserFactory(username="carol")


def search(client: Any, text: str) -> dict[str, Any]:
    response = client.get(URL, {"search": text})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_document_is_a_stored_weighted_tsvector_of_each_part(carol):
    ticket = ticket_services.ticket_create(actor=carol, title="Projector", description="Lamp flickers.")
    ticket_services.comment_create(ticket=ticket, actor=carol, note="Replaced the cable.")

    vector = str(TicketSearchDocument.objects.get(ticket=ticket).vector)

    assert "'projector':3A" in vector  # after the key's two lexemes
    assert "'lamp':4B" in vector
    assert "'cabl':" in vector and vector.split("'cabl':")[1].split()[0].endswith("C")


def test_the_gin_index_answers_the_match(carol):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ticket_search_documents_vector_gin'")
        assert "USING gin (vector)" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT ticket_id FROM ticket_search_documents WHERE vector @@ websearch_to_tsquery('english', 'x')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_search_documents_vector_gin" in plan


def test_english_stems_so_a_plural_finds_the_singular(carol, client_for):
    ticket = ticket_services.ticket_create(actor=carol, title="Printer crashing", description="")

    for text in ("printers", "crashed", "crash"):
        assert [row["key"] for row in search(client_for(carol), text)["results"]] == [ticket.key], text
    assert search(client_for(carol), "the")["count"] == 0  # a stop word alone matches nothing (and is no error)


def test_snippets_come_from_ts_headline_with_the_words_marked(carol, client_for):
    long_text = " ".join(["filler"] * 80) + " the badge reader at the north door \x01 rejects cards " + " ".join(["x"] * 80)
    ticket = ticket_services.ticket_create(actor=carol, title="Door", description=long_text)

    [row] = search(client_for(carol), '"badge reader"')["results"]

    assert row["key"] == ticket.key
    [highlight] = row["highlights"]
    assert highlight["where"] == "in the description"
    assert [part["text"] for part in highlight["parts"] if part["match"]] == ["badge", "reader"]
    assert "\x01" not in highlight["snippet"] and "\x02" not in highlight["snippet"]
    assert len(highlight["snippet"]) < 400
