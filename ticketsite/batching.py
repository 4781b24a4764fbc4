"""A batch: one person's action applied to many objects at once (a bulk action). What should happen once per batch
rather than once per object (the e-mail digest of notifications) collects itself on the batch while it runs and is
done when it ends. Lower apps open the batch (tickets' bulk service); higher ones collect on it (notifications), so
neither imports the other."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

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
