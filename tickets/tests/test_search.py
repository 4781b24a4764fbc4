"""Full-text search through the ticket list API (docs/search.md), on whichever database the run uses: the same
behaviour on PostgreSQL (tsvector, websearch_to_tsquery, ts_headline) and SQLite (substrings). What only one of them
does is in test_search_postgres.py and test_search_sqlite.py."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tickets.models import TicketSearchDocument, TicketVisibility
from tickets.services import tickets as ticket_services
from tickets.tests.factories import TicketTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


@pytest.fixture
def carol():
    return UserFactory(username="carol")


@pytest.fixture
def dave():
    return UserFactory(username="dave")


@pytest.fixture
def template():
    return TicketTemplateFactory(
        custom_fields_schema={
            "type": "object",
            "properties": {"asset_tag": {"type": "string"}, "rooms": {"type": "array", "items": {"type": "string"}}},
        }
    )


def create(actor: Any, title: str, description: str = "", **fields: Any) -> Any:
    return ticket_services.ticket_create(actor=actor, title=title, description=description, **fields)


def comment(ticket: Any, actor: Any, note: str) -> Any:
    return ticket_services.comment_create(ticket=ticket, actor=actor, note=note)


def search(client: Any, text: str, **params: Any) -> dict[str, Any]:
    response = client.get(URL, {"search": text, **params})
    assert response.status_code == 200, response.content
    return response.json()


def keys(body: dict[str, Any]) -> list[str]:
    return [row["key"] for row in body["results"]]


def test_a_word_in_a_comment_finds_the_ticket_and_says_whose_comment(carol, dave, client_for):
    ticket = create(carol, "Laptop is slow", "Since Monday.")
    comment(ticket, dave, "The fan is full of dust, I will clean the heatsink tomorrow.")
    create(carol, "Another ticket", "Nothing about cooling.")

    body = search(client_for(carol), "heatsink")

    assert keys(body) == [ticket.key]
    assert body["count"] == 1
    [highlight] = body["results"][0]["highlights"]
    assert highlight["where"] == "in a comment by dave"
    assert (highlight["source"], highlight["name"]) == ("comment", "dave")
    assert "heatsink" in highlight["snippet"]
    assert {"text": "heatsink", "match": True} in highlight["parts"]
    assert "".join(part["text"] for part in highlight["parts"]) == highlight["snippet"]


def test_a_custom_field_string_finds_the_ticket_even_nested_in_a_list(carol, template, client_for):
    ticket = create(carol, "New monitor", template=template, custom_fields={"asset_tag": "ZX-99", "rooms": ["Boardroom"]})
    create(carol, "Other", template=template, custom_fields={"asset_tag": "AB-01"})

    body = search(client_for(carol), "boardroom")

    assert keys(body) == [ticket.key]
    assert [(h["where"], h["name"]) for h in body["results"][0]["highlights"]] == [("in field rooms", "rooms")]
    assert {"text": "Boardroom", "match": True} in body["results"][0]["highlights"][0]["parts"]


def test_a_title_match_ranks_above_a_comment_match_and_ordering_overrides_rank(carol, client_for):
    in_comment = create(carol, "Monitor flickers", "Since the move.")
    comment(in_comment, carol, "Maybe the docking station is broken.")
    in_title = create(carol, "Docking station missing", "Desk 4.")
    in_description = create(carol, "Desk setup", "The docking station needs a new cable.")

    ranked = search(client_for(carol), "docking")
    by_key = search(client_for(carol), "docking", ordering="key")

    assert keys(ranked) == [in_title.key, in_description.key, in_comment.key]
    assert [h["where"] for row in ranked["results"] for h in row["highlights"]] == [
        "in the title",
        "in the description",
        "in a comment by carol",
    ]
    assert keys(by_key) == [in_comment.key, in_title.key, in_description.key]


def test_quotes_exclusion_and_or(carol, client_for):
    both = create(carol, "Printer jam", "The paper tray of the printer is stuck.")
    printer_only = create(carol, "Printer toner", "Toner is empty.")
    wifi = create(carol, "Wifi drops", "In the meeting room.")
    client = client_for(carol)

    assert keys(search(client, '"paper tray"')) == [both.key]
    assert keys(search(client, '"tray paper"')) == []
    assert sorted(keys(search(client, "printer -paper"))) == [printer_only.key]
    assert sorted(keys(search(client, "toner or wifi"))) == sorted([printer_only.key, wifi.key])
    assert sorted(keys(search(client, "printer toner or jam"))) == sorted([both.key, printer_only.key])


def test_a_hidden_tickets_comment_never_matches(carol, dave, client_for):
    hidden = create(carol, "Salary review", visibility=TicketVisibility.RESTRICTED)
    comment(hidden, carol, "The budget codeword is quokkasecret.")
    agent = UserFactory(perms=["tickets.work_on_ticket"])

    for outsider in (dave, agent):
        body = search(client_for(outsider), "quokkasecret")
        assert body["count"] == 0
        assert "quokkasecret" not in str(body)
        assert search(client_for(outsider), hidden.key)["count"] == 0
    assert keys(search(client_for(carol), "quokkasecret")) == [hidden.key]


def test_deleted_and_redacted_comments_never_match_nor_show(carol, client_for):
    ticket = create(carol, "Mailbox full", "Archive please.")
    deleted = comment(ticket, carol, "Old note about wombatword.")
    redacted = comment(ticket, carol, "My password is platypusword.")
    edited = comment(ticket, carol, "First version with echidnaword.")
    client = client_for(carol)
    assert keys(search(client, "wombatword")) == [ticket.key]
    assert keys(search(client, "platypusword")) == [ticket.key]

    ticket_services.comment_delete(comment=deleted, actor=carol)
    ticket_services.comment_redact(comment=redacted, actor=carol, reason="a password")
    ticket_services.comment_update(comment=edited, actor=carol, note="Second version.")

    for word in ("wombatword", "platypusword", "echidnaword"):
        assert search(client, word)["count"] == 0, word
    # The redaction marker is not searchable text either, and no highlight shows a removed comment.
    assert search(client, "redacted")["count"] == 0
    assert keys(search(client, "archive")) == [ticket.key]
    assert "wombatword" not in str(search(client, "archive"))


def test_editing_title_description_and_custom_fields_updates_the_document(carol, template, client_for):
    ticket = create(carol, "Old title", "Old description.", template=template, custom_fields={"asset_tag": "OLD-1"})
    client = client_for(carol)

    ticket_services.ticket_update(
        ticket=ticket,
        actor=carol,
        data={"title": "Keyboard swap", "description": "Keys stick.", "custom_fields": {"asset_tag": "Spacebar"}},
    )

    assert search(client, "old")["count"] == 0
    for word in ("keyboard", "stick", "spacebar"):
        assert keys(search(client, word)) == [ticket.key], word


def test_a_restored_ticket_is_found_again(carol, client_for):
    admin = UserFactory(is_staff=True, perms=["tickets.delete_ticket", "tickets.change_ticket"])
    ticket = create(carol, "Projector bulb", "Room 2.")
    ticket_services.ticket_delete(ticket=ticket, actor=admin)
    TicketSearchDocument.all_objects.filter(ticket=ticket).delete()  # as if deleted before search existed
    assert search(client_for(carol), "projector")["count"] == 0

    ticket_services.ticket_restore(ticket=ticket, actor=admin)

    assert keys(search(client_for(carol), "projector")) == [ticket.key]


def test_a_key_or_its_number_puts_that_ticket_first(carol, client_for):
    target = create(carol, "Chair broken", "")
    mentions = create(carol, f"See {target.key} and ticket {target.pk}", f"Like {target.key}.")
    client = client_for(carol)

    for text in (target.key, target.key.lower(), str(target.pk)):
        body = search(client, text)
        assert keys(body)[0] == target.key, text
        assert mentions.key in keys(body), text


def test_not_searching_gives_empty_highlights_and_the_usual_shape(carol, client_for):
    create(carol, "Plain ticket", "")

    row = client_for(carol).get(URL).json()["results"][0]
    detail = client_for(carol).get(f"{URL}{row['id']}/").json()

    assert row["highlights"] == [] == detail["highlights"]
    assert {"id", "key", "title", "allowed_transitions", "custom_fields", "sla_status"} <= set(row)


def test_a_search_too_long_is_a_400_and_nul_characters_are_ignored(carol, client_for):
    ticket = create(carol, "Headset crackles", "")
    client = client_for(carol)

    too_long = client.get(URL, {"search": "x" * 501})
    assert too_long.status_code == 400
    assert (too_long.json()["errors"][0]["attr"], too_long.json()["errors"][0]["code"]) == ("search", "max_length")
    assert keys(search(client, "head\x00set crackles")) == [ticket.key]
    assert keys(search(client, "\x00crackles")) == [ticket.key]
    assert search(client, "   ")["count"] == 1  # blank: no search


def test_the_rebuild_command_fills_documents_of_tickets_loaded_without_the_services(carol, client_for):
    ticket = create(carol, "Docking station", "")
    comment(ticket, carol, "Needs a zebracable.")
    TicketSearchDocument.all_objects.all().delete()
    assert search(client_for(carol), "zebracable")["count"] == 0

    call_command("rebuild_search_index", "--batch-size", "1", stdout=StringIO())

    assert keys(search(client_for(carol), "zebracable")) == [ticket.key]


def _count_queries(client: Any, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(queries), response.json()


def test_highlights_cost_one_query_per_page_whatever_its_length(carol, dave, client_for):
    def world(count: int) -> None:
        for index in range(count):
            ticket = create(carol, f"Scanner {index}", "The scanner is offline.")
            comment(ticket, dave, "Rebooted the scanner, still offline.")

    client = client_for(carol)
    client.get(URL)  # the caller's permissions, cached on the user from then on
    world(5)
    few, body_few = _count_queries(client, {"search": "scanner", "page_size": 100})
    world(5)
    many, body_many = _count_queries(client, {"search": "scanner", "page_size": 100})

    assert (body_few["count"], body_many["count"]) == (5, 10)
    assert all(len(row["highlights"]) == 3 for row in body_many["results"])
    assert few == many
    # The same list without a search: the search adds its one highlights query and nothing per row.
    plain, _ = _count_queries(client, {"page_size": 100, "status": "draft"})
    assert many == plain + 1


def test_the_document_changes_in_the_services_transaction_and_rolls_back_with_it(carol, client_for):
    ticket = create(carol, "Badge", "")

    with pytest.raises(RuntimeError), transaction.atomic():
        comment(ticket, carol, "The yakbadge is lost.")
        raise RuntimeError("the caller's transaction fails after the comment")

    assert search(client_for(carol), "yakbadge")["count"] == 0
    assert TicketSearchDocument.objects.filter(ticket=ticket).count() == 1
