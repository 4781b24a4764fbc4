"""`?search=` on the ticket list (docs/search.md): full-text search inside the caller's visible tickets, by relevance
unless `?ordering=` names another order, each row with its highlights."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request
from rest_framework.settings import api_settings

from tickets import search


class TicketSearchFilter(BaseFilterBackend):
    """Runs before the ordering filter: a search makes relevance the view's default order (key lookups first, then
    rank), which the ordering filter applies unless the request names its own."""

    search_param = "search"

    def search_of(self, request: Request) -> search.Search | None:
        text = request.query_params.get(self.search_param, "")
        if len(text) > search.MAX_SEARCH_LENGTH:
            message = f"A search has at most {search.MAX_SEARCH_LENGTH} characters."
            raise ValidationError({self.search_param: [ErrorDetail(message, code="max_length")]})
        asked = search.parse(text)
        return asked if asked.text else None

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        asked = self.search_of(request)
        if asked is None:
            return queryset
        if not request.query_params.get(api_settings.ORDERING_PARAM):
            view.ordering = list(search.RANK_ORDERING)
        return search.search_tickets(queryset, asked)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": (
                    "Full-text search over key, title, description, comments and custom-field values, in websearch "
                    'syntax: words, "a phrase", -excluded, `or`. A key (TCK-42) or a number (42) puts that ticket '
                    "first. Ordered by relevance unless `ordering` is given; each row's `highlights` say where it "
                    "matched."
                ),
                "schema": {"type": "string", "maxLength": search.MAX_SEARCH_LENGTH},
            }
        ]
