"""A batch: one person's action applied to many objects at once (a bulk action). What should happen once per batch
rather than once per object (the e-mail digest of notifications) collects itself on the batch while it runs and is
done when it ends. Lower apps open the batch (tickets' bulk service); higher ones collect on it (notifications), so
neither imports the other.

Also the writes one service call defers to its end (`atomic_service`, `deferring`): the timeline rows and the
notifications of its events, written in a few statements for all of them rather than a few per event."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.db import transaction

type BatchEnd = Callable[[list[Any]], None]


class Batch:
    def __init__(self) -> None:
        self._items: dict[str, list[Any]] = {}
        self._at_end: dict[str, BatchEnd] = {}

    def collect(self, key: str, items: Iterable[Any], *, at_end: BatchEnd) -> None:
        """Add `items` under `key`; when the batch ends, `at_end` (the first given for the key) gets all of them."""
        self._items.setdefault(key, []).extend(items)
        self._at_end.setdefault(key, at_end)

    def _end(self) -> None:
        for key, at_end in self._at_end.items():
            at_end(self._items[key])


_current: ContextVar[Batch | None] = ContextVar("ticketsite_batch", default=None)


def current_batch() -> Batch | None:
    return _current.get()


@contextmanager
def batch() -> Iterator[Batch]:
    """Run the block as one batch; a batch inside another is part of the outer one. What was collected is handed on
    when the block ends, even if it raised (a collector decides what a rolled-back change means for it)."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    current = Batch()
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)
        current._end()


# --- the writes a service defers to its end -------------------------------------------------------------------------

type Flush = Callable[[list[Any]], object]


class DeferredWrites:
    """Rows a service's events ask for (timeline entries, notifications) that need not exist before the service is
    done: collected while it runs and written, a few statements for all of them, just before its transaction ends.
    Each kind has a stage; lower stages are written first (the timeline before the notifications that point at it)."""

    def __init__(self) -> None:
        self._items: dict[str, list[Any]] = {}
        self._flushes: dict[str, tuple[int, Flush]] = {}

    def defer(self, key: str, item: Any, *, flush: Flush, stage: int) -> None:
        self._items.setdefault(key, []).append(item)
        self._flushes.setdefault(key, (stage, flush))

    def pending(self, key: str) -> list[Any]:
        """What was deferred under `key` and not written yet, oldest first."""
        return list(self._items.get(key, ()))

    def flush(self) -> None:
        """Write everything deferred so far (at the end, or where a later change would alter what is written)."""
        while self._items:
            key = min(self._items, key=lambda name: self._flushes[name][0])
            items = self._items.pop(key)
            self._flushes[key][1](items)

    def _lengths(self) -> dict[str, int]:
        return {key: len(items) for key, items in self._items.items()}

    def _forget_since(self, lengths: dict[str, int]) -> None:
        for key in list(self._items):
            del self._items[key][lengths.get(key, 0) :]
            if not self._items[key]:
                del self._items[key]


_deferred: ContextVar[DeferredWrites | None] = ContextVar("ticketsite_deferred_writes", default=None)


def deferred_writes() -> DeferredWrites | None:
    """The writes the running service defers, or None outside a service (write at once)."""
    return _deferred.get()


@contextmanager
def deferring() -> Iterator[DeferredWrites]:
    """Run the block deferring the writes of its events, written when it ends without error (inside the caller's
    transaction: open this inside `transaction.atomic`). A block inside another joins it; if the inner one raises,
    what it deferred is forgotten, as its savepoint forgets its rows."""
    outer = _deferred.get()
    if outer is not None:
        lengths = outer._lengths()
        try:
            yield outer
        except BaseException:
            outer._forget_since(lengths)
            raise
        return
    current = DeferredWrites()
    token = _deferred.set(current)
    try:
        yield current
        current.flush()
    finally:
        _deferred.reset(token)


def atomic_service[**P, R](service: Callable[P, R]) -> Callable[P, R]:
    """A service in its transaction (`transaction.atomic`) whose events' timeline rows and notifications are written
    together just before that transaction ends (`deferring`)."""

    @wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(), deferring():
            return service(*args, **kwargs)

    return run
