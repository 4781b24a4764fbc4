"""The floor: the ticket list page as one raw SQL query serialised with the standard library's json (benchmark only).

No authentication, no DRF, no ORM: what the same page costs when nothing but the database and HTTP is left.
Mounted only by bench/urls.py, which only bench/settings.py with BENCH=1 uses.
"""

import json
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

from bench.sql import TICKET_PAGE, TICKET_PAGE_ALL


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")


def ticket_page(request: HttpRequest) -> HttpResponse:
    page = max(int(request.GET.get("page", "1")), 1)
    size = min(max(int(request.GET.get("page_size", "50")), 1), 100)
    # ?user=<id>: the page as that ordinary user sees it; ?all=1: as one who sees every ticket.
    sql = TICKET_PAGE_ALL if request.GET.get("all") else TICKET_PAGE
    params = {"user": int(request.GET.get("user", "0")), "limit": size, "offset": (page - 1) * size}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description][1:]
        rows = cursor.fetchall()
    total = rows[0][0] if rows else 0
    results = [dict(zip(columns, row[1:], strict=True)) for row in rows]
    body = json.dumps({"count": total, "next": None, "previous": None, "results": results}, default=_default)
    return HttpResponse(body, content_type="application/json")
