"""Queries built and compiled once per process, run with each caller's values.

A hot query whose shape never changes (the user a token names with their permissions, the visibility rule's sub-select
of grants and approver slots, the approvals waiting on someone) cost more to build and compile in the ORM, on every
request, than the database took to answer it. `CompiledQuery` builds it once for stand-in values, an id (of a user, or
of a ticket) and a moment that no real query holds, and every use puts its own id and the time in their place.

It compiles the query a second time for other stand-ins and refuses a query whose SQL changes with them, or whose
parameters change elsewhere: the template must hold for every id and moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.utils import timezone

# Ids inside an INTEGER column's range (a lookup outside it matches nothing, and the compiler would drop its
# branch), and moments long before the product existed.
STAND_IN_IDS = (-2_000_000_017, -2_000_000_018)
STAND_IN_MOMENTS = (datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC), datetime(1901, 2, 4, 4, 5, 6, tzinfo=UTC))

Builder = Callable[[int, datetime], QuerySet[Any, Any]]


class CompiledQuery:
    """`build(pk, at)`, compiled once per process on the default database; `sql_for(pk)` gives its SQL and parameters
    for that id now (or at `at`)."""

    def __init__(self, build: Builder) -> None:
        self.build = build

    def _compiled(self, pk: int, at: datetime) -> tuple[str, list[Any]]:
        sql, params = self.build(pk, at).query.get_compiler(using=DEFAULT_DB_ALIAS).as_sql()
        return sql, list(params)

    @cached_property
    def template(self) -> tuple[str, tuple[Any, ...], tuple[int, ...], tuple[int, ...]]:
        """The SQL, its parameters for the first stand-ins, and where the id and the moment go among them."""
        adapt = connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value
        sql, params = self._compiled(STAND_IN_IDS[0], STAND_IN_MOMENTS[0])
        other_sql, other_params = self._compiled(STAND_IN_IDS[1], STAND_IN_MOMENTS[1])
        if sql != other_sql:
            raise AssertionError(f"{self.build.__qualname__} must compile to one SQL whatever the id and the moment")
        moments = tuple(adapt(moment) for moment in STAND_IN_MOMENTS)
        id_at, moment_at = [], []
        for index, pair in enumerate(zip(params, other_params, strict=True)):
            if pair == STAND_IN_IDS:
                id_at.append(index)
            elif pair == moments:
                moment_at.append(index)
            elif pair[0] != pair[1]:
                raise AssertionError(f"{self.build.__qualname__}: a parameter other than the id and the moment changed")
        return sql, tuple(params), tuple(id_at), tuple(moment_at)

    def sql_for(self, pk: int, at: datetime | None = None) -> tuple[str, tuple[Any, ...]]:
        sql, template_params, id_at, moment_at = self.template
        params = list(template_params)
        for index in id_at:
            params[index] = pk
        if moment_at:
            moment = connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value(at or timezone.now())
            for index in moment_at:
                params[index] = moment
        return sql, tuple(params)
