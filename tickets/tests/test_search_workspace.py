"""The workspace's search box (the "all" queue with ?q=) is the API's full-text search: results with highlights for
whoever may see the ticket, nothing of a hidden ticket for anyone else."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from tickets.models import TicketVisibility
from tickets.services import tickets as ticket_services

pytestmark = pytest.mark.django_db


def page(user, **params) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/queues/all/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_search_box_lists_matches_with_where_they_matched_and_hides_what_the_reader_may_not_see():
    carol, dave, outsider = UserFactory(username="carol"), UserFactory(username="dave"), UserFactory(username="erin")
    hidden = ticket_services.ticket_create(actor=carol, title="Laptop theft", visibility=TicketVisibility.RESTRICTED)
    ticket_services.comment_create(ticket=hidden, actor=carol, note="Serial number kiwiserial.")
    shared = ticket_services.ticket_create(actor=dave, title="Dock", description="Dock lost its kiwiserial sticker.")

    allowed = page(carol, q="kiwiserial")
    other = page(outsider, q="kiwiserial")

    assert hidden.key in allowed and shared.key in allowed
    assert allowed.index(shared.key) < allowed.index(hidden.key)  # by relevance: the description above the comment
    assert "In a comment by carol:" in allowed
    assert "<mark>kiwiserial</mark>" in allowed
    assert "In the description:" in allowed
    assert shared.key in other
    assert hidden.key not in other
    assert "Laptop theft" not in other and "Serial number" not in other
    assert "In a comment" not in other


def test_no_highlights_without_a_search():
    carol = UserFactory(username="carol")
    ticket_services.ticket_create(actor=carol, title="Dock", description="Dock lost its sticker.")

    assert "search-highlights" not in page(carol)


def test_a_search_is_sorted_by_best_match_until_another_sort_is_chosen():
    carol = UserFactory(username="carol")
    ticket_services.ticket_create(actor=carol, title="Dock", description="Dock lost its sticker.")

    searched = page(carol, q="dock")
    sorted_by_date = page(carol, q="dock", ordering="-updated_at")
    plain = page(carol)

    assert '<option value="" selected>Best match first</option>' in searched
    assert 'aria-sort="descending"' not in searched  # no column claims the order
    assert "Best match first" not in plain and 'aria-sort="descending"' in plain
    assert '<option value="-updated_at" selected>' in sorted_by_date and "Best match first" in sorted_by_date
