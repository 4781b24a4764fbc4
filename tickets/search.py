"""Full-text search of tickets (SPEC §16, docs/search.md): the search document of each ticket, how a search string is
read, how it matches inside a set of tickets the caller may see, and the highlighted snippets that say where it matched.

The document (TicketSearchDocument) is rebuilt by the ticket services in their own transaction (`document_refresh`),
never computed by a query. What it holds and how it is matched depends on the database, decided in one place
(`engine()`): PostgreSQL keeps a weighted tsvector (A key and title, B description, C live comments, D custom-field
strings) behind a GIN index and answers `websearch` syntax with ranking and ts_headline snippets; SQLite keeps the
comments and custom-field strings as plain text and matches every word by substring, ranking title matches first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol, cast

from django.contrib.auth.models import User
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.db.models.query import ModelIterable
from django.utils import timezone

from tickets.models import Ticket, TicketNote, TicketSearchDocument

# English stems ("printers" finds "printer", "crashing" finds "crash") and drops English stop words; a word of another
# language is stemmed alike on both sides, so it still finds itself. Changing it means rebuild_search_index.
CONFIG = "english"
MAX_SEARCH_LENGTH = 500  # characters of a search string; longer is a 400
HIGHLIGHTS_PER_TICKET = 3
HIGHLIGHT_BATCH = 100  # rows whose highlights one query computes (a page holds at most 100)
COMMENTS_MAX_CHARS = 500_000  # of a ticket's comments in its document: a tsvector holds at most 1 MB of words
HIGHLIGHTS_ATTRIBUTE = "search_highlights"  # set on each ticket row a search fetches (serializers and pages read it)
RANK_ORDERING = ("-search_key_match", "-search_rank")

_KEY_NUMBER = re.compile(r"(?:tck-)?(\d{1,18})", re.IGNORECASE)
_SINGLE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]*-\d{1,18}")
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# ts_headline marks matches with these; they cannot come from a ticket's text (stripped from it before).
_START, _STOP = "\x01", "\x02"


# --- what was asked ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    text: str
    negated: bool


@dataclass(frozen=True)
class Search:
    """A search string as typed (`text`, given to PostgreSQL's websearch_to_tsquery), read for SQLite as groups of terms
    (every group must match; within a group, any term: `or`), and the ticket keys it names (`TCK-42`, `42`)."""

    text: str
    groups: tuple[tuple[Term, ...], ...]
    keys: tuple[str, ...]

    @property
    def words(self) -> list[str]:
        """The terms that must be present somewhere (not the excluded ones): what a snippet marks."""
        return [term.text for group in self.groups for term in group if not term.negated]


def parse(text: str) -> Search:
    """Read a search string with websearch's syntax: words, "quoted phrases", -excluded, `or` between two terms."""
    text = text.replace("\x00", "").strip()
    groups: list[list[Term]] = []
    join_next = False
    for negated, phrase, word in _TOKEN.findall(text):
        if word and word.lower() == "or" and groups:
            join_next = True
            continue
        if word:
            negated, value = ("-", word[1:]) if word.startswith("-") and len(word) > 1 else ("", word)
        else:
            value = " ".join(phrase.split())
        if not value:
            continue
        term = Term(value, bool(negated))
        if join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    number = _KEY_NUMBER.fullmatch(text)
    keys = [f"TCK-{int(number.group(1))}"] if number else []  # the key ticket_create gives
    if _SINGLE_KEY.fullmatch(text):
        keys += [text, text.upper()]
    return Search(text, tuple(tuple(group) for group in groups), tuple(dict.fromkeys(keys)))


# --- where it matched ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Highlight:
    """A piece of a ticket's text that matched: `parts` are (text, matched) pairs, in order."""

    source: str  # title, description, comment, field
    name: str | None  # the comment's author, the field's name
    parts: tuple[tuple[str, bool], ...]

    @property
    def where(self) -> str:
        if self.source == "comment":
            return f"in a comment by {self.name}" if self.name else "in a comment"
        if self.source == "field":
            return f"in field {self.name}"
        return f"in the {self.source}"

    @property
    def snippet(self) -> str:
        return "".join(text for text, _ in self.parts)


def _from_marks(marked: str) -> tuple[tuple[str, bool], ...]:
    """ts_headline's output (matches between _START and _STOP) as parts."""
    parts: list[tuple[str, bool]] = []
    for index, piece in enumerate(re.split(f"{_START}|{_STOP}", marked)):
        if piece:
            parts.append((piece, index % 2 == 1))
    return tuple(parts)


def _around(text: str, words: list[str], width: int = 160) -> tuple[tuple[str, bool], ...]:
    """A window of `text` around the first of `words` found (case-insensitively), the words marked; () if none is."""
    if not words:
        return ()
    pattern = re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    first = pattern.search(text)
    if first is None:
        return ()
    start = max(0, first.start() - width // 3)
    end = min(len(text), start + width)
    window = " ".join(text[start:end].split())
    parts: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    cursor = 0
    for found in pattern.finditer(window):
        if found.start() > cursor:
            parts.append((window[cursor : found.start()], False))
        parts.append((found.group(), True))
        cursor = found.end()
    if cursor < len(window):
        parts.append((window[cursor:], False))
    if end < len(text):
        parts.append(("…", False))
    return tuple(parts)


def _field_strings(value: Any) -> list[str]:
    """The string values inside a custom field's JSON value, in order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _field_strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _field_strings(item)]
    return []


def _custom_fields(ticket: Ticket) -> dict[str, str]:
    fields = ticket.custom_fields if isinstance(ticket.custom_fields, dict) else {}
    return {name: text for name, value in fields.items() if (text := " · ".join(_field_strings(value)))}


# --- the two engines -----------------------------------------------------------------------------------------------


class Engine(Protocol):
    def refresh(self, ticket_ids: list[int]) -> None: ...

    def match(self, tickets: QuerySet[Ticket], search: Search) -> QuerySet[Ticket]: ...

    def highlights(self, tickets: list[Ticket], search: Search) -> dict[int, list[Highlight]]: ...


def _key_match(search: Search) -> Any:
    if not search.keys:
        return Value(0)
    return Case(When(key__in=search.keys, then=Value(1)), default=Value(0), output_field=IntegerField())


class PostgresEngine:
    """The weighted tsvector, its GIN index, websearch_to_tsquery, ts_rank and ts_headline."""

    def refresh(self, ticket_ids: list[int]) -> None:
        tickets, notes, documents = Ticket._meta.db_table, TicketNote._meta.db_table, TicketSearchDocument._meta.db_table
        # Comments in timeline order; system entries, deleted and redacted comments are not searchable text.
        sql = f"""
            INSERT INTO {documents} (ticket_id, vector, text, created_at, updated_at, is_deleted)
            SELECT t.id,
                   setweight(to_tsvector(%(config)s::regconfig, coalesce(t.key, '') || ' ' || t.title), 'A')
                   || setweight(to_tsvector(%(config)s::regconfig, t.description), 'B')
                   || setweight(to_tsvector(%(config)s::regconfig, left(coalesce(c.notes, ''), %(max_chars)s)), 'C')
                   || setweight(to_tsvector(%(config)s::regconfig, t.custom_fields), 'D'),
                   '', %(now)s, %(now)s, false
              FROM {tickets} t
              LEFT JOIN LATERAL (
                   SELECT string_agg(n.note, E'\\n' ORDER BY n.created_at, n.id) AS notes
                     FROM {notes} n
                    WHERE n.ticket_id = t.id AND NOT n.system AND NOT n.is_deleted AND n.redacted_at IS NULL
              ) c ON true
             WHERE t.id = ANY(%(ids)s)
            ON CONFLICT (ticket_id) DO UPDATE SET vector = EXCLUDED.vector, updated_at = EXCLUDED.updated_at
        """
        params: dict[str, Any] = {"config": CONFIG, "ids": ticket_ids, "now": timezone.now(), "max_chars": COMMENTS_MAX_CHARS}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def match(self, tickets: QuerySet[Ticket], search: Search) -> QuerySet[Ticket]:
        query = SearchQuery(search.text, search_type="websearch", config=CONFIG)
        rank = Coalesce(SearchRank(F("search_document__vector"), query), Value(0.0), output_field=FloatField())
        if not search.keys:
            # Joined to the documents the GIN index finds; the rank reads the same joined row.
            matched = tickets.filter(search_document__vector=query)
            return matched.annotate(search_rank=rank, search_key_match=Value(0))
        # A key too: one IN (sub-select) of the documents found and the key's ticket (its unique index); an OR across
        # the join would read every document.
        documents = TicketSearchDocument.objects.filter(vector=query).values("ticket_id")
        matching = documents.union(Ticket.objects.filter(key__in=search.keys).values("id"))
        return tickets.filter(id__in=matching).annotate(search_rank=rank, search_key_match=_key_match(search))

    def highlights(self, tickets: list[Ticket], search: Search) -> dict[int, list[Highlight]]:
        notes, users = TicketNote._meta.db_table, User._meta.db_table
        tickets_table = Ticket._meta.db_table
        # Every source of the page's tickets that matches on its own, the first few per ticket (title, description,
        # comments in timeline order, fields), each cut to a snippet by ts_headline: one query for the whole page.
        sql = f"""
            WITH q AS (SELECT websearch_to_tsquery(%(config)s::regconfig, %(text)s) AS query),
            sources AS (
                SELECT t.id AS ticket_id, 1 AS place, 0 AS position, 'title' AS source, NULL AS name, t.title AS body
                  FROM {tickets_table} t WHERE t.id = ANY(%(ids)s)
                UNION ALL
                SELECT t.id, 2, 0, 'description', NULL, t.description
                  FROM {tickets_table} t WHERE t.id = ANY(%(ids)s)
                UNION ALL
                SELECT n.ticket_id, 3, n.id, 'comment', u.username, n.note
                  FROM {notes} n LEFT JOIN {users} u ON u.id = n.created_by_id
                 WHERE n.ticket_id = ANY(%(ids)s) AND NOT n.system AND NOT n.is_deleted AND n.redacted_at IS NULL
                UNION ALL
                SELECT t.id, 4, 0, 'field', f.key,
                       (SELECT string_agg(s #>> '{{}}', ' · ')
                          FROM jsonb_path_query(f.value, 'strict $.** ? (@.type() == "string")') s)
                  FROM {tickets_table} t
                 CROSS JOIN LATERAL jsonb_each(
                       CASE WHEN jsonb_typeof(t.custom_fields) = 'object' THEN t.custom_fields ELSE '{{}}' END) f
                 WHERE t.id = ANY(%(ids)s)
            ),
            matched AS (
                SELECT s.*, row_number() OVER (PARTITION BY s.ticket_id ORDER BY s.place, s.position) AS nth
                  FROM sources s, q
                 WHERE s.body <> '' AND to_tsvector(%(config)s::regconfig, s.body) @@ q.query
            )
            SELECT m.ticket_id, m.source, m.name,
                   ts_headline(%(config)s::regconfig, translate(m.body, %(marks)s, ''), q.query, %(options)s)
              FROM matched m, q
             WHERE m.nth <= %(limit)s
             ORDER BY m.ticket_id, m.place, m.position
        """
        options = f'StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
        params: dict[str, Any] = {
            "config": CONFIG,
            "text": search.text,
            "ids": [ticket.pk for ticket in tickets],
            "marks": _START + _STOP,
            "options": options,
            "limit": HIGHLIGHTS_PER_TICKET,
        }
        found: dict[int, list[Highlight]] = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for ticket_id, source, name, marked in cursor.fetchall():
                parts = _from_marks(marked)
                if any(matched for _, matched in parts):  # an excluded word alone marks nothing: not a match to show
                    found.setdefault(ticket_id, []).append(Highlight(source, name, parts))
        return found


class PlainEngine:
    """SQLite: every term a case-insensitive substring of the key, title, description, or the document's text (the
    comments and custom-field strings); quotes keep a phrase together, -term excludes, `or` joins two terms."""

    def refresh(self, ticket_ids: list[int]) -> None:
        tickets, notes, documents = Ticket._meta.db_table, TicketNote._meta.db_table, TicketSearchDocument._meta.db_table
        # The live comments in timeline order, then each custom field's strings (_custom_fields: a field's strings in
        # document order joined by " · ", fields without any left out), one per line.
        sql = f"""
            INSERT INTO {documents} (ticket_id, text, created_at, updated_at, is_deleted)
            SELECT d.id,
                   substr(CASE WHEN d.notes IS NULL THEN coalesce(d.fields, '')
                               WHEN d.fields IS NULL THEN d.notes
                               ELSE d.notes || char(10) || d.fields END, 1, %s),
                   %s, %s, 0
              FROM (SELECT t.id,
                           (SELECT group_concat(note, char(10))
                              FROM (SELECT n.note FROM {notes} n
                                     WHERE n.ticket_id = t.id AND NOT n.system AND NOT n.is_deleted
                                       AND n.redacted_at IS NULL
                                     ORDER BY n.created_at, n.id)) AS notes,
                           (SELECT group_concat(strings, char(10))
                              FROM (SELECT (SELECT group_concat(value, ' · ')
                                              FROM (SELECT s.value FROM json_tree(t.custom_fields, f.fullkey) s
                                                     WHERE s.type = 'text' ORDER BY s.id)) AS strings
                                      FROM json_each(CASE WHEN json_type(t.custom_fields) = 'object'
                                                          THEN t.custom_fields ELSE '{{}}' END) f
                                     ORDER BY f.id)
                             WHERE strings <> '') AS fields
                      FROM {tickets} t
                     WHERE t.id IN ({", ".join(["%s"] * len(ticket_ids))})) d
             WHERE true
            ON CONFLICT (ticket_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at
        """
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [COMMENTS_MAX_CHARS, now, now, *ticket_ids])

    def match(self, tickets: QuerySet[Ticket], search: Search) -> QuerySet[Ticket]:
        def contains(text: str) -> Q:
            return (
                Q(key__icontains=text)
                | Q(title__icontains=text)
                | Q(description__icontains=text)
                | Q(search_document__text__icontains=text)
            )

        matched = Q()
        for group in search.groups:
            alternatives = Q()
            for term in group:
                alternatives |= ~contains(term.text) if term.negated else contains(term.text)
            matched &= alternatives
        if search.keys:
            matched |= Q(key__in=search.keys)
        # A word in the key or title ranks above one in the description, above one only in comments or fields.
        rank: Any = Value(0.1)
        if search.words:
            in_title, in_description = Q(), Q()
            for word in search.words:
                in_title |= Q(key__icontains=word) | Q(title__icontains=word)
                in_description |= Q(description__icontains=word)
            rank = Case(
                When(in_title, then=Value(1.0)),
                When(in_description, then=Value(0.4)),
                default=Value(0.1),
                output_field=FloatField(),
            )
        return tickets.filter(matched).annotate(search_rank=rank, search_key_match=_key_match(search))

    def highlights(self, tickets: list[Ticket], search: Search) -> dict[int, list[Highlight]]:
        words = search.words
        if not words:
            return {}
        mentions = Q()
        for word in words:
            mentions |= Q(note__icontains=word)
        comments: dict[int, list[tuple[str, str | None]]] = {}
        rows = _live_comments([ticket.pk for ticket in tickets]).filter(mentions)
        for ticket_id, note, author in rows.values_list("ticket_id", "note", "created_by__username"):
            comments.setdefault(ticket_id, []).append((note, author))
        found: dict[int, list[Highlight]] = {}
        for ticket in tickets:
            sources: list[tuple[str, str | None, str]] = [
                ("title", None, ticket.title),
                ("description", None, ticket.description),
            ]
            sources += [("comment", author, note) for note, author in comments.get(ticket.pk, [])]
            sources += [("field", name, text) for name, text in _custom_fields(ticket).items()]
            for source, name, text in sources:
                parts = _around(text, words)
                if parts:
                    found.setdefault(ticket.pk, []).append(Highlight(source, name, parts))
            if ticket.pk in found:
                found[ticket.pk] = found[ticket.pk][:HIGHLIGHTS_PER_TICKET]
        return found


def _live_comments(ticket_ids: list[int]) -> QuerySet[TicketNote]:
    """The searchable comments of these tickets: not system entries, not deleted (the default manager), not redacted."""
    return TicketNote.objects.filter(ticket_id__in=ticket_ids, system=False, redacted_at__isnull=True).order_by(
        "created_at", "id"
    )


def engine() -> Engine:
    """The one place that asks which database this is."""
    return PostgresEngine() if connection.vendor == "postgresql" else PlainEngine()


# --- the entry points ----------------------------------------------------------------------------------------------


def document_refresh(*, ticket_ids: Iterable[int]) -> None:
    """Rebuild the search documents of these tickets from their current rows and comments (the caller's transaction)."""
    ids = sorted({int(pk) for pk in ticket_ids})
    if ids:
        engine().refresh(ids)


def documents_rebuild(*, batch_size: int = 2000) -> Iterator[int]:
    """Rebuild every ticket's document (deleted tickets too: they may be restored), a batch per transaction; yields the
    number done after each batch."""
    done, last = 0, 0
    while True:
        ids = list(Ticket.all_objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        with transaction.atomic():
            engine().refresh(ids)
        done, last = done + len(ids), ids[-1]
        yield done


class _HighlightedRows(ModelIterable):
    """The tickets of a search, each with its highlights: computed per batch of fetched rows (a page is one batch, so
    one query), the way a prefetch adds related rows."""

    search: Search

    def __iter__(self) -> Iterator[Any]:
        rows = super().__iter__()
        while batch := list(islice(rows, HIGHLIGHT_BATCH)):
            found = engine().highlights(batch, self.search)
            for ticket in batch:
                setattr(ticket, HIGHLIGHTS_ATTRIBUTE, found.get(ticket.pk, []))
                yield ticket


def search_tickets(tickets: QuerySet[Ticket], search: Search) -> QuerySet[Ticket]:
    """`tickets` (the caller's visible set, filtered as they asked) that match `search`, annotated with `search_rank`
    and `search_key_match` (order by RANK_ORDERING for relevance), each row fetched with its highlights."""
    searched = engine().match(tickets, search)
    searched._iterable_class = cast(Any, type("SearchedTickets", (_HighlightedRows,), {"search": search}))
    return searched


def highlights_of(ticket: Ticket) -> list[Highlight]:
    """The highlights a search fetched the ticket with; none when it was not fetched by a search."""
    return cast(list[Highlight], getattr(ticket, HIGHLIGHTS_ATTRIBUTE, []))
