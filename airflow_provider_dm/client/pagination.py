"""Walking cursor pages (§3.2, §4.1): ``cursor`` + ``direction=older`` until ``has_older`` is
false or the cursor is empty or repeats, with an optional stop condition for incremental
fetches and a cap on the number of entries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One answer of a paged endpoint: its entries, the cursor of the next (older) page, and
    whether the server says there is one."""

    entries: tuple[T, ...]
    cursor: str | None
    has_older: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class Listing(Iterator[T]):
    """Yields the entries of successive pages, newest first, fetching lazily.

    While or after iterating: ``pages`` is the number of pages fetched, ``cursor`` the cursor
    that would fetch the next older page (None when the listing reached the end), ``newest``
    the first entry yielded (what an incremental fetch remembers for next time), and
    ``stopped_early`` whether the stop condition or the cap ended it.
    """

    def __init__(
        self,
        fetch: Callable[[str | None], Page[T]],
        *,
        stop: Callable[[T], bool] | None = None,
        limit: int | None = None,
    ) -> None:
        self._fetch = fetch
        self._stop = stop
        self._limit = limit
        self.pages = 0
        self.cursor: str | None = None
        self.newest: T | None = None
        self.yielded = 0
        self.stopped_early = False
        self._entries = self._walk()

    def __iter__(self) -> Listing[T]:
        return self

    def __next__(self) -> T:
        return next(self._entries)

    def _walk(self) -> Iterator[T]:
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            if self._limit is not None and self.yielded >= self._limit:
                self.stopped_early = True
                return
            page = self._fetch(cursor)
            self.pages += 1
            more = bool(page.has_older and page.cursor and page.cursor not in seen)
            self.cursor = page.cursor if more else None
            for entry in page.entries:
                if self._stop is not None and self._stop(entry):
                    self.stopped_early = True
                    return
                if self.newest is None:
                    self.newest = entry
                self.yielded += 1
                yield entry
                if self._limit is not None and self.yielded >= self._limit:
                    self.stopped_early = True
                    return
            if not more or not page.entries:
                return
            if cursor is not None:
                seen.add(cursor)
            seen.add(page.cursor)
            cursor = page.cursor
