from typing import Any, Protocol, cast, runtime_checkable

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.settings import api_settings


@runtime_checkable
class CountsUnfiltered(Protocol):
    """A queryset that counts its rows faster while the request narrows it by nothing (no filter, no search): e.g.
    permissions.selectors.VisibleTicketQuerySet."""

    def count_unfiltered(self) -> int: ...


class UnfilteredCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        return cast(CountsUnfiltered, self.object_list).count_unfiltered()


class StandardPagination(PageNumberPagination):
    """`?page=` and `?page_size=` (1 to 100), with the total count (SPEC §12), from the queryset's
    `count_unfiltered()` when it has one and the request applies no filter.

    A page size that is not a whole number from 1 to 100 is a 400, not silently replaced by the default: a client that
    asked for 500 rows and got 25 would believe it had them all.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        # Paging and ordering parameters do not change which rows are counted; anything else may filter them.
        listing = {self.page_query_param, self.page_size_query_param, api_settings.ORDERING_PARAM}
        unfiltered = isinstance(queryset, CountsUnfiltered) and set(request.query_params) <= listing
        self.django_paginator_class = UnfilteredCountPaginator if unfiltered else Paginator
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size} is required."]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
